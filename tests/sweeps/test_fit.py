"""ABC-SMC fits on a real 2-worker dask LocalCluster: a parameter whose true value made the target
is recovered inside the posterior's 90 % interval, which is much narrower than the prior."""

from pathlib import Path

import pandas
import pytest

import morphosim
from morphosim.cli import main
from morphosim.sweeps import FinalState, compute_metrics

MODELS = Path(__file__).resolve().parents[2] / "models"
TRUE_A1 = 3.0

# 16 cells each running the toggle switch (Gardner et al. 2000) for 4 time units: the mean of U
# rises steeply and monotonically with U's synthesis rate a1 (U ≈ a1 once V is repressed).
TOGGLE = f"""\
name: toggle_tiny
seed: 1
time: {{end: 4.0, dt: 0.25, record_every: 4.0}}
cells:
  geometry: {{kind: hexagonal, rows: 4, cols: 4, periodic: true}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}}
genes:
  model: {MODELS / "toggle_switch.xml"}
  parameters: {{a1: 3.0, a2: 3.0}}
output: {{path: unused.zarr}}
"""

FIT = """\
base: toggle.yaml
parameters:
  genes.parameters.a1: {{uniform: [1.0, 5.0]}}
metrics:
  U: {{species_mean: {{species: U}}}}
targets:
  U: {target!r}
population: 30
generations: 4
output: fit
"""

METRICS = {"U": {"species_mean": {"species": "U"}}}


@pytest.fixture
def target(tmp_path):
    """The target: U's mean simulated at the true a1, read from the run's store; the in-memory final
    state a fit's simulations use gives the same number."""
    (tmp_path / "toggle.yaml").write_text(TOGGLE)
    simulation = morphosim.Simulation.from_scenario(tmp_path / "toggle.yaml", [f"genes.parameters.a1={TRUE_A1}"])
    simulation.run(store=tmp_path / "target.zarr")
    stored = compute_metrics(morphosim.open_run(tmp_path / "target.zarr"), METRICS, tmp_path)["U"]
    assert compute_metrics(FinalState(simulation), METRICS, tmp_path)["U"] == stored
    return stored


def test_abc_recovers_the_parameter_that_made_the_target(tmp_path, target):
    (tmp_path / "fit.yaml").write_text(FIT.format(target=target))
    assert main(["fit", str(tmp_path / "fit.yaml"), "--workers", "2"]) == 0
    summary = pandas.read_csv(tmp_path / "fit" / "posterior_summary.csv", index_col="parameter")
    a1 = summary.loc["genes.parameters.a1"]
    assert a1["q05"] <= TRUE_A1 <= a1["q95"]
    assert a1["q95"] - a1["q05"] < 0.25 * (5.0 - 1.0)       # the data taught it something: the prior's 90 % is 3.6
    particles = pandas.read_csv(tmp_path / "fit" / "posterior.csv")
    assert len(particles) == 30 and particles["weight"].sum() == pytest.approx(1.0)
    assert particles["genes.parameters.a1"].between(1.0, 5.0).all()
    assert a1["mean"] == pytest.approx((particles["genes.parameters.a1"] * particles["weight"]).sum(), rel=1e-12)
    assert (tmp_path / "fit" / "posterior.png").stat().st_size > 10_000


def test_bad_fit_files_are_one_line_errors_naming_the_key(tmp_path, capsys):
    (tmp_path / "toggle.yaml").write_text(TOGGLE)
    fit_file = tmp_path / "fit.yaml"
    for wrong, expected in (
        (("{uniform: [1.0, 5.0]}", "{uniform: [5.0, 1.0]}"),
         "fit.yaml:3: parameters.genes.parameters.a1.uniform: the lower bound (5) must be below the upper (1)"),
        (("{uniform: [1.0, 5.0]}", "{gamma: [1.0, 5.0]}"), "fit.yaml:3: parameters.genes.parameters.a1: expected"),
        (("  U: 2.5", "  V: 2.5"), "fit.yaml:7: targets.V: not a metric of this file (metrics: U)"),
        (("genes.parameters.a1:", "genes.parameters.a9:"), "parameters.genes.parameters.a9"),
        (("population: 30", "population: 1"), "fit.yaml:8: population: expected an integer >= 2"),
    ):
        fit_file.write_text(FIT.format(target=2.5).replace(*wrong))
        assert main(["fit", str(fit_file)]) == 2
        err = capsys.readouterr().err
        assert expected in err, err
    assert not (tmp_path / "fit").exists()


def test_a_simulation_that_fails_is_infinitely_far_from_the_targets(tmp_path):
    """ABC rejects a failed run instead of stopping: a line tension that turns cells inside out
    (Lambda = -3, as in the sweep test) gives an infinite distance; the true one the target."""
    from morphosim.sweeps.fit import simulate

    (tmp_path / "toggle.yaml").write_text(TOGGLE.replace("{kind: hexagonal, rows: 4, cols: 4, periodic: true}",
                                                         "{kind: voronoi, n_cells: 16, box: [4, 4], periodic: true}"))
    run = dict(base=str(tmp_path / "toggle.yaml"), metrics=METRICS, targets=["U"], folder=str(tmp_path))
    assert simulate({"cells.mechanics.Lambda": -3.0}, **run) == {"U": float("inf")}
    simulation = morphosim.Simulation.from_scenario(tmp_path / "toggle.yaml")
    simulation.run()
    assert simulate({"genes.parameters.a1": TRUE_A1}, **run) == compute_metrics(FinalState(simulation), METRICS,
                                                                                 tmp_path)


def test_a_fit_is_the_same_bit_for_bit_on_one_and_two_workers(tmp_path):
    """Each particle draws from its own stream (the fit's seed, generation, place), so the posterior
    depends neither on the number of workers nor on which task finishes first; another seed gives
    other particles. (One generation after the calibration sample: the seeding is the same in each.)"""
    from distributed import Client

    from morphosim.sweeps.clusters import local_cluster

    (tmp_path / "toggle.yaml").write_text(TOGGLE)

    def fit(name, client, seed):
        (tmp_path / f"{name}.yaml").write_text(FIT.format(target=2.6).replace("population: 30", "population: 6")
                                               .replace("generations: 4", f"generations: 1\nseed: {seed}")
                                               .replace("output: fit", f"output: {name}"))
        return morphosim.fit(tmp_path / f"{name}.yaml", client).particles

    with local_cluster(1, 1) as cluster, Client(cluster) as client:
        one = fit("one", client, 0)
    with local_cluster(2, 1) as cluster, Client(cluster) as client:
        two, other = fit("two", client, 0), fit("other", client, 1)
    pandas.testing.assert_frame_equal(one, two, check_exact=True)
    assert not one["genes.parameters.a1"].equals(other["genes.parameters.a1"])
