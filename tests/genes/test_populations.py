"""Cell bookkeeping: per-cell inputs, division, removal, set_state, determinism, argument checks."""

import numpy as np
import pytest

from morphosim.genes import SBMLError, load
from tests.genes.conftest import MODELS, TIGHT


@pytest.fixture(scope="module")
def toggle():
    return load(MODELS / "toggle_switch.xml")


@pytest.mark.parametrize("solver", ["batched", "tellurium"])
def test_per_cell_inputs_flip_the_toggle_switch_per_cell(toggle, solver):
    """a1 < a2 settles on V high, a1 > a2 on U high: each cell follows its own input."""
    population = toggle.population(4, solver=solver, **TIGHT)
    population.set_state({"U": 1.0, "V": 1.0})
    population.set_parameter("a1", [1.0, 5.0, 1.0, 5.0])
    population.advance(30.0)
    u, v = population.state[:, 0], population.state[:, 1]
    assert population.species_names == ("U", "V")
    np.testing.assert_array_equal(u > v, [False, True, False, True])
    np.testing.assert_array_equal(population.get_parameter("a1"), [1.0, 5.0, 1.0, 5.0])
    # the fixed point u = a1 / (1 + v^2), v = a2 / (1 + u^2) of the winning state
    np.testing.assert_allclose(u, population.get_parameter("a1") / (1 + v**2), rtol=1e-6)
    np.testing.assert_allclose(v, population.get_parameter("a2") / (1 + u**2), rtol=1e-6)


@pytest.mark.parametrize("solver", ["batched", "tellurium"])
def test_division_and_removal_keep_the_right_states(toggle, solver):
    population = toggle.population(5, solver=solver, **TIGHT)
    rng = np.random.default_rng(3)
    population.set_state(rng.uniform(0.0, 3.0, size=(5, 2)))
    population.set_parameter("a2", [2.0, 2.5, 3.0, 3.5, 4.0])
    population.advance(0.5)
    before = population.state.copy()
    population.add_cells([3, 0, 3])
    assert len(population) == 8
    np.testing.assert_array_equal(population.state[:5], before)
    np.testing.assert_array_equal(population.state[5:], before[[3, 0, 3]])
    np.testing.assert_array_equal(population.get_parameter("a2")[5:], [3.5, 2.0, 3.5])
    population.remove_cells([1, 5])
    kept = [0, 2, 3, 4, 6, 7]
    np.testing.assert_array_equal(population.state, np.vstack([before, before[[3, 0, 3]]])[kept])
    np.testing.assert_array_equal(population.get_parameter("a2"), np.array([2.0, 2.5, 3.0, 3.5, 4.0, 3.5, 2.0, 3.5])[kept])
    # daughters keep evolving like their mothers (new order: c0 c2 c3 c4, daughters of c0 and c3)
    population.advance(2.0)
    np.testing.assert_allclose(population.state[4], population.state[0], rtol=1e-7)
    np.testing.assert_allclose(population.state[5], population.state[2], rtol=1e-7)


def test_batched_division_then_advance_matches_tellurium(toggle):
    populations = [toggle.population(3, solver=solver, **TIGHT) for solver in ("batched", "tellurium")]
    for population in populations:
        population.set_parameter("a1", [1.0, 2.0, 4.0])
        population.advance(1.0)
        population.add_cells([2, 1])
        population.remove_cells([0])
        population.set_parameter("a1", [1.5, 2.5, 3.5, 4.5])
        population.advance(3.0)
    np.testing.assert_allclose(populations[0].state, populations[1].state, rtol=1e-5)


def test_results_do_not_depend_on_threads_or_repeats(toggle, monkeypatch):
    import morphosim.genes.populations as populations

    def run():
        population = toggle.population(300, rtol=1e-6, atol=1e-9, block_size=16)
        population.set_parameter("a1", np.linspace(1.0, 5.0, 300))
        population.advance(2.0)
        return population.state.copy()

    first = run()
    np.testing.assert_array_equal(run(), first)
    monkeypatch.setattr(populations, "THREADS", 1)
    np.testing.assert_array_equal(run(), first)


def test_many_cells_across_blocks_match_single_cell_results(toggle):
    """Cells sharing a block with other cells still meet the tolerance on their own."""
    a1 = np.linspace(1.0, 5.0, 200)
    population = toggle.population(200, block_size=64, **TIGHT)
    population.set_parameter("a1", a1)
    population.advance(5.0)
    for i in (0, 63, 64, 199):
        single = toggle.population(1, **TIGHT)
        single.set_parameter("a1", a1[i])
        single.advance(5.0)
        np.testing.assert_allclose(population.state[i], single.state[0], rtol=1e-7)


def test_unknown_names_and_bad_shapes_are_refused(toggle):
    population = toggle.population(3)
    with pytest.raises(SBMLError, match=r"'alpha' is not a settable parameter.*valid parameters: a1, a2"):
        population.set_parameter("alpha", 1.0)
    with pytest.raises(SBMLError, match=r"'W' is not a species.*valid species: U, V"):
        population.set_state({"W": 1.0})
    with pytest.raises(ValueError, match=r"expected a scalar or 3 values"):
        population.set_parameter("a1", [1.0, 2.0])
    with pytest.raises(ValueError, match=r"expected shape \(3, 2\)"):
        population.set_state(np.zeros((2, 2)))
    with pytest.raises(IndexError, match="add_cells"):
        population.add_cells([3])
    with pytest.raises(ValueError, match="solver must be"):
        toggle.population(3, solver="cvode")


def test_state_is_a_read_only_view(toggle):
    population = toggle.population(2)
    with pytest.raises(ValueError):
        population.state[0, 0] = 1.0
    population.set_state(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(population.state, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("solver", ["batched", "tellurium"])
def test_solver_state_round_trip_continues_bit_identically(solver):
    """A population restored from solver_state() (a checkpoint) continues exactly like the original."""
    network = load(MODELS / "repressilator.xml")
    original = network.population(3, solver=solver, rtol=1e-8, atol=1e-10)
    original.set_state(original.state * np.array([[1.0], [1.5], [2.0]]))
    original.set_parameter("beta", [4.0, 5.0, 6.0])  # read per cell from here on; the others stay compiled in
    original.advance(2.0)
    restored = network.population(3, solver=solver, rtol=1e-8, atol=1e-10)
    restored.set_solver_state({name: np.array(values) for name, values in original.solver_state().items()})
    original.advance(3.0)
    restored.advance(3.0)
    assert restored.time == original.time
    assert np.array_equal(restored.state, original.state)


def test_parameters_compiled_in_follow_when_they_become_per_cell():
    """A parameter is a literal in the generated code until it is set; from then on each cell reads its
    own value, mid-run as well: the populations stay with tellurium through the switch."""
    network = load(MODELS / "ring10.xml")
    batched, reference = (network.population(3, solver=solver, **TIGHT) for solver in ("batched", "tellurium"))
    assert batched.module.INPUT_ROWS.size == 0
    for population in (batched, reference):
        population.advance(1.0)
        population.set_parameter("delta", [0.5, 1.0, 2.0])
    assert [batched.parameter_names[row] for row in batched.module.INPUT_ROWS] == ["delta"]
    for population in (batched, reference):
        population.advance(2.0)
    np.testing.assert_allclose(batched.state, reference.state, rtol=1e-5)
    # the cells really differ: faster decay, lower levels
    assert batched.state[2].sum() < 0.8 * batched.state[0].sum()


def test_a_blow_up_stops_with_the_cells_named():
    """x' = x^2 from x = 1 reaches infinity at t = 1: the explicit step keeps being rejected (infinite
    or NaN error estimates reject it too) until advance gives up, naming the block of cells."""
    network = load("model blow_up\n  J0: -> x; k * x^2\n  k = 1; x = 1\nend\n")
    population = network.population(20)
    population.set_parameter("k", np.r_[np.zeros(10), np.ones(10)])
    with pytest.raises(RuntimeError, match=r"explicit integrator needed a step too small for the time to resolve .* cells 0\.\.19"):
        population.advance(2.0)


VALUES_MODEL = """
model values_model
  compartment C = 2
  species S in C
  J0: S -> ; k * S
  S = 1; k = 0.5; q = 0
  q' = 1
  a := 3 * S + q
end
"""


@pytest.mark.parametrize("solver", ["batched", "tellurium"])
def test_values_reads_species_rate_and_assignment_rule_parameters_and_compartments(solver):
    """The rate k S is in amount per time, so S = exp(-k t / C); q = t (rate rule), a = 3 S + q
    (assignment rule), C constant, the rate of J0 is k S: all per cell."""
    population = load(VALUES_MODEL).population(3, solver=solver, **TIGHT)
    population.set_parameter("k", [0.5, 1.0, 2.0])
    population.advance(1.5)
    k = np.array([0.5, 1.0, 2.0])
    concentration = np.exp(-1.5 * k / 2.0)
    np.testing.assert_allclose(population.values("S"), concentration, rtol=1e-8)
    np.testing.assert_allclose(population.values("q"), 1.5, rtol=1e-10)
    np.testing.assert_allclose(population.values("a"), 3 * concentration + 1.5, rtol=1e-8)
    np.testing.assert_array_equal(population.values("C"), 2.0)
    np.testing.assert_array_equal(population.values("k"), k)
    np.testing.assert_allclose(population.values("J0"), k * population.values("S"), rtol=1e-12)
    with pytest.raises(SBMLError, match="'nope' is not a species, parameter, compartment or reaction"):
        population.values("nope")
