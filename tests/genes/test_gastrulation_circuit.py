"""The Drosophila gastrulation circuit (models/drosophila_gastrulation): the pattern it sets on the
embryo from position alone, the strain input of the mechanosensitive Twist, the onset switch, and the
batched solver against libRoadRunner on it."""

import numpy as np
import pytest

from morphosim.genes import load
from tests.genes.conftest import MODELS, TIGHT, assert_trajectories_agree

INPUTS = ("dv", "ap", "apical_strain", "mechanosensitivity", "onset")
# the model's defaults (models/drosophila_gastrulation.ant)
SIGMA_DORSAL, K_DORSAL, K_TWIST = 0.15, 0.5, 0.55
K_MYO, K_PLANAR, TAU_ONSET, DELAY_PLANAR = 0.3, 0.2, 1.0, 5.0


@pytest.fixture(scope="module")
def network():
    return load(MODELS / "drosophila_gastrulation.xml")


ONSET = 10.0   # min: the pre-pattern forms before onset (the Dorsal level is held from then on)


def embryo_cells(network, solver="batched", tolerances=None, **inputs):
    """A population with one cell per entry of the input arrays; every input the scenario feeds is set
    per cell (defaults: no strain, mechanosensitive, onset at ONSET)."""
    n_cells = len(inputs["dv"])
    population = network.population(n_cells, solver=solver, **(tolerances or {"rtol": 1e-8, "atol": 1e-10}))
    defaults = {"apical_strain": 0.0, "mechanosensitivity": 1.0, "onset": ONSET}
    for name in INPUTS:
        population.set_parameter(name, np.broadcast_to(np.asarray(inputs.get(name, defaults.get(name)), float),
                                                       (n_cells,)))
    return population


def levels(population):
    return {name: population.state[:, i] for i, name in enumerate(population.species_names)}


def switched_relaxation(k, tau, s):
    """m(s) for dm/ds = k (g(s) - m), m(0) = 0, with the onset switch g(s) = 1 - exp(-s / tau):
    m = 1 - exp(-k s) - k (exp(-s / tau) - exp(-k s)) / (k - 1 / tau)."""
    return 1 - np.exp(-k * s) - k * (np.exp(-s / tau) - np.exp(-k * s)) / (k - 1 / tau)


def crossing(x, y, level):
    """The x where the decreasing profile y(x) first falls through `level` (linear interpolation)."""
    below = np.flatnonzero(y < level)[0]
    return x[below - 1] + (y[below - 1] - level) / (y[below - 1] - y[below]) * (x[below] - x[below - 1])


@pytest.fixture(scope="module")
def pattern_at_20_minutes(network):
    """Cells on a grid over the embryo (101 DV positions x 11 AP positions), no strain, 20 min after
    onset at t = ONSET."""
    dv, ap = np.meshgrid(np.linspace(0.0, 1.0, 101), np.linspace(0.0, 1.0, 11))
    population = embryo_cells(network, dv=dv.ravel(), ap=ap.ravel())
    population.advance(ONSET + 20.0)
    return dv.ravel(), ap.ravel(), levels(population)


def test_dorsal_relaxes_to_the_measured_gaussian_until_onset_then_holds(pattern_at_20_minutes):
    """dDorsal/dt = k (1 - g(t)) (exp(-dv^2 / 2 sigma^2) - Dorsal) from 0, g the onset switch
    1 - exp(-(t - onset)/tau) after onset: Dorsal(t) = target (1 - exp(-k int_0^t (1 - g))), and
    int_0^t (1 - g) = onset + tau (1 - exp(-(t - onset)/tau)): the level reached by onset, held."""
    dv, _, species = pattern_at_20_minutes
    reading_time = ONSET + TAU_ONSET * (1 - np.exp(-20.0 / TAU_ONSET))
    expected = np.exp(-dv ** 2 / (2 * SIGMA_DORSAL ** 2)) * (1 - np.exp(-K_DORSAL * reading_time))
    np.testing.assert_allclose(species["Dorsal"], expected, rtol=1e-6, atol=1e-9)


def test_twist_and_snail_mark_a_ventral_band_12_to_18_cells_wide(pattern_at_20_minutes):
    dv, ap, species = pattern_at_20_minutes
    twist, snail = species["Twist"], species["Snail"]
    # Twist depends on DV only: the same profile at every AP position
    profile = twist[ap == 0.5]
    for a in np.unique(ap):
        np.testing.assert_allclose(twist[ap == a], profile, rtol=1e-6, atol=1e-9)
    half_width = crossing(dv[ap == 0.5], profile, 0.5)
    assert 0.13 <= half_width <= 0.2                      # measured 0.163 (14.7 cells)
    # at steady state the edge is where the Dorsal Gaussian crosses K_twist; 20 min is nearly there
    steady_edge = SIGMA_DORSAL * np.sqrt(2 * np.log(1 / K_TWIST))
    assert abs(half_width - steady_edge) < 0.005          # 0.164
    assert 12 <= 2 * half_width * 45 <= 18                # cells across the band, 90 cells around
    assert np.all((twist > 0.5) == (dv < half_width))
    assert twist[dv < 0.1].min() > 0.9 and twist[dv > 0.25].max() < 0.01
    # Snail needs Dorsal and Twist: on inside the band, off outside it
    assert snail[dv < 0.12].min() > 0.75 and snail[dv > 0.2].max() < 1e-3
    assert np.all(snail[dv > half_width] < 0.5)


def test_apical_myosin_in_the_mesoderm_and_the_posterior_midgut_only(pattern_at_20_minutes):
    dv, ap, species = pattern_at_20_minutes
    myosin = species["MyoApical"]
    mesoderm, posterior_midgut = dv < 0.12, ap > 0.89
    lateral_ectoderm = (dv > 0.25) & (ap > 0.05) & (ap < 0.75)
    assert myosin[mesoderm].min() > 0.75                  # 0.84
    assert myosin[posterior_midgut].min() > 0.9           # Fog in the whole PMG, any DV position (0.92)
    # at the pole, outside the mesoderm, the PMG cue is 1 (to 6e-4): myosin follows the onset switch
    pole = (ap == 1.0) & (dv > 0.25)
    np.testing.assert_allclose(myosin[pole], switched_relaxation(K_MYO, TAU_ONSET, 20.0), rtol=1e-3)
    assert myosin[lateral_ectoderm].max() < 1e-3
    # basal relaxation follows Snail in the mesoderm and nowhere else
    basal = species["BasalRelax"]
    assert basal[mesoderm].min() > 0.75 and basal[dv > 0.2].max() < 1e-3


def test_planar_myosin_in_the_germband_only(pattern_at_20_minutes):
    dv, ap, species = pattern_at_20_minutes
    planar = species["MyoPlanar"]
    germband = (dv > 0.22) & (dv < 0.7) & (ap > 0.19) & (ap < 0.81)
    assert planar[germband].min() > 0.8                   # 0.85 at the germband's AP ends
    # inside the germband every positional cue is 1 (to 2e-3): planar myosin follows its switch,
    # which opens 5 min after onset
    trunk = (dv > 0.22) & (dv < 0.6) & (ap > 0.29) & (ap < 0.71)
    expected = switched_relaxation(K_PLANAR, TAU_ONSET, 20.0 - DELAY_PLANAR)    # 0.938
    np.testing.assert_allclose(planar[trunk], expected, rtol=2e-3)
    outside = (dv < 0.12) | (dv > 0.9) | (ap < 0.05) | (ap > 0.95)
    assert planar[outside].max() < 0.05
    assert planar[np.isclose(ap, 0.9) | np.isclose(ap, 0.1)].max() < 0.1    # 2.5 boundary widths out


def test_myosin_programmes_wait_for_onset(network):
    """With onset at 10 min the pre-pattern forms first; apical myosin stays exactly 0 until onset and
    planar myosin until 5 min after it, then both rise."""
    population = embryo_cells(network, dv=[0.0, 0.5, 0.5], ap=[0.5, 0.5, 0.95], onset=10.0)
    population.advance(10.0)
    before = levels(population)
    assert before["Twist"][0] > 0.9 and before["Snail"][0] > 0.6
    assert np.all(before["MyoApical"] == 0.0) and np.all(before["MyoPlanar"] == 0.0)
    population.advance(5.0)
    assert np.all(population.state[:, population.species_names.index("MyoPlanar")] == 0.0)
    population.advance(15.0)
    after = levels(population)
    assert after["MyoApical"][0] > 0.85 and after["MyoApical"][2] > 0.95 and after["MyoApical"][1] < 1e-3
    assert after["MyoPlanar"][1] > 0.9 and after["MyoPlanar"][0] < 0.05


def test_cells_moving_ventrally_after_onset_keep_their_fate(network):
    """An ectodermal cell (dv 0.3) carried to the ventral midline (dv 0.02) after onset keeps its Dorsal
    level and stays Twist-off; the same move before onset makes it mesoderm."""
    population = embryo_cells(network, dv=[0.3, 0.3], ap=0.5, mechanosensitivity=0.0, onset=[ONSET, ONSET + 20.0])
    population.advance(ONSET + 2.0)
    held = levels(population)["Dorsal"].copy()
    population.set_parameter("dv", np.array([0.02, 0.02]))
    population.advance(18.0)
    species = levels(population)
    # held from onset on, but for what the onset switch's ramp still reads after the move, at 2 min:
    # D = target - (target - held) exp(-k tau (exp(-2/tau) - exp(-20/tau)))
    target = np.exp(-0.02 ** 2 / (2 * SIGMA_DORSAL ** 2))
    still_read = TAU_ONSET * (np.exp(-2.0 / TAU_ONSET) - np.exp(-20.0 / TAU_ONSET))
    expected = target - (target - held[0]) * np.exp(-K_DORSAL * still_read)
    assert species["Dorsal"][0] == pytest.approx(expected, rel=1e-4) and expected < 0.2
    assert species["Twist"][0] < 0.01
    assert species["Dorsal"][1] > 0.9 and species["Twist"][1] > 0.9


def test_compression_induces_twist_outside_the_band_only_when_mechanosensitive(network):
    """Lateral cells (dv 0.4-0.6) with 15 % apical compression: Twist rises above 0.5 with the strain
    term on and stays below 0.1 with it off; stretch or 5 % compression does not induce it."""
    dv = np.tile([0.4, 0.5, 0.6], 5)
    strain = np.repeat([-0.15, -0.15, 0.15, -0.05, 0.0], 3)
    switch = np.repeat([1.0, 0.0, 1.0, 1.0, 1.0], 3)
    population = embryo_cells(network, dv=dv, ap=0.5, apical_strain=strain, mechanosensitivity=switch)
    population.advance(ONSET + 20.0)
    species = levels(population)
    twist, myosin, snail = (species[name].reshape(5, 3) for name in ("Twist", "MyoApical", "Snail"))
    compressed, switched_off, stretched, slightly, relaxed = range(5)
    assert twist[compressed].min() > 0.5                  # 0.92
    assert twist[switched_off].max() < 0.1 and twist[stretched].max() < 0.1 and twist[relaxed].max() < 0.1
    assert twist[slightly].max() < 0.5
    # the compressed, Twist-expressing cells concentrate apical myosin (Fog plus the mechanical cue);
    # Snail, which also needs high Dorsal, stays off
    assert myosin[compressed].min() > 0.5 and myosin[switched_off].max() < 1e-3
    assert snail.max() < 1e-3


def test_switching_mechanosensitivity_off_removes_every_strain_term(network):
    """With the switch off the band is set by Dorsal alone: unstrained cells are the same with the switch
    on or off, and 30 % compression then changes nothing, in the band or outside it."""
    dv = np.tile([0.0, 0.1, 0.16, 0.3, 0.5], 3)
    switch = np.repeat([1.0, 0.0, 0.0], 5)
    strain = np.repeat([0.0, 0.0, -0.3], 5)
    population = embryo_cells(network, dv=dv, ap=0.5, apical_strain=strain, mechanosensitivity=switch)
    population.advance(ONSET + 20.0)
    on, off, off_compressed = population.state.reshape(3, 5, -1)
    np.testing.assert_array_equal(off, on)
    np.testing.assert_array_equal(off_compressed, on)
    assert on[0, population.species_names.index("Twist")] > 0.9


def test_batched_solver_matches_libroadrunner(network):
    """Mesoderm, band edge, posterior midgut, a compressed lateral cell and a late onset: the batched
    solver and CVODE agree to 1e-5 every 2.5 min over 30 min (across the onset switches)."""
    inputs = dict(dv=[0.0, 0.16, 0.5, 0.45, 0.3], ap=[0.5, 0.3, 0.95, 0.5, 0.6],
                  apical_strain=[0.0, -0.02, 0.0, -0.12, 0.05], onset=[10.0, 2.0, 0.0, 0.0, 7.5])
    batched = embryo_cells(network, tolerances=TIGHT, **inputs)
    reference = embryo_cells(network, solver="tellurium", tolerances=TIGHT, **inputs)
    assert_trajectories_agree(batched, reference, interval=2.5, n_records=12)
    # the cells took different paths: every species is high somewhere and low somewhere
    assert np.all(batched.state.max(axis=0) > 0.5) and np.all(batched.state.min(axis=0) < 0.05)
