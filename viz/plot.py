"""Time series of a run: what people check first (species, cell count, cell shape, flow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .quantities import SHAPE_INDEX, cell_quantities, label, run_units
from .scene import FLOW_FIELD

# Shape index at which a vertex-model tissue goes from solid to fluid (Bi et al., Nat. Phys. 2015).
RIGIDITY_SHAPE_INDEX = 3.81


def timeseries(run) -> dict[str, np.ndarray]:
    """Per recorded frame: `time`, `cell_count`; mean and standard deviation over the cells of
    every species (`<name>.mean`, `<name>.std`), of `area` and of the shape index; mean and
    largest flow speed over the tissue mesh points (`speed.mean`, `speed.max`) when there is a flow."""
    rows = []
    for k in range(len(run.times)):
        frame = run.frame(k)
        values = cell_quantities(frame)
        row = {"time": frame.time, "cell_count": len(frame.cells)}
        for name in [*frame.species, "area", SHAPE_INDEX]:
            row[f"{name}.mean"], row[f"{name}.std"] = np.mean(values[name]), np.std(values[name])
        if FLOW_FIELD in frame.fields:
            speed = np.linalg.norm(frame.fields[FLOW_FIELD], axis=1)
            row["speed.mean"], row["speed.max"] = speed.mean(), speed.max()
        rows.append(row)
    return {key: np.array([row[key] for row in rows]) for key in rows[0]} if rows else {}


def plot_timeseries(run, out: str | Path):
    """Draw `timeseries(run)` in one figure and save it to `out`; returns the figure."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = timeseries(run)
    units = run_units(run)
    time = series["time"]
    species = [key[:-5] for key in series if key.endswith(".mean") and key[:-5] not in ("area", SHAPE_INDEX, "speed")]
    figure, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    figure.suptitle(f"{run.scenario.get('name', Path(run.path).stem)}: {len(time)} frames")

    def band(ax, name, title):
        mean, spread = series[f"{name}.mean"], series[f"{name}.std"]
        ax.plot(time, mean, marker=".", label=name)
        ax.fill_between(time, mean - spread, mean + spread, alpha=0.25)
        ax.set_title(title)

    for name in species:
        band(axes[0, 0], name, "species: mean ± s.d. over cells")
    if species:
        axes[0, 0].legend(fontsize="small", ncol=max(1, len(species) // 6))
    axes[0, 1].plot(time, series["cell_count"], marker=".")
    axes[0, 1].set_title("cell count")
    band(axes[0, 2], "area", f"{label('area', units)}: mean ± s.d.")
    band(axes[1, 0], SHAPE_INDEX, f"{label(SHAPE_INDEX, units)}: mean ± s.d.")
    axes[1, 0].axhline(RIGIDITY_SHAPE_INDEX, color="grey", linestyle="--", linewidth=1,
                       label=f"p₀ = {RIGIDITY_SHAPE_INDEX} (solid | fluid)")
    axes[1, 0].legend(fontsize="small")
    if "speed.mean" in series:
        axes[1, 1].plot(time, series["speed.mean"], marker=".", label="mean")
        axes[1, 1].plot(time, series["speed.max"], linestyle="--", label="max")
        axes[1, 1].legend(fontsize="small")
    else:
        axes[1, 1].text(0.5, 0.5, "no flow recorded", ha="center", va="center", transform=axes[1, 1].transAxes)
    axes[1, 1].set_title(f"flow {label('speed', units)} over the tissue mesh")
    axes[1, 2].axis("off")
    for ax in axes.flat[:5]:
        ax.set_xlabel(f"time [{units['time']}]" if "time" in units else "time")
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return figure
