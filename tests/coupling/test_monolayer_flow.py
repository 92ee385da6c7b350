"""The 3D handshake: a monolayer's vertex forces (both layers) load the egg's yolk flow once, b = Bᵀ F,
and every vertex moves with dr/dt = B v + F/ξ (docs/DESIGN.md), exactly as a sheet does in 2D."""

import numpy as np
import pytest
from scipy.optimize import fsolve, minimize
from scipy.spatial import ConvexHull

from morphosim import Simulation, tissue
from morphosim.cells import Monolayer, MonolayerModel, Sheet, VolumeElasticity, YolkElasticity
from morphosim.cells.bodies import MonolayerBody, TopologyRules
from morphosim.coupling.flow import FlowCoupling
from morphosim.errors import InputError

MU = 1.0


def dodecahedral_monolayer(apical_radius: float, basal_radius: float) -> Monolayer:
    """12 pentagonal prisms: the dual of the icosahedron, apical and basal vertices on two spheres.
    Every vertex has a three-fold symmetry axis through the centre, so its force is radial."""
    golden = (1 + 5 ** 0.5) / 2
    icosahedron = np.array([(s1, s2 * golden, 0) for s1 in (-1, 1) for s2 in (-1, 1)], float)
    icosahedron = np.concatenate([np.roll(icosahedron, k, axis=1) for k in range(3)])
    triangles = ConvexHull(icosahedron).simplices
    centres = icosahedron[triangles].mean(axis=1)
    centres /= np.linalg.norm(centres, axis=1)[:, None]
    cells = []
    for vertex, position in enumerate(icosahedron):   # the faces around each icosahedron vertex, in order
        around = np.flatnonzero((triangles == vertex).any(axis=1))
        normal = position / np.linalg.norm(position)
        first = np.cross(normal, [0.3, 0.5, 0.8])
        second = np.cross(normal, first)
        angles = np.arctan2(centres[around] @ second, centres[around] @ first)
        cells.append(around[np.argsort(angles)].tolist())
    sheet = Sheet.from_polygons(apical_radius * centres, cells, radii=(apical_radius,) * 3)
    sheet.check()
    basal = sheet.positions * (basal_radius / apical_radius)
    return Monolayer(sheet, basal)


def radial_forces(model, radii) -> np.ndarray:
    m = dodecahedral_monolayer(*radii)
    apical, basal = model.forces(m)
    return np.array([np.sum(apical * m.apical_positions) / radii[0], np.sum(basal * m.basal_positions) / radii[1]])


def equilibrium_monolayer():
    """Tensions against the cells' volume elasticity and the yolk: the radii where both layers' radial
    forces vanish (each vertex's force is radial by symmetry, so then every force is zero)."""
    reference = dodecahedral_monolayer(1.0, 0.7)
    volume = reference.volumes()[0]
    model = MonolayerModel(apical_tension=1.0, basal_tension=0.6, lateral_tension=0.8, volume_stiffness=400.0,
                           V0=1.3 * volume, Gamma=0.05, Lambda=0.02, yolk_stiffness=5.0)
    model.term(YolkElasticity).target = 1.1 * reference.yolk_volume()
    near = minimize(lambda r: model.energy(dodecahedral_monolayer(*r)), (1.0, 0.7), method="L-BFGS-B",
                    jac=lambda r: -radial_forces(model, r), bounds=[(0.5, 2.0), (0.2, 1.9)]).x
    radii = fsolve(lambda r: radial_forces(model, r), near, xtol=1e-13)   # polish the root to round-off
    return dodecahedral_monolayer(*radii), model


@pytest.fixture(scope="module")
def egg_flow():
    return FlowCoupling(tissue.StokesBrinkman(tissue.ellipsoid_volume_mesh((1.6, 1.6, 1.6), 0.35, shell=0.8),
                                              mu=MU, boundary="noslip"))


def test_no_ghost_forces_at_mechanical_equilibrium(egg_flow):
    """A monolayer under tension in equilibrium with its volumes and the yolk drives no flow;
    disturbing it does."""
    m, model = equilibrium_monolayer()
    body = MonolayerBody(m, model, xi=1.0)
    forces = body.forces()
    assert np.abs(forces).max() < 1e-11
    at_rest = egg_flow.vertex_velocity(body.positions, forces)

    disturbed = MonolayerBody(m.copy(), model, xi=1.0)
    disturbed.monolayer.basal[: m.n_vertices] *= 1.05
    moving = egg_flow.vertex_velocity(disturbed.positions, disturbed.forces())
    velocity_scale = np.abs(moving).max()
    assert velocity_scale > 1e-3
    assert np.abs(at_rest).max() < 1e-10 * velocity_scale
    # under stress: the cells are squeezed below their target volume, and the surfaces pull
    assert np.abs(m.volumes() / model.term(VolumeElasticity).V0 - 1).min() > 1e-2


def test_power_balance_and_no_net_force_in_3d(egg_flow):
    """Σ F·(B v) = b·v to round-off; internal forces of the free monolayer push no net momentum."""
    m, model = equilibrium_monolayer()
    rng = np.random.default_rng(1)
    m.apical_positions[:] += rng.normal(0.0, 0.03, m.apical_positions.shape)
    m.basal_positions[:] += rng.normal(0.0, 0.03, m.basal_positions.shape)
    body = MonolayerBody(m, model, xi=1.0)
    forces = body.forces()
    velocity = egg_flow.vertex_velocity(body.positions, forces)
    load = egg_flow.vertices.spread(forces)
    power_cells = np.sum(forces * velocity)
    assert power_cells > 0
    assert abs(power_cells - load @ egg_flow.velocity.x.array) < 1e-12 * power_cells
    assert np.abs(forces.sum(axis=0)).max() < 1e-12 * np.abs(forces).max()


def test_every_vertex_moves_with_the_flow_plus_its_own_force(egg_flow):
    """One coupled step of both layers equals r + h (B v + F/ξ) (h below the stability bound)."""
    m, model = equilibrium_monolayer()
    m.apical_positions[:] *= 1.02
    xi = 4.0
    body = MonolayerBody(m, model, xi=xi)
    simulation = Simulation(body, flow=egg_flow, dt=1e-4)
    before, forces = body.positions.copy(), body.forces()
    velocity = egg_flow.vertex_velocity(before, forces)
    simulation.step()
    expected = before + 1e-4 * (velocity + forces / xi)
    assert np.abs(body.positions - expected).max() < 1e-12
    assert np.abs(velocity).max() > 1e-3


SCENARIO = {
    "name": "monolayer in the egg",
    # non-dimensional: a handshake check, not an embryo
    "time": {"end": 0.02, "dt": 0.01},
    "cells": {
        "geometry": {"kind": "ellipsoid_shell", "n_cells": 60, "radii": [1.6, 1.0, 1.0]},
        "monolayer": {"height": 0.25, "vitelline_stiffness": 20.0},
        "mechanics": {"apical_tension": 1.0, "basal_tension": 0.8, "lateral_tension": 0.8,
                      "volume_stiffness": 30.0, "Lambda_planar": 0.1, "xi": 2.0, "t1_length": 1e-3},
    },
    "genes": {"antimony": "model m\n  species Myo = 0.2\n  dv = 0.5\n  s = 0\n  Myo' = dv + s - Myo\nend",
              "inputs": {"dv": "embryo.dv", "s": "strain.apical"},
              "outputs": {"apical_tension": {"species": "Myo", "base": 1.0, "gain": 0.5}}},
    "tissue": {"flow": {"mu": 1.0, "mesh_size": 0.5, "boundary": "slip"}},
    "output": {"path": "out.zarr"},
}


def test_a_monolayer_scenario_runs_records_and_resumes(tmp_path):
    """cells.monolayer + a volume flow from a scenario: genes read the monolayer's inputs and set its
    tensions; frames hold both layers; a resumed run repeats the uninterrupted one bit for bit."""
    from morphosim import open_run

    simulation = Simulation.from_scenario(SCENARIO, folder=tmp_path)
    assert simulation.body.kind == "monolayer"
    store = simulation.run(store=tmp_path / "whole.zarr")
    frame = open_run(store).frame(-1)
    assert frame.basal_vertices.shape == frame.vertices.shape
    heights = np.linalg.norm(frame.vertices - frame.basal_vertices, axis=1)
    assert 0.15 < heights.mean() < 0.35
    # the gene output reached the monolayer: apical tension = 1 + 0.5 Myo, cell by cell
    assert np.allclose(frame.cell_data["apical_tension"], 1.0 + 0.5 * frame.species["Myo"])
    myosin = frame.species["Myo"]
    assert myosin.max() - myosin.min() > 0.01    # dv differs around the embryo: so does Myo

    first = Simulation.from_scenario(SCENARIO, folder=tmp_path)
    first.step()
    again = Simulation.from_scenario(SCENARIO, folder=tmp_path)
    again.load_state(first.state())
    again.step()
    simulation_twice = Simulation.from_scenario(SCENARIO, folder=tmp_path)
    simulation_twice.step()
    simulation_twice.step()
    assert np.array_equal(again.body.positions, simulation_twice.body.positions)


@pytest.mark.parametrize("change, message", [
    ({"cells.mechanics.K": 1.0}, "cells.mechanics.K: is a sheet's parameter"),
    ({"genes.inputs.s": "strain.areal"}, "strain.areal is for a sheet"),
    ({"genes.outputs.A0": {"species": "Myo"}}, "A0 is for a sheet"),
    ({"cells.geometry": {"kind": "hexagonal", "rows": 4, "cols": 4}},
     "a monolayer's flow is the egg's volume"),
    ({"cells.monolayer": {"height": 0.25, "squeeze": {"axis": "y", "fraction": 0.1, "start": 0.0, "ramp": 1.0}}},
     "cells.monolayer.squeeze: presses the vitelline membrane"),
])
def test_monolayer_keys_are_checked(tmp_path, change, message):
    import copy

    scenario = copy.deepcopy(SCENARIO)
    for key_path, value in change.items():
        *parents, last = key_path.split(".")
        node = scenario
        for key in parents:
            node = node[key]
        node[last] = value
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Simulation.from_scenario(scenario, folder=tmp_path)



@pytest.mark.parametrize("collapsed", [False, True])
def test_the_coupled_rate_differenced_over_a_tenth_of_the_t1_length_is_the_tangent_one(egg_flow, collapsed):
    """With T1 swaps the coupled rate differences the forces over 0.1 t1_length, not infinitesimally
    (so that kinks below a swap, sides collapsed in one layer, do not throttle the run: measured on
    the flagship in bench/RESULTS.md). On an intact tissue, and with an apical side collapsed to 1e-6
    under its wide basal side, it is the tangent rate (power iteration on the linearised motion):
    the resolution does not blur the tissue-scale stiffness that the stability bound is for."""
    def rate(t1_length):
        m, model = equilibrium_monolayer()
        m.apical_positions[:] *= 1.03   # off equilibrium: the surfaces pull
        if collapsed:
            i, j = m.sheet.cells()[0][:2]
            m.apical_positions[j] = m.apical_positions[i] + 1e-6 * np.array([0.0, 0.0, 1.0])
        body = MonolayerBody(m, model, xi=1.0, rules=TopologyRules(t1_length=t1_length))
        simulation = Simulation(body, flow=egg_flow, dt=1e-6)
        simulation.step()
        return simulation.coupled_rate

    tangent = rate(None)
    assert tangent > 10.0   # the volume stiffness through the flow (~70 per unit time here)
    assert rate(0.05) == pytest.approx(tangent, rel=0.02)
    assert rate(0.5) != pytest.approx(tangent, rel=0.02)   # a resolution at the cells' scale would blur it
