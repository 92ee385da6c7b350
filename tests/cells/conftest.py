"""Shared fixtures for the cell-scale tests."""

import numpy as np
import pytest

from morphosim.cells import Sheet, VertexModel


def _random_model(n_cells: int, rng: np.random.Generator) -> VertexModel:
    """Per-cell parameters that differ from cell to cell (line tensions of both signs)."""
    return VertexModel(K=rng.uniform(0.5, 2.0, n_cells), A0=rng.uniform(0.6, 1.4, n_cells),
                       Gamma=rng.uniform(0.02, 0.1, n_cells), Lambda=rng.uniform(-0.1, 0.2, n_cells))


@pytest.fixture
def random_model():
    return _random_model


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


@pytest.fixture
def small_sheet():
    """Small sheets of each geometry: small_sheet("planar" | "periodic" | "shell")."""
    makers = {
        "planar": lambda: Sheet.voronoi(30, box=(5.5, 5.5), lloyd=2, seed=1),
        "periodic": lambda: Sheet.voronoi(30, box=(5.5, 5.5), periodic=True, lloyd=2, seed=2),
        "shell": lambda: Sheet.ellipsoid_shell(40, radii=(2.0, 1.5, 1.0), seed=3),
    }
    return lambda kind: makers[kind]()
