"""Monolayer forces equal -grad E (central finite differences), with per-cell values of every coefficient."""

import numba
import numpy as np
import pytest

from morphosim.cells import Sheet, energy
from morphosim.cells.monolayer import Monolayer
from morphosim.cells.monolayer_energy import MonolayerModel, VitellineMembrane


def _model(n, rng, shell):
    u = lambda lo, hi: rng.uniform(lo, hi, n)
    return MonolayerModel(apical_tension=u(0.5, 1.5), basal_tension=u(0.3, 1.0), lateral_tension=u(0.2, 0.8),
                          volume_stiffness=u(5.0, 20.0), V0=u(0.2, 0.5), Gamma=u(0.02, 0.1), Lambda=u(-0.1, 0.2),
                          yolk_stiffness=3.0 if shell else None, yolk_volume=4.0 if shell else None,
                          vitelline=VitellineMembrane((1.9, 1.45, 0.95), stiffness=50.0) if shell else None)


def _perturbed(kind, rng):
    sheet = {"planar": lambda: Sheet.voronoi(30, box=(5.5, 5.5), lloyd=2, seed=1),
             "periodic": lambda: Sheet.voronoi(30, box=(5.5, 5.5), periodic=True, lloyd=2, seed=2),
             "shell": lambda: Sheet.ellipsoid_shell(40, radii=(2.0, 1.5, 1.0), seed=3)}[kind]()
    m = Monolayer.from_sheet(sheet, 0.3, apical="out" if kind != "periodic" else "in")
    m.apical_positions[:] += rng.normal(0, 0.03, m.apical_positions.shape)
    m.basal_positions[:] += rng.normal(0, 0.03, m.basal_positions.shape)
    m.check()
    return m


@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_forces_are_minus_the_energy_gradient(kind, rng):
    m = _perturbed(kind, rng)
    model = _model(m.n_cells, rng, kind == "shell")
    if kind == "shell":  # the wall must act: some apical vertices outside the membrane
        rho = np.sqrt(((m.apical_positions / (1.9, 1.45, 0.95)) ** 2).sum(axis=1))
        assert np.count_nonzero(rho > 1) > 10
    apical, basal = model.forces(m)
    eps = 1e-6
    for layer, force in ((m.apical_positions, apical), (m.basal_positions, basal)):
        numeric = np.empty_like(force)
        for v in range(m.n_vertices):
            for d in range(3):
                x = layer[v, d]
                layer[v, d] = x + eps
                up = model.energy(m)
                layer[v, d] = x - eps
                down = model.energy(m)
                layer[v, d] = x
                numeric[v, d] = -(up - down) / (2 * eps)
        error = np.abs(numeric - force).max() / np.abs(force).max()
        print(f"{kind}: max |F| {np.abs(force).max():.3g}, relative error {error:.2e}")
        assert error < 1e-6


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs two numba threads")
@pytest.mark.parametrize("kind", ["planar", "periodic", "shell"])
def test_parallel_forces_do_not_depend_on_the_thread_count(kind, rng, monkeypatch):
    """The gather (cells write their ring rows, vertices sum them in a fixed order) gives the same
    forces, bit for bit, on one and two threads."""
    monkeypatch.setattr(energy, "PARALLEL_MIN_VERTICES", 0)  # small monolayers run in parallel too
    m = _perturbed(kind, rng)
    model = _model(m.n_cells, rng, kind == "shell")
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = model.forces(m)
        numba.set_num_threads(2)
        parallel = model.forces(m)
    finally:
        numba.set_num_threads(threads)
    for one, two in zip(serial, parallel):
        assert np.array_equal(one, two)
    assert np.abs(serial[0]).max() > 0.1
