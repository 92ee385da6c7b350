"""Summary numbers of a finished run, for sweep tables: each a function of a `Run`.

Built-ins are named in a sweep file's `metrics:`; `{python: file.py:function}` (a file next to the
sweep file) or `{python: package.module:function}` names one of the user's, which returns a float
or a dict of floats (one column each).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from morphosim.errors import InputError


def final_cell_count(run) -> float:
    """Cells in the last recorded frame."""
    return float(len(run.frame(-1).cell_ids))


def mean_shape_index(run) -> float:
    """Mean perimeter/√area over the cells of the last frame (3.81: the rigidity transition of Bi et al. 2015)."""
    return float(np.mean(run.frame(-1).cell_data["shape_index"]))


def mean_area(run) -> float:
    """Mean cell area in the last frame (length²)."""
    return float(np.mean(run.frame(-1).cell_data["area"]))


def t1_count(run) -> float:
    """T1 swaps over the whole run (the last frame's cumulative count)."""
    return float(run.frame(-1).events.get("t1_swaps", 0))


def species_fraction_above(run, species: str, threshold: float) -> float:
    """Fraction of the last frame's cells whose species is above threshold."""
    return float(np.mean(run.frame(-1).species[species] > threshold))


def species_mean(run, species: str) -> float:
    """Mean of a species over the last frame's cells."""
    return float(np.mean(run.frame(-1).species[species]))


class FinalState:
    """A finished Simulation read as a one-frame Run (frame(-1), scenario, seed) without writing a
    store: what a fit's metrics see for each of its many short runs."""

    def __init__(self, simulation):
        self._frame = simulation.frame()
        self.scenario = {key: value for key, value in (simulation.scenario or {}).items() if not key.startswith("_")}
        self.seed = self.scenario.get("seed", 0)
        self.times = np.array([self._frame.time])

    def __len__(self) -> int:
        return 1

    def frame(self, k: int):
        if k not in (0, -1):
            raise IndexError(f"frame {k}: a fit's run keeps its final frame only (frame(-1))")
        return self._frame


@dataclass(frozen=True)
class Metric:
    function: Callable
    arguments: tuple[str, ...] = ()


BUILTIN_METRICS = {
    "final_cell_count": Metric(final_cell_count),
    "mean_shape_index": Metric(mean_shape_index),
    "mean_area": Metric(mean_area),
    "t1_count": Metric(t1_count),
    "species_fraction_above": Metric(species_fraction_above, ("species", "threshold")),
    "species_mean": Metric(species_mean, ("species",)),
}


def user_function(reference: str, folder: Path) -> Callable:
    """`file.py:function` (relative to folder) or `package.module:function`."""
    module_name, _, function_name = reference.partition(":")
    if not function_name:
        raise InputError(f"metrics: {reference!r}: write file.py:function or package.module:function")
    try:
        if module_name.endswith(".py"):
            file = (folder / module_name).resolve()
            spec = importlib.util.spec_from_file_location(file.stem, file)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
        return getattr(module, function_name)
    except (ImportError, AttributeError, OSError, SyntaxError) as error:
        raise InputError(f"metrics: {reference}: cannot load it ({error})") from None


def compute_metrics(run, metrics: dict, folder: Path) -> dict[str, float]:
    """{column: value} of every metric of a sweep spec for one finished run."""
    values = {}
    for name, spec in metrics.items():
        if isinstance(spec, str):
            values[name] = BUILTIN_METRICS[spec].function(run)
        elif "python" in spec:
            result = user_function(spec["python"], folder)(run)
            if isinstance(result, dict):
                values.update({f"{name}.{key}": float(value) for key, value in result.items()})
            else:
                values[name] = float(result)
        else:
            (builtin, arguments), = spec.items()
            values[name] = BUILTIN_METRICS[builtin].function(run, **arguments)
    return values
