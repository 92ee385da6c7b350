"""Stokes–Brinkman flow of the tissue, planar, on the embryo surface, or in the egg's volume
(DOLFINx, P2–P1 Taylor–Hood).

    −∇·(2μ ε(v)) + ∇p + γ v = f ,    ∇·v = 0                  (incompressible)
    −∇·(2μ ε(v) + λ (∇·v) I) + γ v = f                         (compressible sheet)

μ: shear viscosity (nN·min/µm for a sheet), λ: the second (dilatational) viscosity of the stress
σ = 2μ ε(v) + λ tr ε(v) I (`bulk_viscosity`); the bulk viscosity proper, mean normal stress over
expansion rate tr σ/d = ζ tr ε, is ζ = λ + μ on a sheet or surface (d = 2) and λ + 2μ/3 in 3D.
γ: friction with the surroundings (nN·min/µm³), f: force density. On a surface ε and ∇· are the surface operators
ε_Γ(v) = P sym(∇_Γ v) P, div_Γ v = tr ∇_Γ v (P = I − n nᵀ), v has three components and is kept
tangential by a penalty β ∫ (v·n)(w·n) with β = tangential_penalty·μ/h² (n is the exact
ellipsoid normal for meshes from ellipsoid_surface_mesh, which keeps the P2 convergence order,
else the discrete cell normal).

In 3D (tetrahedral meshes: the yolk and perivitelline fluid inside the vitelline membrane) the
equations are the planar ones with three velocity components; μ and γ may vary from cell to cell
(a callable of the position, evaluated at cell midpoints: e.g. a more viscous region inside a
surface) and the no-slip wall may move (solve(wall_velocity=...)).

The operator is assembled and factorized once (MUMPS LU); solve() assembles only the load.
Above DIRECT_LIMIT unknowns (or with solver="iterative") the system is solved instead by MINRES
with a block preconditioner (AMG on the velocity block, the pressure mass matrix scaled by 1/μ),
set up once; the pressure constant is then a null space, and the solution is shifted to ∫ p = 0
like the direct one.
Null spaces are removed with Lagrange multipliers (FactorizedOperator): the pressure constant
when no boundary is traction-free (∫ p = 0), and, when γ = 0, the rigid motions the boundary
conditions allow (zero net momentum / angular momentum: ∫ v·z = 0 for each mode z). A load with
a component along a rigid mode (a net force or torque that nothing resists) has that component
removed: the multipliers absorb it. Where the constrained modes are null vectors of the operator
(rigid motions, the pressure constant of a planar or volume flow), the factorization is of the
sparse operator with as many unknowns pinned, not of the bordered matrix (FactorizedOperator).
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import basix.ufl
import numpy as np
import scipy.sparse as sp
import ufl
from mpi4py import MPI
from petsc4py import PETSc

from dolfinx import fem, mesh as dmesh
from dolfinx.fem import petsc as fem_petsc
from morphosim.tissue.linalg import BlockPreconditionedMinres, FactorizedOperator
from morphosim.tissue.meshes import is_surface, max_cell_size, mesh_info
from morphosim.tissue.points import PointOperator, allreduce_array

BOUNDARY_KINDS = ("noslip", "free", "slip")
SIDES = ("left", "right", "bottom", "top")
SOLVERS = ("auto", "direct", "iterative")
#: largest system solved by the direct factorization under solver="auto"
DIRECT_LIMIT = 200_000


def cellwise_coefficient(mesh: dmesh.Mesh, name: str, value, allow_zero: bool):
    """A constant or a cellwise (DG0) coefficient from a number or a callable x (3, n) -> (n,).

    Returns (UFL coefficient, smallest value, largest value over all ranks).
    """
    if callable(value):
        space = fem.functionspace(mesh, ("DG", 0))
        coefficient = fem.Function(space, name=name)
        coefficient.interpolate(lambda x: np.broadcast_to(np.asarray(value(x), dtype=float), x.shape[1:]))
        local = coefficient.x.array[: space.dofmap.index_map.size_local]
        low = mesh.comm.allreduce(local.min(initial=np.inf), op=MPI.MIN)
        high = mesh.comm.allreduce(local.max(initial=-np.inf), op=MPI.MAX)
    else:
        try:
            low = high = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number or a callable of the position x (3, n), got {value!r}") from None
        coefficient = fem.Constant(mesh, low)
    if not (np.isfinite(low) and np.isfinite(high) and (low >= 0 if allow_zero else low > 0)):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be {bound} and finite everywhere, got values in [{low!r}, {high!r}]")
    return coefficient, low, high


def surface_normal(mesh: dmesh.Mesh):
    """UFL unit normal of a surface mesh: exact for ellipsoids built here, else the cell normal."""
    info = mesh_info(mesh)
    if info is not None and info.radii is not None:
        x = ufl.SpatialCoordinate(mesh)
        gradient = ufl.as_vector([x[i] / info.radii[i] ** 2 for i in range(3)])
        return gradient / ufl.sqrt(ufl.dot(gradient, gradient))
    return ufl.CellNormal(mesh)


def tangential_projector(mesh: dmesh.Mesh):
    """P = I − n nᵀ with the discrete cell normal (the plane ∇_Γ lives in)."""
    n = ufl.CellNormal(mesh)
    return ufl.Identity(3) - ufl.outer(n, n)


def strain_rate(v, mesh: dmesh.Mesh):
    """ε(v) = sym ∇v, or on a surface ε_Γ(v) = P sym(∇_Γ v) P (UFL's grad is ∇_Γ on manifolds)."""
    if is_surface(mesh):
        P = tangential_projector(mesh)
        return P * ufl.sym(ufl.grad(v)) * P
    return ufl.sym(ufl.grad(v))


def divergence(v):
    """∇·v, or div_Γ v = tr ∇_Γ v on a surface."""
    return ufl.tr(ufl.grad(v))


def _sides_of(mesh: dmesh.Mesh, facets: np.ndarray) -> dict[str, np.ndarray]:
    """Split exterior facets of a planar mesh into the four sides of its bounding box (or 'all')."""
    x = mesh.geometry.x
    lo = allreduce_array(mesh.comm, x[:, :2].min(axis=0, initial=np.inf), op=MPI.MIN)
    hi = allreduce_array(mesh.comm, x[:, :2].max(axis=0, initial=-np.inf), op=MPI.MAX)
    tol = 1e-8 * max(hi - lo)
    mid = dmesh.compute_midpoints(mesh, 1, facets)
    return {
        "left": facets[np.abs(mid[:, 0] - lo[0]) < tol],
        "right": facets[np.abs(mid[:, 0] - hi[0]) < tol],
        "bottom": facets[np.abs(mid[:, 1] - lo[1]) < tol],
        "top": facets[np.abs(mid[:, 1] - hi[1]) < tol],
    }


def periodic_prolongation(space: fem.FunctionSpace, periodic: tuple[bool, bool]) -> PETSc.Mat:
    """P (full dofs × reduced dofs) identifying dofs on opposite periodic sides (serial).

    Dofs are identified when they belong to the same sub-space component and their coordinates
    agree after wrapping the right (top) side onto the left (bottom) one.
    """
    mesh = space.mesh
    x = mesh.geometry.x[:, :2]
    lo, hi = x.min(axis=0), x.max(axis=0)
    tol = 1e-8 * max(hi - lo)
    keys, full_dofs = [], []
    spaces = [space.sub(i) for i in range(space.num_sub_spaces)] or [space]
    for label, sub in enumerate(spaces):
        collapsed, to_parent = sub.collapse()
        bs = collapsed.dofmap.index_map_bs
        coords = collapsed.tabulate_dof_coordinates()[:, :2].copy()
        for axis in range(2):
            if periodic[axis]:
                coords[np.abs(coords[:, axis] - hi[axis]) < tol, axis] = lo[axis]
        coords = np.repeat(np.round((coords - lo) / tol).astype(np.int64), bs, axis=0)
        component = np.tile(np.arange(bs), len(coords) // bs)
        keys.append(np.column_stack([np.full(len(coords), label), component, coords]))
        full_dofs.append(np.asarray(to_parent).ravel())
    _, reduced = np.unique(np.vstack(keys), axis=0, return_inverse=True)
    n_full = space.dofmap.index_map.size_local * space.dofmap.index_map_bs
    P = sp.csr_matrix((np.ones(n_full), (np.concatenate(full_dofs), reduced.ravel())))
    return PETSc.Mat().createAIJ(P.shape, csr=(P.indptr, P.indices, P.data), comm=MPI.COMM_SELF)


class StokesBrinkman:
    """Stokes–Brinkman solver on a fixed mesh: assemble and factorize once, re-solve per load.

    mesh: from rectangle_mesh, disk_mesh, ellipsoid_surface_mesh (or any triangle mesh), or a
    tetrahedral volume from ball_mesh, ellipsoid_volume_mesh, box_mesh (or any tetrahedral mesh).
    mu: shear viscosity (> 0). gamma: friction (>= 0). Either a number or a callable of the
    position x (3, n) -> (n,), evaluated at cell midpoints (piecewise-constant coefficients).
    compressible: replace the pressure constraint by the second viscosity λ = bulk_viscosity (>= 0) of
    σ = 2μ ε + λ tr ε I (a sheet's bulk viscosity is then ζ = λ + μ).
    boundary (planar and volume meshes): "noslip" | "free" | "slip" for the whole boundary, or
    (planar) a mapping {"left"|"right"|"bottom"|"top"|"all": kind}; unmapped sides follow "all"
    (default "noslip"). Volume meshes take one kind for the whole boundary.
    Periodic sides of a periodic rectangle are not boundaries. Slip (v·n = 0, no tangential
    traction) is imposed by Nitsche's method. Boundary conditions are ignored on closed surfaces.
    tangential_penalty: dimensionless factor of the surface penalty β = factor·μ/h².
    rotation_axes (surfaces, γ = 0): axes of rotational symmetry whose rotations are a null
    space; default: detected for ellipsoids built here (axes with the two other radii equal).
    solver: "direct" (MUMPS, factorized once), "iterative" (block-preconditioned MINRES, relative
    tolerance rtol) or "auto" (direct up to DIRECT_LIMIT unknowns).
    """

    def __init__(
        self,
        mesh: dmesh.Mesh,
        mu: float = 1.0,
        gamma: float = 0.0,
        compressible: bool = False,
        bulk_viscosity: float = 0.0,
        boundary: str | Mapping[str, str] = "noslip",
        tangential_penalty: float = 1000.0,
        rotation_axes: list[int] | None = None,
        solver: str = "auto",
        rtol: float = 1e-10,
    ):
        if not bulk_viscosity >= 0:
            raise ValueError(f"bulk_viscosity must be non-negative, got {bulk_viscosity!r}")
        if solver not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, got {solver!r}")
        if not 0 < rtol < 1:
            raise ValueError(f"rtol (iterative solver tolerance) must be in (0, 1), got {rtol!r}")
        self.mesh = mesh
        mu_c, mu_min, self.mu = cellwise_coefficient(mesh, "mu (shear viscosity)", mu, allow_zero=False)
        gamma_c, _, gamma_max = cellwise_coefficient(mesh, "gamma (friction)", gamma, allow_zero=True)
        #: largest viscosity and friction (the values themselves when constant)
        self.gamma = gamma_max
        self.compressible = bool(compressible)
        self.surface = is_surface(mesh)
        info = mesh_info(mesh)
        self.periodic = info.periodic if info is not None else (False, False)
        gdim = mesh.geometry.dim
        cell = mesh.basix_cell()
        velocity_element = basix.ufl.element("Lagrange", cell, 2, shape=(gdim,))
        if self.compressible:
            self.space = fem.functionspace(mesh, velocity_element)
            self.velocity_space, self._velocity_dofs = self.space, None
            self.pressure_space = None
        else:
            pressure_element = basix.ufl.element("Lagrange", cell, 1)
            self.space = fem.functionspace(mesh, basix.ufl.mixed_element([velocity_element, pressure_element]))
            self.velocity_space, velocity_dofs = self.space.sub(0).collapse()
            self.pressure_space, pressure_dofs = self.space.sub(1).collapse()
            self._velocity_dofs = np.asarray(velocity_dofs).ravel()
            self._pressure_dofs = np.asarray(pressure_dofs).ravel()

        h_max = max_cell_size(mesh)
        self.mesh_size = h_max
        h = fem.Constant(mesh, h_max)

        # ---- the bilinear form, written beside its equation
        if self.compressible:
            v, w = ufl.TrialFunction(self.space), ufl.TestFunction(self.space)
            p = q = None
        else:
            v, p = ufl.TrialFunctions(self.space)
            w, q = ufl.TestFunctions(self.space)
        bulk = fem.Constant(mesh, float(bulk_viscosity))

        def stress(u, pressure):  # σ(u, p) = 2μ ε(u) − p I  (+ λ div u I when compressible)
            sigma = 2 * mu_c * strain_rate(u, mesh)
            if self.compressible:
                return sigma + bulk * divergence(u) * ufl.Identity(gdim)
            return sigma - pressure * ufl.Identity(gdim)

        # ∫ 2μ ε(v):ε(w) + γ v·w
        a = (2 * mu_c * ufl.inner(strain_rate(v, mesh), strain_rate(w, mesh)) + gamma_c * ufl.inner(v, w)) * ufl.dx
        if self.compressible:  # + ∫ λ div v div w
            a += bulk * divergence(v) * divergence(w) * ufl.dx
        else:  # − ∫ p div w − ∫ q div v
            a += -(p * divergence(w) + q * divergence(v)) * ufl.dx
        if self.surface:  # + β ∫ (v·n)(w·n): keeps v tangential
            n = surface_normal(mesh)
            beta = fem.Constant(mesh, float(tangential_penalty)) * mu_c / h**2
            a += beta * ufl.dot(v, n) * ufl.dot(w, n) * ufl.dx

        self.boundary = self._parse_boundary(boundary)
        bcs, slip_facets = self._boundary_conditions()
        if slip_facets is not None:
            # Nitsche: − ∫ (n·σ(v,p)n)(w·n) − ∫ (n·σ(w,q)n)(v·n) + (α μ/h) ∫ (v·n)(w·n)
            tags = dmesh.meshtags(mesh, mesh.topology.dim - 1, slip_facets, np.ones_like(slip_facets))
            ds = ufl.Measure("ds", domain=mesh, subdomain_data=tags, subdomain_id=1)
            n = ufl.FacetNormal(mesh)
            alpha = fem.Constant(mesh, 100.0)
            a += (
                -ufl.dot(n, stress(v, p) * n) * ufl.dot(w, n)
                - ufl.dot(n, stress(w, q) * n) * ufl.dot(v, n)
                + alpha * mu_c / h * ufl.dot(v, n) * ufl.dot(w, n)
            ) * ds
        self.bcs = bcs
        self._test_velocity = w

        # ---- assemble and factorize once
        self.bilinear_form = a
        self._a = fem.form(a)
        start = time.perf_counter()
        A = fem_petsc.assemble_matrix(self._a, bcs=bcs)
        A.assemble()
        self.matrix = A
        prolongation = periodic_prolongation(self.space, self.periodic) if any(self.periodic) else None
        self.constraint_names, constraints, null_vectors = self._null_space_constraints(rotation_axes)
        if solver == "auto":
            solver = "direct" if self.num_unknowns <= DIRECT_LIMIT else "iterative"
        #: "direct" or "iterative": the solver in use
        self.solver_kind = solver
        if solver == "iterative":
            if self.compressible or prolongation is not None or self.constraint_names not in ([], ["pressure_mean"]):
                raise ValueError("solver='iterative' needs an incompressible, non-periodic problem whose only null "
                                 f"space is the pressure constant (here: {self.constraint_names}); use solver='direct'")
            # preconditioner [[K, 0], [0, M_p/μ]]: ∫ 2μ ε(v):ε(w) + γ v·w + (1/μ) p q
            preconditioner_form = (2 * mu_c * ufl.inner(strain_rate(v, mesh), strain_rate(w, mesh))
                                   + gamma_c * ufl.inner(v, w) + p * q / mu_c) * ufl.dx
            self._preconditioner_form = fem.form(preconditioner_form)
            P = fem_petsc.assemble_matrix(self._preconditioner_form, bcs=bcs)
            P.assemble()
            assembled = time.perf_counter()
            self.solver = BlockPreconditionedMinres(A, P, *self._block_index_sets(),
                                                    self._pressure_constant() if constraints else [], rtol=rtol)
        else:
            assembled = time.perf_counter()
            self.solver = FactorizedOperator(A, constraints, prolongation, null_vectors)
        #: wall-clock seconds of the one-off setup (for bench/)
        self.timings = {"assemble": assembled - start, "factorize": time.perf_counter() - assembled}

        self._rhs = fem_petsc.create_vector(self.space)
        self._solution = fem.Function(self.space)
        if self.solver_kind == "iterative":
            pressure = ufl.split(self._solution)[1]
            self._pressure_mean_forms = (fem.form(pressure * ufl.dx), fem.form(fem.Constant(mesh, 1.0) * ufl.dx))
        self.velocity = fem.Function(self.velocity_space, name="velocity")
        self.pressure = fem.Function(self.pressure_space, name="pressure") if self.pressure_space else None
        self._body_forms: dict = {}
        self._strain_points: PointOperator | None = None

    # ------------------------------------------------------------------ setup helpers
    def _block_index_sets(self) -> tuple[PETSc.IS, PETSc.IS]:
        """Global rows of the velocity and pressure blocks owned by this rank."""
        imap = self.space.dofmap.index_map
        first = imap.local_range[0]
        sets = []
        for dofs in (self._velocity_dofs, self._pressure_dofs):
            owned = np.sort(dofs[dofs < imap.size_local]).astype(PETSc.IntType)
            sets.append(PETSc.IS().createGeneral(owned + first, comm=self.mesh.comm))
        # the components of a velocity node are consecutive rows: telling AMG so (block size gdim)
        # lets it coarsen nodes rather than scalar rows, as for elasticity
        gdim = self.mesh.geometry.dim
        owned = sets[0].getIndices()
        triples = owned.size % gdim == 0 and bool(np.all(np.diff(owned.reshape(-1, gdim), axis=1) == 1))
        if self.mesh.comm.allreduce(triples, op=MPI.LAND):
            sets[0].setBlockSize(gdim)
        return sets[0], sets[1]

    def _pressure_constant(self) -> list[PETSc.Vec]:
        """The null vector (velocity 0, pressure 1) of an operator with no traction-free boundary."""
        null = fem.Function(self.space)
        null.x.array[self._pressure_dofs] = 1.0
        return [null.x.petsc_vec.copy()]

    def _parse_boundary(self, boundary) -> dict[str, str]:
        if isinstance(boundary, str):
            boundary = {"all": boundary}
        if not isinstance(boundary, Mapping):
            raise ValueError(f"boundary must be a kind {BOUNDARY_KINDS} or a mapping side -> kind, got {boundary!r}")
        for side, kind in boundary.items():
            if side not in SIDES + ("all",):
                raise ValueError(f"boundary side {side!r} is not one of {SIDES + ('all',)}")
            if kind not in BOUNDARY_KINDS:
                raise ValueError(f"boundary[{side!r}] = {kind!r} is not one of {BOUNDARY_KINDS}")
        if self.mesh.topology.dim == 3 and set(boundary) - {"all"}:
            raise ValueError(f"boundary of a volume mesh takes one kind for the whole boundary, got {boundary!r}")
        default = boundary.get("all", "noslip")
        kinds = {side: boundary.get(side, default) for side in SIDES}
        kinds["all"] = default
        return kinds

    def _boundary_facets_by_kind(self) -> dict[str, np.ndarray]:
        mesh = self.mesh
        if self.surface:
            return {kind: np.zeros(0, dtype=np.int32) for kind in BOUNDARY_KINDS}
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        exterior = dmesh.exterior_facet_indices(mesh.topology)
        if tdim == 3:
            return {kind: exterior.astype(np.int32) if kind == self.boundary["all"] else np.zeros(0, dtype=np.int32)
                    for kind in BOUNDARY_KINDS}
        sides = _sides_of(mesh, exterior)
        periodic_sides = {"left": 0, "right": 0, "bottom": 1, "top": 1}
        kind_of = np.full(len(exterior), self.boundary["all"], dtype=object)
        position = {f: i for i, f in enumerate(exterior)} if len(exterior) else {}
        for side, facets in sides.items():
            index = np.array([position[f] for f in facets], dtype=np.int64)
            kind_of[index] = "periodic" if self.periodic[periodic_sides[side]] else self.boundary[side]
        return {kind: exterior[kind_of == kind].astype(np.int32) for kind in BOUNDARY_KINDS}

    def _boundary_conditions(self):
        facets = self._boundary_facets_by_kind()
        bcs = []
        self._wall_velocity, self._wall_moving = None, False
        if self.mesh.comm.allreduce(len(facets["noslip"]), op=MPI.SUM):
            sub = self.space if self.compressible else self.space.sub(0)
            zero = fem.Function(self.velocity_space)
            if self.compressible:
                dofs = fem.locate_dofs_topological(sub, self.mesh.topology.dim - 1, facets["noslip"])
                bcs.append(fem.dirichletbc(zero, dofs))
            else:
                dofs = fem.locate_dofs_topological((sub, self.velocity_space), self.mesh.topology.dim - 1,
                                                   facets["noslip"])
                bcs.append(fem.dirichletbc(zero, dofs, sub))
            self._wall_velocity = zero
        has_slip = self.mesh.comm.allreduce(len(facets["slip"]), op=MPI.SUM) > 0
        self._facets = facets
        return bcs, (facets["slip"] if has_slip else None)

    def _rigid_modes(self, rotation_axes):
        """The rigid motions that cost no energy when γ = 0: (name, UFL vector field, the field as a
        function of points (n, gdim) -> (n, gdim))."""
        mesh = self.mesh
        x = ufl.SpatialCoordinate(mesh)
        if self.surface:
            if rotation_axes is None:
                info = mesh_info(mesh)
                radii = info.radii if info is not None and info.radii is not None else None
                rotation_axes = []
                if radii is not None:
                    for axis in range(3):
                        others = [radii[k] for k in range(3) if k != axis]
                        if abs(others[0] - others[1]) <= 1e-12 * max(radii):
                            rotation_axes.append(axis)
            modes = []
            for axis in rotation_axes:
                e = np.zeros(3)
                e[axis] = 1.0
                modes.append((f"rotation_{'xyz'[axis]}", ufl.cross(ufl.as_vector(e), x), lambda p, e=e: np.cross(e, p)))
            return modes
        facets = self._facets
        fixed = self.mesh.comm.allreduce(len(facets["noslip"]), op=MPI.SUM)
        if fixed:
            return []
        gdim, fdim = mesh.geometry.dim, mesh.topology.dim - 1
        axes = np.eye(gdim)
        # rigid motions: translations e_i, rotations e_k × x (only about z in 2D)
        candidates = {f"translation_{'xyz'[i]}": (ufl.as_vector(axes[i]), lambda p, i=i: np.broadcast_to(axes[i], p.shape))
                      for i in range(gdim)}
        if not any(self.periodic):
            if gdim == 2:
                candidates["rotation_z"] = (ufl.as_vector([-x[1], x[0]]), lambda p: np.column_stack([-p[:, 1], p[:, 0]]))
            else:
                for k in range(3):
                    candidates[f"rotation_{'xyz'[k]}"] = (ufl.cross(ufl.as_vector(axes[k]), x),
                                                          lambda p, k=k: np.cross(axes[k], p))
        # a mode survives slip walls if it has no normal component at the corners of every slip facet
        slip = facets["slip"]
        mesh.topology.create_connectivity(fdim, 0)
        corners = mesh.geometry.x[dmesh.entities_to_geometry(mesh, fdim, slip)][:, :, :gdim]  # (nf, fdim + 1, gdim)
        if gdim == 2:
            tangent = corners[:, 1] - corners[:, 0]
            normal = np.column_stack([tangent[:, 1], -tangent[:, 0]])
        else:
            normal = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        normal = normal / np.linalg.norm(normal, axis=1, keepdims=True)
        modes = []
        for name, (mode, evaluate) in candidates.items():
            leak = max(np.abs((evaluate(corners[:, k]) * normal).sum(axis=1)).max(initial=0.0) for k in range(fdim + 1))
            if self.mesh.comm.allreduce(leak, op=MPI.MAX) < 1e-10 * max(1.0, np.abs(mesh.geometry.x).max()):
                modes.append((name, mode, evaluate))
        return modes

    def _null_space_constraints(self, rotation_axes):
        """Names, constraint vectors (∫ q for the pressure mean, ∫ z·w for a rigid motion z) and
        the motions themselves as dof vectors, (0, 1) for the pressure constant: the null vectors
        the constraints remove when the operator has them (FactorizedOperator checks that)."""
        names, forms, modes = [], [], []
        if not self.compressible and self.mesh.comm.allreduce(len(self._facets["free"]), op=MPI.SUM) == 0:
            q = ufl.TestFunctions(self.space)[1]
            names.append("pressure_mean")
            forms.append(q * ufl.dx)
            modes.append(self._pressure_constant()[0])
        if self.gamma == 0.0:
            w = self._test_velocity
            for name, mode, evaluate in self._rigid_modes(rotation_axes):
                names.append(name)
                forms.append(ufl.inner(mode, w) * ufl.dx)
                modes.append(self._velocity_vector(evaluate))
        vectors = []
        for form in forms:
            c = fem_petsc.assemble_vector(fem.form(form))
            c.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            fem_petsc.set_bc(c, self.bcs, alpha=0.0)
            vectors.append(c)
        return names, vectors, modes

    def _velocity_vector(self, velocity) -> PETSc.Vec:
        """A velocity field, a function of points (n, gdim) -> (n, gdim), at the velocity nodes (which
        a rigid motion's linear field takes exactly), pressure 0, as a PETSc vector."""
        interpolated = fem.Function(self.velocity_space)
        nodes = self.velocity_space.tabulate_dof_coordinates()[:, :self.mesh.geometry.dim]
        interpolated.x.array[:] = np.asarray(velocity(nodes), dtype=float).ravel()
        if self._velocity_dofs is None:
            return interpolated.x.petsc_vec.copy()
        whole = fem.Function(self.space)
        whole.x.array[self._velocity_dofs] = interpolated.x.array
        return whole.x.petsc_vec.copy()

    # ------------------------------------------------------------------ solving
    @property
    def num_unknowns(self) -> int:
        imap = self.space.dofmap.index_map
        return imap.size_global * self.space.dofmap.index_map_bs

    def point_operator(self, points: np.ndarray, tolerance: float | None = None) -> PointOperator:
        """PointOperator between points (N, 3) and this solver's velocity space."""
        return PointOperator(self.velocity_space, points, tolerance)

    def _body_force_form(self, body_force):
        key = id(body_force)
        if key not in self._body_forms:
            self._body_forms[key] = (body_force, fem.form(ufl.inner(body_force, self._test_velocity) * ufl.dx(metadata={"quadrature_degree": 6})))
        return self._body_forms[key][1]

    def solve(self, load: np.ndarray | None = None, body_force=None,
              wall_velocity=None) -> tuple[fem.Function, fem.Function | None]:
        """Velocity and pressure for a load, reusing the factorization.

        load: b = Bᵀ F on the velocity space's local dofs (PointOperator.spread), force units.
        body_force: UFL vector expression f (force per area, or per volume in 3D), assembled as ∫ f·w.
        wall_velocity: velocity of the no-slip boundary for this solve (default at rest): a callable
            x (gdim, n) -> (gdim, n) or a Function of the velocity space, interpolated there.
        Returns (velocity, pressure) Functions, overwritten by the next solve (pressure is None
        when compressible). On a surface, the velocity has three components.
        """
        b = self._rhs
        with b.localForm() as local:
            local.set(0.0)
            if load is not None:
                load = np.asarray(load, dtype=float)
                expected = self.velocity.x.array.shape
                if load.shape != expected:
                    raise ValueError(f"load must be a velocity-dof vector of shape {expected}, got {load.shape}")
                if self._velocity_dofs is None:
                    local.array[:] = load
                else:
                    local.array[self._velocity_dofs] = load
        if body_force is not None:
            fem_petsc.assemble_vector(b, self._body_force_form(body_force))
        moving = self._set_wall_velocity(wall_velocity)
        if moving:  # b − A g for the wall data g (the Dirichlet columns were zeroed in A)
            fem_petsc.apply_lifting(b, [self._a], bcs=[self.bcs])
        b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fem_petsc.set_bc(b, self.bcs)
        self.solver.solve(b, self._solution.x.petsc_vec)
        self._solution.x.scatter_forward()
        if self.solver_kind == "iterative" and self.constraint_names:
            self._shift_pressure_to_zero_mean()
        if self._velocity_dofs is None:
            self.velocity.x.array[:] = self._solution.x.array
        else:
            self.velocity.x.array[:] = self._solution.x.array[self._velocity_dofs]
            self.pressure.x.array[:] = self._solution.x.array[self._pressure_dofs]
        return self.velocity, self.pressure

    def _set_wall_velocity(self, wall_velocity) -> bool:
        """Put this solve's wall data in the no-slip condition; True when it is not at rest."""
        if wall_velocity is None:
            if self._wall_moving:
                self._wall_velocity.x.array[:] = 0.0
                self._wall_moving = False
            return False
        if self._wall_velocity is None:
            raise ValueError("wall_velocity needs a no-slip boundary (boundary='noslip')")
        if isinstance(wall_velocity, fem.Function):
            if wall_velocity.function_space is not self.velocity_space:
                raise ValueError("wall_velocity must be a Function of solver.velocity_space or a callable")
            self._wall_velocity.x.array[:] = wall_velocity.x.array
        elif callable(wall_velocity):
            self._wall_velocity.interpolate(wall_velocity)
        else:
            raise ValueError(f"wall_velocity must be a callable x -> v(x) or a velocity Function, got {wall_velocity!r}")
        self._wall_moving = True
        return True

    def _shift_pressure_to_zero_mean(self) -> None:
        """p − ∫p / |Ω| (the iterative solve leaves the pressure constant to the null space; the
        direct solve fixes ∫ p = 0)."""
        integral, volume = (self.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)
                            for form in self._pressure_mean_forms)
        self._solution.x.array[self._pressure_dofs] -= integral / volume

    def strain_rate_at(self, points: np.ndarray) -> np.ndarray:
        """Strain-rate tensor (N, 3, 3) of the last solution at points (surface strain rate on surfaces)."""
        if self._strain_points is None:
            self._strain_points = self.point_operator(points)
        else:
            self._strain_points.update(points)
        return self._strain_points.strain_rate(self.velocity)
