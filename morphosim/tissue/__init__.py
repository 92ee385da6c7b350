"""Tissue scale: DOLFINx meshes, the Stokes–Brinkman solver, point operators and morphogen transport.

Usable alone: imports neither morphosim.genes nor morphosim.cells.
"""

import dolfinx_solver  # noqa: F401  (must come before dolfinx / petsc4py: orders MPI first)

from morphosim.tissue.meshes import (
    ball_mesh,
    box_mesh,
    disk_mesh,
    ellipsoid_surface_mesh,
    ellipsoid_volume_mesh,
    mesh_info,
    rectangle_mesh,
)
from morphosim.tissue.points import PointLocationError, PointOperator
from morphosim.tissue.stokes import StokesBrinkman
from morphosim.tissue.transport import Transport

__all__ = [
    "PointLocationError",
    "PointOperator",
    "StokesBrinkman",
    "Transport",
    "ball_mesh",
    "box_mesh",
    "disk_mesh",
    "ellipsoid_surface_mesh",
    "ellipsoid_volume_mesh",
    "mesh_info",
    "rectangle_mesh",
]
