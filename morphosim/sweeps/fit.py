"""Fitting a few scenario parameters to measured numbers: approximate Bayesian computation by
sequential Monte Carlo (ABC-SMC, pyABC) with every simulation a task on a dask.distributed cluster.

    base: toggle.yaml                                  # the scenario every simulation starts from
    parameters:                                        # key path -> prior
      genes.parameters.a1: {uniform: [1.0, 5.0]}
      cells.mechanics.Lambda: {loguniform: [0.01, 1.0]}
      cells.mechanics.Gamma: {normal: [0.04, 0.01]}    # mean, standard deviation
    metrics:                                           # as in a sweep file
      U: {species_mean: {species: U}}
    targets:                                           # metric -> measured value, or {value, scale}
      U: 2.6
    distance: {p: 2}                                   # (Σ_m |(x_m − target_m) / scale_m|^p)^(1/p)
    population: 50                                     # particles per generation
    generations: 5                                     # at most; stops earlier at min_epsilon
    min_epsilon: 0.0
    seed: 0                                            # the particles' random draws (default 0)
    output: out/fit                                    # posterior.csv, posterior.png, pyABC's fit.db

ABC-SMC draws parameters from the prior, simulates, keeps those whose distance to the targets is
below a tolerance ε, and repeats from the kept ones (perturbed) with ε lowered to the median
distance of the last generation; the last generation's weighted particles are the posterior.
Each simulation runs without a store (its metrics read the final frame, see metrics.FinalState)
with the base scenario's seed. Each particle is one task that draws (and redraws until accepted)
from its own random stream, seeded by the fit's `seed`, the generation and the particle's place: the
same fit file gives the same posterior bit for bit, on any number of workers and whichever task
finishes first.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from morphosim.scenario import ScenarioError
from morphosim.scenario.schema import Either, Dictionary, ListOf, Mapping, Number, Text

from .clusters import BatchCluster, connect
from .metrics import FinalState, compute_metrics
from .spec import METRIC, check_overrides, read_document

PRIOR = Either((
    Mapping({"uniform": ListOf(Number(), length=2)}, required=("uniform",)),
    Mapping({"loguniform": ListOf(Number(minimum=0, exclusive_minimum=True), length=2)}, required=("loguniform",)),
    Mapping({"normal": ListOf(Number(), length=2)}, required=("normal",)),
), label="{uniform: [lo, hi]}, {loguniform: [lo, hi]} or {normal: [mean, sd]}")
TARGET = Either((Number(), Mapping({"value": Number(), "scale": Number(minimum=0, exclusive_minimum=True,
                                                                        default=1.0)}, required=("value",))),
                label="a number or {value, scale}")
FIT = Mapping({
    "base": Text(),
    "parameters": Dictionary(PRIOR),
    "metrics": Dictionary(METRIC),
    "targets": Dictionary(TARGET),
    "distance": Mapping({"p": Number(minimum=1, default=2.0)}, default={"p": 2.0}),
    "population": Number(minimum=2, integer=True, default=100),
    "generations": Number(minimum=1, integer=True, default=5),
    "min_epsilon": Number(minimum=0, default=0.0),
    "seed": Number(minimum=0, integer=True, default=0),
    "output": Text(),
}, required=("base", "parameters", "metrics", "targets", "output"))


def prior_sample_point(prior: dict) -> float:
    """A value the prior gives weight to (its centre), for checking the scenario accepts the key."""
    if "uniform" in prior:
        return float(np.mean(prior["uniform"]))
    if "loguniform" in prior:
        return float(np.sqrt(np.prod(prior["loguniform"])))
    return float(prior["normal"][0])


def load_fit(path: str | os.PathLike) -> dict:
    """Read and check a fit file: the schema, priors with lo < hi (sd > 0), every target a metric,
    and the base scenario accepting every fitted key. Raises ScenarioError listing every problem."""
    spec, context, report = read_document(path, FIT, "fit")
    if spec is not None and not context.problems:
        for name, prior in spec["parameters"].items():
            (kind, (first, second)), = prior.items()
            if kind != "normal" and not first < second:
                report(f"parameters.{name}.{kind}", f"the lower bound ({first:g}) must be below the upper ({second:g})")
            if kind == "normal" and not second > 0:
                report(f"parameters.{name}.normal", f"the standard deviation must be > 0, got {second:g}")
        for name in spec["targets"]:
            if name not in spec["metrics"] and name.partition(".")[0] not in spec["metrics"]:
                report(f"targets.{name}", f"not a metric of this file (metrics: {', '.join(spec['metrics'])})")
        spec["targets"] = {name: target if isinstance(target, dict) else {"value": target, "scale": 1.0}
                           for name, target in spec["targets"].items()}
        overrides = [f"{key}={prior_sample_point(prior)!r}" for key, prior in spec["parameters"].items()]
        if not context.problems:
            check_overrides(spec["base"], overrides, "parameters", spec["parameters"], "a prior's centre", report)
    if context.problems:
        raise ScenarioError(context.problems)
    return spec


def simulate(parameters, *, base: str, metrics: dict, targets: list[str], folder: str) -> dict[str, float]:
    """One ABC simulation: the base scenario with the drawn parameters, run to its end; the targeted
    metrics of its final state (inf for a run that fails, which ABC then rejects)."""
    from morphosim import Simulation
    from morphosim.coupling import SimulationFailure
    from morphosim.errors import InputError
    from morphosim.threads import configure

    configure()
    overrides = [f"{key}={float(value)!r}" for key, value in dict(parameters).items()]
    try:
        simulation = Simulation.from_scenario(base, overrides)
        simulation.run()
        values = compute_metrics(FinalState(simulation), metrics, Path(folder))
    except (SimulationFailure, InputError, FloatingPointError):
        return {name: np.inf for name in targets}
    return {name: values[name] for name in targets}


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, quantiles) -> np.ndarray:
    """Quantiles of a weighted sample: the inverse of its cumulative weight, interpolated between
    the midpoints of each particle's weight."""
    order = np.argsort(values)
    values, weights = values[order], weights[order] / weights.sum()
    midpoints = np.cumsum(weights) - weights / 2
    return np.interp(quantiles, midpoints, values)


@dataclass
class FitResult:
    """A finished fit: the last generation's particles (one column per parameter, weight,
    distance), the posterior summary (per parameter: weighted mean, sd, 5 %, 50 %, 95 %), the ε of
    every generation and pyABC's History (every generation, in output/fit.db)."""

    particles: object
    summary: object
    epsilons: list[float]
    history: object


def summarise(particles, parameters) -> object:
    import pandas

    weights = particles["weight"].to_numpy()
    rows = {}
    for name in parameters:
        values = particles[name].to_numpy()
        mean = float(np.average(values, weights=weights))
        q05, q50, q95 = weighted_quantiles(values, weights, [0.05, 0.5, 0.95])
        rows[name] = {"mean": mean, "sd": float(np.sqrt(np.average((values - mean) ** 2, weights=weights))),
                      "q05": q05, "median": q50, "q95": q95}
    return pandas.DataFrame.from_dict(rows, orient="index").rename_axis("parameter")


def fit(spec: str | os.PathLike | dict, client=None, *, workers: int = 2, threads_per_worker: int = 1,
        scheduler: str | None = None, cluster: BatchCluster | None = None, progress: bool = False) -> FitResult:
    """Fit a fit file's parameters by ABC-SMC on a dask cluster (as `sweep` chooses it) and write
    output/posterior.csv (particles), posterior_summary.csv and posterior.png."""
    import logging

    import pyabc

    from .runner import claim_output
    from .seeded_sampler import SeededSampler

    spec = load_fit(spec) if not isinstance(spec, dict) else spec
    folder = Path(spec["output"])
    claim_output(folder, "fit", {"base": spec["base"], "parameters": list(spec["parameters"])})
    parameters = list(spec["parameters"])
    priors = pyabc.Distribution(**{name: _random_variable(prior) for name, prior in spec["parameters"].items()})
    targets = spec["targets"]
    model = partial(simulate, base=spec["base"], metrics=spec["metrics"], targets=list(targets), folder=spec["folder"])
    distance = pyabc.PNormDistance(p=spec["distance"]["p"],
                                   fixed_weights={name: 1.0 / target["scale"] for name, target in targets.items()})
    logging.getLogger("ABC").setLevel(logging.INFO if progress else logging.WARNING)
    with connect(client, workers=workers, threads_per_worker=threads_per_worker, scheduler=scheduler,
                 cluster=cluster) as client:
        client.wait_for_workers(1)    # a batch cluster's jobs may still be queued
        if progress:
            print(f"fit: {len(parameters)} parameter{'s' * (len(parameters) > 1)}, {spec['population']} particles × ≤ {spec['generations']} "
                  f"generations; dashboard {client.dashboard_link}", file=sys.stderr)
        abc = pyabc.ABCSMC(model, priors, distance, population_size=spec["population"],
                           sampler=SeededSampler(client, spec["seed"]))
        abc.new(f"sqlite:///{folder / 'fit.db'}", {name: target["value"] for name, target in targets.items()})
        history = abc.run(minimum_epsilon=spec["min_epsilon"], max_nr_populations=spec["generations"])
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    particles = frame.reset_index(drop=True)[parameters].assign(weight=weights / weights.sum())
    result = FitResult(particles, summarise(particles, parameters),
                       history.get_all_populations().query("t >= 0")["epsilon"].tolist(), history)
    particles.to_csv(folder / "posterior.csv", index=False)
    result.summary.to_csv(folder / "posterior_summary.csv")
    plot_posterior(result, spec, folder / "posterior.png")
    return result


def _random_variable(prior: dict):
    import pyabc

    (kind, (first, second)), = prior.items()
    if kind == "uniform":
        return pyabc.RV("uniform", first, second - first)
    if kind == "loguniform":
        return pyabc.RV("loguniform", first, second)
    return pyabc.RV("norm", first, second)


def plot_posterior(result: FitResult, spec: dict, path: Path) -> None:
    """One panel per parameter: the weighted histogram of every generation (light to dark) over
    the prior's range, and the last one's median and 90 % interval."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(spec["parameters"])
    generations = [result.history.get_distribution(m=0, t=t) for t in range(result.history.max_t + 1)]
    colours = plt.cm.viridis(np.linspace(0.85, 0.0, len(generations)))
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.2), squeeze=False)
    for axis, name in zip(axes[0], names):
        (kind, bounds), = spec["parameters"][name].items()
        if kind == "normal":
            drawn = [frame[name] for frame, _ in generations]
            bounds = [min(values.min() for values in drawn), max(values.max() for values in drawn)]
        bins = (np.geomspace if kind == "loguniform" else np.linspace)(*bounds, 60)
        for t, ((frame, weights), colour) in enumerate(zip(generations, colours)):
            axis.hist(frame[name], bins=bins, weights=weights, density=True, histtype="step", color=colour,
                      label=f"generation {t}" if t in (0, len(generations) - 1) else None)
        row = result.summary.loc[name]
        axis.axvspan(row["q05"], row["q95"], color="tab:orange", alpha=0.25, label="90 % interval")
        axis.axvline(row["median"], color="tab:orange", lw=1, label=f"median {row['median']:.4g}")
        axis.set_xscale("log" if kind == "loguniform" else "linear")
        axis.set_xlim(*bounds)
        axis.set_xlabel(name)
        axis.set_ylabel("posterior density")
        axis.legend(fontsize=7)
    figure.suptitle(f"ABC-SMC: {len(result.epsilons)} generations, final ε {result.epsilons[-1]:.3g}", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
