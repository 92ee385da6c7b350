"""Cells <-> tissue handshake: b = Bᵀ F, dr/dt = B v + F/ξ (docs/DESIGN.md), with real DOLFINx flow."""

import numpy as np
import pytest

from morphosim import tissue
from morphosim.cells import Sheet, VertexModel, relax
from morphosim.cells.bodies import SheetBody
from morphosim.coupling.flow import FlowCoupling
from morphosim.coupling.simulation import Simulation

MU = 1.0


def periodic_flow(sheet: Sheet, mesh_size: float = 0.6, gamma: float = 0.1) -> FlowCoupling:
    mesh = tissue.rectangle_mesh(sheet.box[0], sheet.box[1], mesh_size, periodic=True)
    return FlowCoupling(tissue.StokesBrinkman(mesh, mu=MU, gamma=gamma))


def test_no_ghost_forces_at_mechanical_equilibrium():
    """A tissue under tension but in equilibrium drives no flow; disturbing it does."""
    sheet = Sheet.voronoi(40, box=(7.0, 7.0), periodic=True, lloyd=3, seed=4)
    model = VertexModel(K=1.0, A0=1.2, Gamma=0.05, Lambda=0.1)
    result = relax(sheet, model, tolerance=1e-13)
    assert result["converged"]
    flow = periodic_flow(sheet)
    forces = model.forces(sheet)
    at_rest = flow.vertex_velocity(sheet.positions, forces)

    disturbed = sheet.copy()
    disturbed.vertices[: disturbed.n_vertices, :2] += np.random.default_rng(0).normal(
        0, 0.05, (disturbed.n_vertices, 2))
    moving = flow.vertex_velocity(disturbed.positions, model.forces(disturbed))
    velocity_scale = np.abs(moving).max()
    assert velocity_scale > 1e-3
    assert np.abs(at_rest).max() < 1e-10 * velocity_scale
    # and the tissue is really under stress: the cells' pressure K(A - A0) is not zero
    assert np.abs(model.geometry.area[: sheet.n_cells] - 1.2).max() > 1e-2


def test_power_and_force_balance_of_the_coupled_step():
    sheet = Sheet.voronoi(40, box=(7.0, 7.0), periodic=True, lloyd=1, seed=5)
    model = VertexModel(K=1.0, A0=np.linspace(0.8, 1.6, sheet.n_cells), Gamma=0.05, Lambda=0.1)
    flow = periodic_flow(sheet)
    forces = model.forces(sheet)
    velocity_at_vertices = flow.vertex_velocity(sheet.positions, forces)
    load = flow.vertices.spread(forces)
    power_cells = np.sum(forces * velocity_at_vertices)
    power_fluid = load @ flow.velocity.x.array
    assert power_cells > 0                          # the flow goes with the forces
    assert abs(power_cells - power_fluid) < 1e-12 * abs(power_cells)
    # internal forces of a free (periodic) tissue sum to zero: no net momentum into the fluid
    assert np.abs(forces.sum(axis=0)).max() < 1e-12 * np.abs(forces).max()
    assert np.abs(load.reshape(-1, 2).sum(axis=0)).max() < 1e-10 * np.abs(load).max()


def test_vertices_move_with_the_flow_plus_slip():
    """One step of dr/dt = B v + F/ξ equals the explicit formula (small step, no topology)."""
    sheet = Sheet.voronoi(30, box=(6.0, 6.0), periodic=True, lloyd=1, seed=2)
    model = VertexModel(K=1.0, A0=1.5, Gamma=0.05, Lambda=0.1)
    xi = 2.0
    flow = periodic_flow(sheet)
    forces = model.forces(sheet).copy()
    expected = sheet.positions + 1e-3 * (flow.vertex_velocity(sheet.positions, forces) + forces / xi)
    simulation = Simulation(SheetBody(sheet, model, xi), flow=periodic_flow(sheet))
    simulation.step(1e-3)          # no topology rules: the step is the motion alone
    moved = sheet.positions
    np.testing.assert_allclose(moved[:, :2], np.mod(expected[:, :2], sheet.box[:2]), atol=1e-12)


@pytest.mark.parametrize("cell_substeps", [1, 2])
def test_first_order_convergence_in_dt(cell_substeps):
    """Positions at t = 0.2 with Δt = 0.05 ... 0.00625 (below the integrator's stability bound, so
    Δt is the step): for a first-order scheme the difference between successive halvings halves
    too (order log2 of the ratio ≈ 1)."""
    def final_positions(dt):
        sheet = Sheet.voronoi(24, box=(5.5, 5.5), periodic=True, lloyd=3, seed=7)
        model = VertexModel(K=1.0, A0=np.linspace(0.9, 1.5, sheet.n_cells), Gamma=0.05, Lambda=0.1)
        # ξ = 20: the flow carries the vertices, and the explicit step stays one step
        simulation = Simulation(SheetBody(sheet, model, 20.0), flow=periodic_flow(sheet, mesh_size=0.8),
                                cell_substeps=cell_substeps)
        for _ in range(int(round(0.2 / dt))):
            simulation.step(dt)
        return sheet.positions.copy()

    positions = [final_positions(0.2 / n) for n in (4, 8, 16, 32)]
    differences = np.array([np.abs(coarse - fine).max() for coarse, fine in zip(positions, positions[1:])])
    orders = np.log2(differences[:-1] / differences[1:])
    assert differences[0] > 1e-5
    assert np.all(np.abs(orders - 1.0) < 0.3), (differences, orders)
