"""Forces are minus the gradient of the energy (central finite differences)."""

import numba
import numpy as np
import pytest

from morphosim.cells import Sheet, VertexModel, energy


def finite_difference_gradient(sheet, model, step=1e-6):
    gradient = np.zeros((sheet.n_vertices, 3))
    dims = 3 if sheet.is_shell else 2  # planar energies do not depend on z
    for v in range(sheet.n_vertices):
        for d in range(dims):
            x0 = sheet.vertices[v, d]
            sheet.vertices[v, d] = x0 + step
            e_plus = model.energy(sheet)
            sheet.vertices[v, d] = x0 - step
            e_minus = model.energy(sheet)
            sheet.vertices[v, d] = x0
            gradient[v, d] = (e_plus - e_minus) / (2 * step)
    return gradient


@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_forces_are_minus_energy_gradient(kind, rng, small_sheet, random_model):
    sheet = small_sheet(kind)
    # move off the constructed configuration so that no term is at a stationary point
    jitter = rng.normal(0.0, 0.03, (sheet.n_vertices, 3))
    if not sheet.is_shell:
        jitter[:, 2] = 0.0
    sheet.vertices[: sheet.n_vertices] += jitter
    model = random_model(sheet.n_cells, rng)
    forces = model.forces(sheet)
    gradient = finite_difference_gradient(sheet, model)
    relative_error = np.abs(forces + gradient).max() / np.abs(forces).max()
    assert relative_error < 1e-6
    if not sheet.is_shell:
        assert np.all(forces[:, 2] == 0.0)


def test_forces_where_four_cells_meet(rng, random_model):
    """A square lattice: every inner vertex has four edges (the planar kernel gathers over a
    vertex's edges, padded to the largest degree; corners have two)."""
    n = 4
    points = np.array([[i, j] for j in range(n + 1) for i in range(n + 1)], float)
    squares = [[j * (n + 1) + i, j * (n + 1) + i + 1, (j + 1) * (n + 1) + i + 1, (j + 1) * (n + 1) + i]
               for j in range(n) for i in range(n)]
    sheet = Sheet.from_polygons(points + rng.normal(0.0, 0.05, points.shape), squares)
    assert sheet.rings().vertex_ends.shape[1] == 4
    model = random_model(sheet.n_cells, rng)
    forces = model.forces(sheet)
    assert np.abs(forces + finite_difference_gradient(sheet, model)).max() / np.abs(forces).max() < 1e-6


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_parallel_forces_do_not_depend_on_the_thread_count(kind, rng, small_sheet, random_model, monkeypatch):
    monkeypatch.setattr(energy, "PARALLEL_MIN_VERTICES", 0)  # small sheets run in parallel too
    sheet = small_sheet(kind)
    model = random_model(sheet.n_cells, rng)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = model.forces(sheet)
        numba.set_num_threads(2)
        parallel = model.forces(sheet)
    finally:
        numba.set_num_threads(threads)
    assert np.array_equal(serial, parallel)


def test_energy_of_regular_hexagons_matches_formula():
    """Periodic regular hexagons: E per cell = K/2 (A-A0)^2 + Gamma/2 P^2 + Lambda P/2."""
    area, K, A0, Gamma, Lambda = 1.3, 2.0, 1.0, 0.07, 0.11
    sheet = Sheet.hexagonal(4, 6, periodic=True, cell_area=area)
    perimeter = np.sqrt(8 * np.sqrt(3) * area)
    expected = K / 2 * (area - A0) ** 2 + Gamma / 2 * perimeter**2 + Lambda * perimeter / 2
    energy = VertexModel(K=K, A0=A0, Gamma=Gamma, Lambda=Lambda).energy(sheet)
    assert energy / sheet.n_cells == pytest.approx(expected, rel=1e-12)


def test_open_boundary_edges_carry_full_line_tension():
    """One square cell: every edge is on the boundary, so E = Lambda * P (Lambda of that cell)."""
    sheet = Sheet.from_polygons([[0, 0], [2, 0], [2, 1], [0, 1]], [[0, 1, 2, 3]])
    assert VertexModel(K=0.0, Gamma=0.0, Lambda=0.3).energy(sheet) == pytest.approx(0.3 * 6)


def test_per_cell_parameters_are_updated_in_place():
    sheet = Sheet.hexagonal(4, 4, periodic=True)
    model = VertexModel(K=np.ones(16), A0=np.ones(16), Gamma=0.0, Lambda=0.0)
    k_array = model.K
    model.set_parameters(K=np.full(16, 3.0), A0=np.full(16, 0.5))
    assert model.K is k_array and np.all(model.K == 3.0)
    assert model.energy(sheet) == pytest.approx(16 * 1.5 * 0.5**2)
    model.set_parameters(K=np.ones(5))
    with pytest.raises(ValueError, match="K has 5 entries"):
        model.forces(sheet)
