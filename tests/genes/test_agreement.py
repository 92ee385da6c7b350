"""The batched solver reproduces tellurium/libRoadRunner (CVODE) to rtol 1e-5 along whole trajectories:
on every model in models/, on SBML test models shipped with libroadrunner, and on a model that
exercises the SBML features the compiler claims (rules, initial assignments, piecewise, ...)."""

import numpy as np
import pytest
import roadrunner.tests.TestModelFactory as test_model_factory
import tellurium as te

from morphosim.genes import load
from tests.genes.conftest import MODELS, ROADRUNNER_TESTS, TIGHT, assert_trajectories_agree

PROJECT_MODELS = sorted(MODELS.glob("*.xml"))
# each project model's input, and per-cell values of it that lead to different outcomes
INPUTS = {
    "collier_notch_delta": ("D_nbr", [0.05, 0.3, 0.9]),
    "french_flag": ("morphogen", [0.2, 0.5, 0.8]),
    "mechanosensitive_myosin": ("strain", [-0.1, 0.2, 0.5]),
    "repressilator": ("alpha", [150.0, 216.0, 300.0]),
    "ring10": ("alpha", [2.0, 4.0, 8.0]),
    "toggle_switch": ("a1", [1.0, 3.0, 5.0]),
    # the scenario library's circuits
    "morphogen_french_flag": ("morphogen", [0.05, 0.2, 0.5]),
    "excitable_myosin": ("x", [0.0, 12.9, 13.8]),
    "positional_switch": ("signal", [0.0, 1.9, 3.0]),
    "gastrulation_pattern": ("z", [0.0, 6.3, 8.0]),
    "drosophila_gastrulation": ("dv", [0.0, 0.16, 0.5]),
}

# libroadrunner's own test models, chosen for the SBML features they exercise
ROADRUNNER_MODELS = {
    "SimpleFluxManuallyReduced": "assignment rule + initial assignment",
    "ModelWithLocalParameters": "local parameters in kinetic laws",
    "test_data/species_hosu1.xml": "amount-only species in a compartment of size 2",
    "feedback.xml": "Level 2 Version 1",
}
SLOW_ROADRUNNER_MODELS = {
    "BimolecularEnd": "function definitions, boundary species",
    "linearPathwayOpen.xml": "boundary species, Level 3",
    "BatchImmigrationDeath03": "amount-only species, no compartment size",
    "CeilInRateLaw": "ceiling in a rate law",
    "Venkatraman2010": "larger Level 2 model",
    "test_data/species_conc.xml": "concentration species in a compartment of size 2",
    "named_stoic_in_kinetic_law.xml": "species reference ids used in a kinetic law",
    "test_1.xml": "Level 2 Version 4 with boundary species",
    "test_data/output_testmodel.xml": "species without initial values",
}

# Every construct the compiler claims, in one model: compartment != 1, amount-only and boundary
# species, rate rule on a parameter, assignment rule on a species, initial assignment, function
# definition, piecewise with logical operators, time dependence.
FEATURES = """
function saturating(x, K)
  x / (K + x)
end
model features
  compartment cell = 2.5
  species A in cell, B in cell, total in cell, $X in cell
  substanceOnly species M in cell
  J_make:  $X -> A; k_make * X * (1 + 0.5 * sin(time)) * cell
  J_convert: A -> B; cell * piecewise(k_fast, (B > threshold) && (time < 6), k_slow, (B <= threshold) || (time >= 6)) * A
  J_decay: B -> ; cell * k_decay * B
  J_mass:  -> M; k_mass * saturating(B, 0.5)
  J_lose:  M -> ; k_decay * M
  total := A + B
  activity' = k_activity * (saturating(B, 1) - activity)
  X = 1; A = 0.2; B = 0; M = 0.1; activity = 0
  k_make = 1; k_fast = 2; k_slow = 0.5; threshold = 0.4; k_decay = 0.3; k_mass = 1; k_activity = 2
  B = A * k_fast / 4
end
"""


def _varied_population(net, solver, method="explicit", name=None, values=None):
    """Three cells whose parameter `name` (default: the first) takes these values
    (default: 0.8, 1 and 1.25 times its default)."""
    population = net.population(3, solver=solver, method=method, **TIGHT) if solver == "batched" \
        else net.population(3, solver=solver, **TIGHT)
    name = name or population.parameter_names[0]
    population.set_parameter(name, population.get_parameter(name) * np.array([0.8, 1.0, 1.25])
                             if values is None else values)
    return population


def test_every_project_model_is_covered():
    assert sorted(INPUTS) == sorted(path.stem for path in PROJECT_MODELS)


@pytest.mark.parametrize("path", PROJECT_MODELS, ids=lambda p: p.stem)
def test_project_models_match_tellurium(path):
    net = load(path)
    name, values = INPUTS[path.stem]
    batched = _varied_population(net, "batched", name=name, values=values)
    reference = _varied_population(net, "tellurium", name=name, values=values)
    assert_trajectories_agree(batched, reference, interval=1.0, n_records=8)
    # the per-cell input really acts per cell: all three cells end in different states
    state = batched.state
    for i, j in ((0, 1), (1, 2), (0, 2)):
        assert not np.allclose(state[i], state[j], rtol=1e-3), (name, values, state)


def _roadrunner_source(name):
    if name.endswith(".xml"):
        return ROADRUNNER_TESTS / name
    return test_model_factory.TestModelFactory(name).str()


def _check_roadrunner_model(name):
    net = load(_roadrunner_source(name))
    batched = net.population(2, **TIGHT)
    reference = net.population(2, solver="tellurium", **TIGHT)
    assert_trajectories_agree(batched, reference, interval=0.5, n_records=6)


@pytest.mark.parametrize("name", ROADRUNNER_MODELS, ids=lambda n: f"{n} ({ROADRUNNER_MODELS[n]})")
def test_roadrunner_test_models_match_tellurium(name):
    _check_roadrunner_model(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW_ROADRUNNER_MODELS, ids=lambda n: f"{n} ({SLOW_ROADRUNNER_MODELS[n]})")
def test_more_roadrunner_test_models_match_tellurium(name):
    _check_roadrunner_model(name)


@pytest.mark.parametrize("method", ["explicit", "stiff"])
def test_feature_model_matches_tellurium(method):
    net = load(FEATURES)
    assert net.compartments["cell"].size == 2.5 and net.species["M"].amount_only and net.species["X"].boundary
    batched, reference = _varied_population(net, "batched", method), _varied_population(net, "tellurium")
    # the initial assignment B = A k_fast / 4 (k_fast per cell is set after it: initial values use defaults)
    assert batched.state[:, batched.species_names.index("B")] == pytest.approx(0.1)
    assert_trajectories_agree(batched, reference, interval=1.0, n_records=9)
    # the assignment rule total := A + B holds in the reported state
    names, state = batched.species_names, batched.state
    np.testing.assert_allclose(state[:, names.index("total")],
                               state[:, names.index("A")] + state[:, names.index("B")], rtol=1e-12)


def test_resized_compartment_keeps_amounts_as_tellurium_does():
    """A compartment set to a new size (a growing cell) dilutes its concentration species and leaves
    amount-only species alone, in both solvers."""
    net = load(FEATURES)
    batched, reference = (net.population(3, solver=solver, **TIGHT) for solver in ("batched", "tellurium"))
    before = {}
    for population in (batched, reference):
        population.advance(1.0)
        before[population] = population.state.copy()
        population.set_parameter("cell", [2.5, 5.0, 1.0])
    np.testing.assert_allclose(batched.state, reference.state, rtol=1e-5)
    before, names = before[batched], batched.species_names
    diluted = [names.index(name) for name in ("A", "B", "X")]
    np.testing.assert_allclose(batched.state[:, diluted], before[:, diluted] * [[1.0], [0.5], [2.5]], rtol=1e-12)
    assert np.array_equal(batched.state[:, names.index("M")], before[:, names.index("M")])
    assert_trajectories_agree(batched, reference, interval=1.0, n_records=3)


@pytest.mark.slow
def test_stiff_method_matches_tellurium_on_repressilator():
    net = load(MODELS / "repressilator.xml")
    batched = _varied_population(net, "batched", "stiff")
    reference = _varied_population(net, "tellurium")
    assert_trajectories_agree(batched, reference, interval=1.0, n_records=6)


def test_one_cell_equals_tellurium_simulate():
    """A one-cell batched population traces the same curve as tellurium's own simulate()."""
    net = load(MODELS / "repressilator.xml")
    runner = te.loadSBMLModel(net.sbml)
    runner.integrator.relative_tolerance = 1e-10
    runner.integrator.absolute_tolerance = 1e-12
    times = np.linspace(0.0, 20.0, 41)
    population = net.population(1, **TIGHT)
    selections = ["time"] + [f"[{name}]" for name in population.species_names]
    expected = runner.simulate(0.0, 20.0, len(times), selections)[:, 1:]
    trajectory = [population.state[0].copy()]
    for _ in times[1:]:
        population.advance(times[1] - times[0])
        trajectory.append(population.state[0].copy())
    np.testing.assert_allclose(np.array(trajectory), expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max())
    # it oscillates: the comparison covers more than a relaxation to a fixed point
    protein = np.array(trajectory)[:, population.species_names.index("P_lacI")]
    assert protein.max() > 10 * protein[20:].min()


def test_stiff_method_takes_large_steps_on_a_stiff_chain():
    """A -> B -> C with rates 1e4 and 1: after the fast transient the stiff method steps on the slow
    scale while the explicit one stays bounded by stability; both match the analytic solution."""
    net = load("""
    model stiff_chain
      J1: A -> B; k1 * A
      J2: B -> C; k2 * B
      k1 = 1e4; k2 = 1; A = 1; B = 0; C = 0
    end
    """)
    k1, k2, end = 1e4, 1.0, 5.0
    a = np.exp(-k1 * end)
    b = k1 / (k2 - k1) * (np.exp(-k1 * end) - np.exp(-k2 * end))
    expected = np.array([a, b, 1.0 - a - b])
    steps = {}
    for method in ("explicit", "stiff"):
        population = net.population(1, method=method, rtol=1e-6, atol=1e-10)
        population.advance(end)
        np.testing.assert_allclose(population.state[0], expected, rtol=1e-4, atol=1e-8)
        steps[method] = population.steps_taken
    assert steps["stiff"] * 20 < steps["explicit"], steps
