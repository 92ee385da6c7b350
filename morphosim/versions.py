"""Versions of morphosim and the engines it runs on: printed by `morphosim info`, recorded in every store."""

from __future__ import annotations

import importlib.metadata
import platform


def versions() -> dict[str, str]:
    """{name: version} of morphosim, Python and every engine (imported in the order the wheels need)."""
    import dolfinx_solver  # noqa: F401  (must come before dolfinx / petsc4py)
    import dolfinx
    import numba
    import numpy
    import roadrunner
    import zarr
    from petsc4py import PETSc

    import morphosim

    return {
        "morphosim": morphosim.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "dolfinx": dolfinx.__version__,
        "petsc": ".".join(str(part) for part in PETSc.Sys.getVersion()),
        "libroadrunner": roadrunner.__version__,
        "numba": numba.__version__,
        # the engine never imports pyvista (viz/ does): its installed version is enough here
        "pyvista": importlib.metadata.version("pyvista"),
        "zarr": zarr.__version__,
    }
