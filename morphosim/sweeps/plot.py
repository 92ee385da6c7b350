"""A sweep's table drawn: each metric against each varied parameter, mean ± standard deviation over
the replicates of every parameter set (finished runs only), one line per value of the other
parameters (named by the last part of their key path).

    points, figure = plot_sweep("out/tension", "out/tension/sweep.png")
"""

from __future__ import annotations

import os
from pathlib import Path

from morphosim.errors import InputError

from .runner import open_sweep


def sweep_points(table):
    """The plotted numbers: one row per (metric, parameter, line, x) with the mean, s.d. (ddof 1;
    0 for a single replicate) and count of the finished replicates. `line` names the values of
    the other parameters (empty when they move with x, as in a zip sweep, or there are none)."""
    import pandas

    parameters, metrics = table.attrs["parameters"], table.attrs["metrics"]
    done = table[table["status"] == "done"]
    if not parameters:
        raise InputError("this sweep varies no parameter: there is nothing to plot against")
    if done.empty:
        raise InputError("no run of this sweep finished: there is nothing to plot")
    groups = done.groupby(parameters, sort=True)[metrics]
    means, deviations, counts = groups.mean(), groups.std(ddof=1).fillna(0.0), groups.size()
    rows = []
    for parameter in parameters:
        others = [name for name in parameters if name != parameter]
        for key in means.index:
            values = dict(zip(parameters, key if isinstance(key, tuple) else (key,)))
            line = ", ".join(f"{name.rsplit('.', 1)[-1]}={values[name]:g}" if isinstance(values[name], float)
                             else f"{name.rsplit('.', 1)[-1]}={values[name]}" for name in others)
            for metric in metrics:
                rows.append({"metric": metric, "parameter": parameter, "line": line, "x": values[parameter],
                             "mean": means.loc[key, metric], "sd": deviations.loc[key, metric],
                             "n": int(counts.loc[key])})
    points = pandas.DataFrame(rows)
    for (metric, parameter), group in points.groupby(["metric", "parameter"]):
        if group.groupby("line")["x"].nunique().max() == 1:   # the other parameters move with this one
            points.loc[group.index, "line"] = ""
    return points


def plot_sweep(folder: str | os.PathLike, out: str | os.PathLike | None = None):
    """Draw a sweep folder's table into `out` (default: <folder>/sweep.png); returns the plotted
    points (see sweep_points) and the matplotlib Figure (close it when done)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = open_sweep(folder)
    points = sweep_points(table)
    metrics, parameters = table.attrs["metrics"], table.attrs["parameters"]
    figure, axes = plt.subplots(len(metrics), len(parameters), figsize=(4 * len(parameters), 2.8 * len(metrics)),
                                squeeze=False)
    for i, metric in enumerate(metrics):
        for j, parameter in enumerate(parameters):
            axis = axes[i][j]
            selected = points[(points["metric"] == metric) & (points["parameter"] == parameter)]
            for line, series in selected.groupby("line", sort=False):   # in the order of the values
                series = series.sort_values("x")
                axis.errorbar(series["x"].to_numpy(), series["mean"].to_numpy(float), yerr=series["sd"].to_numpy(float),
                              marker="o", ms=4, capsize=3, label=line or None)
            if selected["line"].ne("").any():
                axis.legend(fontsize=7)
            axis.set_xlabel(parameter)
            axis.set_ylabel(metric)
    replicates = int(points["n"].max())
    figure.suptitle(f"{Path(folder).name}: mean ± s.d. over ≤ {replicates} replicates", fontsize=10)
    figure.tight_layout()
    out = Path(out) if out is not None else Path(folder) / "sweep.png"
    figure.savefig(out, dpi=100)
    return points, figure
