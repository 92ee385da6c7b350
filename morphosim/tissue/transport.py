"""Morphogen transport on the tissue mesh (planar or surface), several fields at once.

    ∂c/∂t + ∇·(c v) = D Δc − k c + s

c: concentration (amount/area), v: tissue velocity, D: diffusivity (area/time), k: decay rate
(1/time), s: point sources Σ_i s_i δ(x − x_i) with s_i the secretion rate of cell i
(amount/time) placed at its centroid x_i. No-flux boundaries (closed surfaces have none).

Discretization: P1, backward Euler, conservative weak form

    ∫ (cⁿ⁺¹ − cⁿ)/Δt w − cⁿ⁺¹ v·∇w + D ∇cⁿ⁺¹·∇w + k cⁿ⁺¹ w  =  Σ_i s_i w(x_i)

plus SUPG, Σ_K ∫_K τ (v·∇w) R(c) with the strong residual R, which keeps high-Péclet flows
free of wiggles. Both the SUPG term (v·∇1 = 0) and the advection term vanish for w = 1, so with
k = 0 and s = 0 the total amount ∫ c is conserved exactly (up to the linear solve).

Monolayer runs in the 3D egg keep their morphogens on the surface mesh (ellipsoid_surface_mesh),
not in the 3D fluid. The signals the cells exchange (Dpp/BMP, Spätzle...) travel in the thin
perivitelline space and along the epithelium, a layer far thinner than the egg, so a surface
field with a surface diffusivity is the model of that layer; a 3D field would need the
perivitelline gap resolved by the volume mesh (a few µm against a mesh size of tens) to carry
the same physics, at many times the unknowns. The carrying flow is the 3D velocity where the
sheet is: its values at the surface mesh's velocity dofs (the 3D solver's PointOperator at
those coordinates, interpolate), with the normal component removed, passed to step(velocity=).
The forms above do not depend on the dimension, but transport on tetrahedral meshes is not
tested: do not rely on it.
"""

from __future__ import annotations

from collections.abc import Mapping

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI
from petsc4py import PETSc

from dolfinx import fem, mesh as dmesh
from dolfinx.fem import petsc as fem_petsc
from morphosim.tissue.linalg import FactorizedOperator
from morphosim.tissue.meshes import max_cell_size
from morphosim.tissue.points import PointOperator


class Transport:
    """Advection–diffusion–decay of named fields on a fixed mesh.

    fields: {name: {"D": diffusivity, "k": decay rate}}.
    velocity_space: the space of the velocities passed to step() (default: vector P2, the
    Stokes–Brinkman velocity space).
    """

    def __init__(self, mesh: dmesh.Mesh, fields: Mapping[str, Mapping[str, float]], velocity_space=None):
        if not fields:
            raise ValueError("fields must name at least one morphogen, e.g. {'bmp': {'D': 1.0, 'k': 0.1}}")
        self.parameters = {}
        for name, params in fields.items():
            unknown = set(params) - {"D", "k"}
            if unknown:
                raise ValueError(f"fields[{name!r}] has unknown keys {sorted(unknown)}; allowed: D, k")
            D, k = float(params.get("D", 0.0)), float(params.get("k", 0.0))
            if not (D >= 0 and k >= 0):
                raise ValueError(f"fields[{name!r}]: D and k must be non-negative, got D={D}, k={k}")
            self.parameters[name] = (D, k)
        self.mesh = mesh
        self.space = fem.functionspace(mesh, basix.ufl.element("Lagrange", mesh.basix_cell(), 1))
        if velocity_space is None:
            shape = (mesh.geometry.dim,)
            velocity_space = fem.functionspace(mesh, basix.ufl.element("Lagrange", mesh.basix_cell(), 2, shape=shape))
        self.velocity_space = velocity_space
        self.concentration = {name: fem.Function(self.space, name=name) for name in fields}

        # one compiled pair of forms serves every field: D, k, dt, v and cⁿ are coefficients
        self._velocity = fem.Function(velocity_space)
        self._previous = fem.Function(self.space)
        self._dt = fem.Constant(mesh, 1.0)
        self._D = fem.Constant(mesh, 0.0)
        self._k = fem.Constant(mesh, 0.0)
        c, w = ufl.TrialFunction(self.space), ufl.TestFunction(self.space)
        v, c_old, dt, D, k = self._velocity, self._previous, self._dt, self._D, self._k
        a = ((c / dt) * w - c * ufl.dot(v, ufl.grad(w)) + D * ufl.inner(ufl.grad(c), ufl.grad(w)) + k * c * w) * ufl.dx
        L = (c_old / dt) * w * ufl.dx
        # SUPG: τ (v·∇w) R(c),  R(c) = (c − cⁿ)/Δt + ∇·(c v) + k c   (Δc = 0 inside P1 cells)
        h = ufl.CellDiameter(mesh) if mesh.geometry.dim == mesh.topology.dim else fem.Constant(mesh, max_cell_size(mesh))
        speed = ufl.sqrt(ufl.dot(v, v) + 1e-300)
        tau = 1.0 / ufl.sqrt((2.0 / dt) ** 2 + (2.0 * speed / h) ** 2 + 9.0 * (4.0 * D / h**2) ** 2 + k**2)
        streamline = tau * ufl.dot(v, ufl.grad(w))
        a += streamline * (c / dt + ufl.dot(v, ufl.grad(c)) + c * ufl.div(v) + k * c) * ufl.dx
        L += streamline * (c_old / dt) * ufl.dx
        self._a, self._L = fem.form(a), fem.form(L)
        self._rhs = fem_petsc.create_vector(self.space)
        self._static: dict = {}  # factorizations reused while the velocity stays zero
        self._sources: PointOperator | None = None
        self._probe: PointOperator | None = None

    def set_concentration(self, name: str, values) -> None:
        """Set a field from a scalar, a dof array, or a callable x (3, n) -> (n,)."""
        field = self._field(name)
        if callable(values):
            field.interpolate(values)
        else:
            field.x.array[:] = values
        field.x.scatter_forward()

    def _field(self, name: str) -> fem.Function:
        if name not in self.concentration:
            raise ValueError(f"unknown field {name!r}; fields are {sorted(self.concentration)}")
        return self.concentration[name]

    def _operator(self, dt: float, D: float, k: float, moving: bool) -> FactorizedOperator:
        key = (dt, D, k)
        if not moving and key in self._static:
            return self._static[key]
        self._D.value, self._k.value = D, k
        A = fem_petsc.assemble_matrix(self._a)
        A.assemble()
        operator = FactorizedOperator(A)
        if not moving:
            self._static[key] = operator
        return operator

    def step(
        self,
        dt: float,
        velocity: fem.Function | None = None,
        source_points: np.ndarray | None = None,
        source_rates: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Advance every field by dt (backward Euler).

        velocity: Function of velocity_space (None: no flow). source_points: (N, 3) cell
        centroids; source_rates: {name: (N,)} secretion rates (amount/time) at those points.
        """
        if not dt > 0:
            raise ValueError(f"dt must be positive, got {dt!r}")
        self._dt.value = dt
        moving = velocity is not None
        if moving:
            if velocity.function_space is self.velocity_space:
                self._velocity.x.array[:] = velocity.x.array
            else:
                self._velocity.interpolate(velocity)
            self._velocity.x.scatter_forward()
        elif self._velocity.x.array.any():
            self._velocity.x.array[:] = 0.0
        source_rates = dict(source_rates or {})
        for name in source_rates:
            self._field(name)
        if source_rates:
            if source_points is None:
                raise ValueError("source_rates given without source_points")
            if self._sources is None:
                self._sources = PointOperator(self.space, source_points)
            else:
                self._sources.update(source_points)
        operators = {}
        for name, (D, k) in self.parameters.items():
            if (D, k) not in operators:
                operators[(D, k)] = self._operator(dt, D, k, moving)
            field = self.concentration[name]
            self._previous.x.array[:] = field.x.array
            b = self._rhs
            with b.localForm() as local:
                local.set(0.0)
                if name in source_rates:
                    local.array[:] = self._sources.spread(np.asarray(source_rates[name], dtype=float))
            fem_petsc.assemble_vector(b, self._L)
            b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            operators[(D, k)].solve(b, field.x.petsc_vec)
            field.x.scatter_forward()

    def total_amount(self, name: str) -> float:
        """∫ c over the domain (amount)."""
        value = fem.assemble_scalar(fem.form(self._field(name) * ufl.dx))
        return self.mesh.comm.allreduce(value, op=MPI.SUM)

    def values_at(self, points: np.ndarray) -> dict[str, np.ndarray]:
        """Every field's concentration at points (N, 3): {name: (N,)}."""
        if self._probe is None:
            self._probe = PointOperator(self.space, points)
        else:
            self._probe.update(points)
        return {name: self._probe.interpolate(field) for name, field in self.concentration.items()}

