"""SBML events in the batched solver, per cell: trigger instants against analytic times, delays with
values from the trigger or the execution time, persistence, priorities, cascades at one instant, events
at the start -- and one event-heavy cell leaves the steps of its block unchanged."""

import math

import numpy as np
import pytest

from morphosim.genes import UnsupportedSBMLError, load
from tests.genes.conftest import TIGHT

# dS/dt = -k S; each time S falls to 1/2 it is reset to 1: a sawtooth of period ln 2 / k
SAWTOOTH = """
model sawtooth
  compartment C = 1
  species S in C
  J0: S -> ; k * S
  S = 1; k = 0.5; resets = 0
  E1: at (S < 0.5): S = 1, resets = resets + 1
end
"""


def test_each_cell_resets_at_its_own_analytic_times():
    net = load(SAWTOOTH)
    pop = net.population(5, **TIGHT)
    rates = np.array([0.5, 0.9, 1.3, 2.0, 3.1])
    pop.set_parameter("k", rates)
    pop.advance(3.0)
    period = math.log(2.0) / rates
    expected = np.exp(-rates * np.mod(3.0, period))
    np.testing.assert_allclose(pop.values("S"), expected, rtol=1e-8)
    np.testing.assert_array_equal(pop.values("resets"), np.floor(3.0 / period))


def test_the_batched_solver_agrees_with_roadrunner_on_an_event_model():
    net = load(SAWTOOTH)
    batched, reference = net.population(3, **TIGHT), net.population(3, solver="tellurium", **TIGHT)
    for pop in (batched, reference):
        pop.set_parameter("k", [0.7, 1.1, 1.9])
    for _ in range(4):
        batched.advance(0.75)
        reference.advance(0.75)
        np.testing.assert_allclose(batched.state, reference.state, rtol=1e-7)
        np.testing.assert_array_equal(batched.values("resets"), reference.values("resets"))


DELAYED = """
model delayed
  compartment C = 1
  species S in C
  J0: S -> ; 0.5 * S
  S = 1; at_trigger = 0; at_execution = 0; cancelled = 0; kept = 0
  E1: at 0.5 after (time > 1), fromTrigger=true: at_trigger = S
  E2: at 0.5 after (time > 1), fromTrigger=false: at_execution = S
  // true on (0.5, 1) only: the execution at 1.5 is cancelled unless the event is persistent
  E3: at 1 after (time > 0.5 && time < 1), persistent=false: cancelled = 1
  E4: at 1 after (time > 0.5 && time < 1), persistent=true: kept = 1
end
"""


def test_delays_use_trigger_or_execution_values_and_non_persistent_events_are_cancelled():
    pop = load(DELAYED).population(2, **TIGHT)
    pop.advance(1.4)
    assert np.all(pop.values("at_trigger") == 0.0)  # not executed before t = 1.5
    pop.advance(0.6)
    np.testing.assert_allclose(pop.values("at_trigger"), math.exp(-0.5 * 1.0), rtol=1e-9)
    np.testing.assert_allclose(pop.values("at_execution"), math.exp(-0.5 * 1.5), rtol=1e-9)
    np.testing.assert_array_equal(pop.values("cancelled"), 0.0)
    np.testing.assert_array_equal(pop.values("kept"), 1.0)


INSTANT = """
model instant
  x = 3; y = 0; z = 0; w = 0; late = 0
  // at t = 1, doubled first (higher priority), then incremented: 7, not 8 (values from the execution
  // time: with values from the trigger time, Eb would set x = 3 + 1 after Ea)
  Ea: at (time > 1), priority=2, fromTrigger=false: x = 2 * x
  Eb: at (time > 1), priority=1, fromTrigger=false: x = x + 1
  // triggered by Ea/Eb's assignments at the same instant: a cascade
  Ec: at (x > 6.5): y = x
  // true at the start: fires at t = 0 when initialValue (t0) is false, never when it is true
  Ed: at (time >= 0), t0=false: z = 1
  Ee: at (time >= 0), t0=true: w = 1
  Ef: at (time > 1), priority=3, fromTrigger=true: late = x
end
"""


def test_priorities_cascades_and_events_at_the_start():
    pop = load(INSTANT).population(2)
    np.testing.assert_array_equal(pop.values("z"), 1.0)
    np.testing.assert_array_equal(pop.values("w"), 0.0)
    pop.advance(2.0)
    np.testing.assert_array_equal(pop.values("x"), 7.0)
    np.testing.assert_array_equal(pop.values("y"), 7.0)
    # values from the trigger time: x before Ea and Eb executed, although Ef executes first anyway
    np.testing.assert_array_equal(pop.values("late"), 3.0)


# a harmonic oscillator in every cell; a cell counts its upward crossings of u = threshold
OSCILLATOR = """
model oscillator
  u' = v
  v' = -u
  u = 1; v = 0; threshold = 2; crossings = 0; last = -1
  E1: at (u > threshold): crossings = crossings + 1, last = time
end
"""


def test_an_event_heavy_cell_does_not_change_the_steps_of_its_block():
    """Cell 0 crosses u = 0.5 (at t = 5 pi / 3 + 2 pi n, and at once when its threshold is set below
    u(0) = 1); the other 63 never cross u = 2. The block takes the same steps as when no cell has events,
    and the other cells' states are bit for bit the same."""
    net = load(OSCILLATOR)
    thresholds = np.full(64, 2.0)
    quiet, busy = net.population(64, block_size=64), net.population(64, block_size=64)
    quiet.set_parameter("threshold", thresholds)
    thresholds[0] = 0.5
    busy.set_parameter("threshold", thresholds)
    quiet.advance(20.0)
    busy.advance(20.0)
    assert busy.steps_taken == quiet.steps_taken
    assert busy.event_steps > 0 and quiet.event_steps == 0
    np.testing.assert_array_equal(busy.state[1:], quiet.state[1:])
    assert busy.values("crossings")[0] == 1 + 3 and np.all(busy.values("crossings")[1:] == 0)
    np.testing.assert_allclose(busy.values("last")[0], 5 * math.pi / 3 + 4 * math.pi, rtol=1e-7)


def test_event_state_follows_cells_through_division_and_checkpoints():
    net = load(DELAYED)
    pop = net.population(2, **TIGHT)
    pop.advance(1.2)  # E1, E2 and E4 are waiting
    pop.add_cells([1])
    pop.remove_cells([0])
    restored = net.population(2, **TIGHT)
    restored.set_solver_state({name: np.array(values) for name, values in pop.solver_state().items()})
    for population in (pop, restored):
        population.advance(0.8)
        np.testing.assert_allclose(population.values("at_trigger"), math.exp(-0.5), rtol=1e-9)
        np.testing.assert_array_equal(population.values("kept"), 1.0)
    np.testing.assert_array_equal(restored.state, pop.state)


def test_events_with_the_stiff_method_are_refused():
    with pytest.raises(UnsupportedSBMLError, match=r"events with method='stiff'"):
        load(SAWTOOTH).population(2, method="stiff")
