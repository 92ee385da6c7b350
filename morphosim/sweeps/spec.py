"""Sweep files: YAML in, a checked spec and its list of variants out.

    base: lateral_inhibition_small.yaml        # the scenario every variant starts from
    vary:                                      # key path -> values
      cells.mechanics.Lambda: [0.08, 0.12, 0.16]
      cells.mechanics.Gamma: {from: 0.02, to: 0.08, num: 4}           # linear (scale: log for log)
      genes.parameters.k: {loguniform: [0.1, 10], n: 5, seed: 1}       # random samples
    combine: product                           # or zip (every list as long as the others)
    replicates: 3                              # seeds derived from `seed`, the same for each parameter set
    seed: 0
    metrics:
      cells: final_cell_count
      high_delta: {species_fraction_above: {species: D, threshold: 0.5}}
      mine: {python: metrics.py:furrow_depth}  # a function of a Run returning a float or a dict of floats
    output: out/sweep                          # one store per variant below it, and results.parquet

Problems are reported like a scenario's: one line each, with the file, line and key path.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from morphosim.errors import InputError
from morphosim.scenario import ScenarioError, load_scenario
from morphosim.scenario.schema import (Choice, Context, Dictionary, Either, ListOf, Mapping, Number, Problem, Spec,
                                       Text, compose, _scalar)

from .metrics import BUILTIN_METRICS

COUNT = Number(minimum=1, integer=True)
RANGE = Mapping({"from": Number(), "to": Number(), "num": COUNT, "scale": Choice(("linear", "log"), default="linear")},
                required=("from", "to", "num"))
SAMPLES = Either((
    Mapping({"uniform": ListOf(Number(), length=2), "n": COUNT, "seed": Number(minimum=0, integer=True, default=0)},
            required=("uniform", "n")),
    Mapping({"loguniform": ListOf(Number(minimum=0, exclusive_minimum=True), length=2), "n": COUNT,
             "seed": Number(minimum=0, integer=True, default=0)}, required=("loguniform", "n")),
), label="{uniform: [lo, hi], n} or {loguniform: [lo, hi], n}")


class AnyValues(Spec):
    """A non-empty list of values of any plain type (numbers, strings, booleans, lists)."""

    description = "a list of values"

    def check(self, node, path, context):
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            context.report(path, node, "expected a non-empty list of values")
            return None
        return [_scalar(item) for item in node.value]


VALUES = Either((AnyValues(), RANGE, SAMPLES),
                label="a list of values, {from, to, num[, scale]} or {uniform|loguniform: [lo, hi], n}")
METRIC = Either((
    Choice(tuple(name for name, metric in BUILTIN_METRICS.items() if not metric.arguments)),
    Mapping({name: Mapping({argument: Number() if argument == "threshold" else Text()
                            for argument in metric.arguments}, required=metric.arguments)
             for name, metric in BUILTIN_METRICS.items() if metric.arguments}),
    Mapping({"python": Text()}, required=("python",)),
), label="a built-in metric (" + ", ".join(BUILTIN_METRICS) + ") or {python: file.py:function}")
SWEEP = Mapping({
    "base": Text(),
    "vary": Dictionary(VALUES, default={}),
    "combine": Choice(("product", "zip"), default="product"),
    "replicates": Number(minimum=1, integer=True, default=1),
    "seed": Number(minimum=0, integer=True, default=0),
    "metrics": Dictionary(METRIC, default={}),
    "output": Text(),
}, required=("base", "output"))


@dataclass(frozen=True)
class Variant:
    """One run of a sweep: its parameter values (key path -> value), replicate and seed."""

    index: int
    values: dict
    replicate: int
    seed: int

    @property
    def name(self) -> str:
        return f"v{self.index:04d}"

    def overrides(self) -> list[str]:
        """`--set`-style overrides that make the base scenario this variant."""
        return [f"{key}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"
                for key, value in self.values.items()] + [f"seed={self.seed}"]


def expand_values(spec) -> list:
    """The values a `vary` entry stands for, in order."""
    if isinstance(spec, list):
        return spec
    if "from" in spec:
        if spec["scale"] == "log":
            return np.geomspace(spec["from"], spec["to"], spec["num"]).tolist()
        return np.linspace(spec["from"], spec["to"], spec["num"]).tolist()
    rng = np.random.default_rng(spec["seed"])
    if "uniform" in spec:
        return rng.uniform(*spec["uniform"], size=spec["n"]).tolist()
    low, high = np.log(spec["loguniform"])
    return np.exp(rng.uniform(low, high, size=spec["n"])).tolist()


def replicate_seed(master: int, replicate: int) -> int:
    """The seed of replicate r: derived from the master seed alone, so that every parameter set
    sees the same random initial states (common random numbers: differences are the parameters')."""
    return int(np.random.SeedSequence([master, replicate]).generate_state(1)[0] % 2**31)


def variants(spec: dict) -> list[Variant]:
    """Every run of a checked sweep spec, in a fixed order."""
    keys = list(spec["vary"])
    columns = [expand_values(spec["vary"][key]) for key in keys]
    combos = zip(*columns) if spec["combine"] == "zip" else itertools.product(*columns)
    found = []
    for values in combos:
        for replicate in range(spec["replicates"]):
            found.append(Variant(len(found), dict(zip(keys, values)), replicate,
                                 replicate_seed(spec["seed"], replicate)))
    return found


def line_of_key(root: yaml.Node, key_path: str) -> int | None:
    """Line of the key at a dotted path, where keys may themselves hold dots (a vary entry such as
    cells.mechanics.Lambda): at each level the longest key that starts the rest of the path."""
    node, rest, line = root, key_path, None
    while rest and isinstance(node, yaml.MappingNode):
        matches = [(key, value) for key, value in node.value
                   if rest == str(_scalar(key)) or rest.startswith(f"{_scalar(key)}.")]
        if not matches:
            break
        key, node = max(matches, key=lambda match: len(str(_scalar(match[0]))))
        line, rest = key.start_mark.line + 1, rest[len(str(_scalar(key))) + 1:]
    return line


def read_document(path: str | os.PathLike, schema: Mapping, what: str):
    """Check a sweep or fit file against its schema and resolve its paths (base and output relative
    to the file). Returns the spec (None if unreadable), the problem Context and report(key_path,
    message) for later checks."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {what} file not found")
    root = compose(path.read_bytes(), str(path))
    if root is None:
        raise InputError(f"{path}: the {what} file is empty")
    context = Context(str(path))
    spec = schema.check(root, "", context)

    def report(key_path, message):
        context.problems.append(Problem(key_path, str(path), line_of_key(root, key_path), message))

    if spec is not None and not context.problems:
        spec["base"] = str((path.parent / spec["base"]).resolve())
        spec["output"] = str((path.parent / Path(spec["output"]).expanduser()).resolve())
        spec["folder"] = str(path.parent.resolve())
        if not Path(spec["base"]).is_file():
            report("base", f"scenario file not found: {spec['base']}")
    return spec, context, report


def check_overrides(base: str, overrides: list[str], section: str, keys, label: str, report) -> bool:
    """Load the base scenario with --set-style overrides; report its problems under section.<key>
    (for a key of `keys`) or base. True when it loads."""
    try:
        load_scenario(base, overrides)
    except ScenarioError as error:
        for problem in error.problems:   # one of the overridden keys, or the base scenario itself
            report(f"{section}.{problem.path}" if problem.path in keys else "base", f"{label}: {problem}")
        return False
    return True


def load_sweep(path: str | os.PathLike) -> dict:
    """Read and check a sweep file, its base scenario and every variant (each validated as a
    scenario). Raises ScenarioError listing every problem."""
    spec, context, report = read_document(path, SWEEP, "sweep")
    if spec is not None and not context.problems:
        if spec["combine"] == "zip" and len({len(expand_values(v)) for v in spec["vary"].values()}) > 1:
            report("combine", "zip needs every vary entry to have the same number of values")
        else:
            for variant in (v for v in variants(spec) if v.replicate == 0):   # replicates differ by seed only
                if not check_overrides(spec["base"], variant.overrides(), "vary", spec["vary"],
                                       f"variant {variant.name}", report):
                    break
    if context.problems:
        raise ScenarioError(context.problems)
    return spec
