"""Point operators: the sparse matrix B between arbitrary points and a finite element space.

For points r_i (cell vertices, cell centroids) and a Lagrange space with basis φ_j, B holds
φ_j(r_i) (one row per point and component, one column per degree of freedom). The same B
spreads point forces into a load and interpolates the velocity back (docs/DESIGN.md):

    load      b = Bᵀ F          (spread)
    velocity  B v               (interpolate)

so Σ F·(B v) = b·v exactly. Rows are point-major with three components per point for a vector
space (row 3 i + d), also on planar meshes (the z row is empty there); one row per point for a
scalar space. Columns are the local degree-of-freedom indices of the space (``Function.x.array``
order, ghosts included). Each step applies B by numba loops over the points' cells (basis values
at the points' reference coordinates times the cells' dofs) without forming a sparse matrix;
`matrix` builds the scipy CSR form on demand.

Parallel (MPI): each point is owned by exactly one rank (the lowest rank holding a cell closest
to it); B has non-zero rows only for the owned points, so spread() returns this rank's
contributions to its local (owned + ghost) dofs and the solvers accumulate the ghost entries;
interpolate() and friends sum over ranks and return every point's value on every rank.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from mpi4py import MPI
from numba import njit

from dolfinx import fem, mesh as dmesh
from morphosim.tissue.basis import LagrangeBasis
from morphosim.tissue.locate import (BucketGrid, Simplices, boundary_stars, build_bucket_grid, locate_points,
                                     no_boundary_stars, simplex_altitudes)


def allreduce_array(comm: MPI.Comm, array: np.ndarray, op=MPI.SUM) -> np.ndarray:
    """Element-wise reduction of a numpy array over ranks (a copy; the input is untouched)."""
    array = np.ascontiguousarray(array)
    if comm.size == 1:
        return array.copy()
    result = np.empty_like(array)
    comm.Allreduce(array, result, op=op)
    return result


def facet_neighbours(mesh, num_cells: int) -> np.ndarray:
    """(num_cells, tdim + 1): the owned cell across each facet of each owned cell (facet k is the
    one opposite vertex k for simplices, dolfinx's numbering), -1 on the boundary or a ghost."""
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim, tdim - 1)
    mesh.topology.create_connectivity(tdim - 1, tdim)
    cell_facets = mesh.topology.connectivity(tdim, tdim - 1).array.reshape(-1, tdim + 1)[:num_cells]
    facet_cells = mesh.topology.connectivity(tdim - 1, tdim)
    offsets, links = facet_cells.offsets, facet_cells.array
    first = links[offsets[:-1]]
    second = np.where(np.diff(offsets) == 2, links[np.minimum(offsets[:-1] + 1, len(links) - 1)], -1)
    own = np.arange(num_cells)[:, None]
    across = np.where(first[cell_facets] == own, second[cell_facets], first[cell_facets])
    return np.where(across < num_cells, across, -1).astype(np.int64)


def exterior_facets(mesh, num_cells: int) -> np.ndarray:
    """(num_cells, tdim + 1) bool: facet k of each owned cell (opposite vertex k) lies on the mesh's
    boundary (not on another rank's cells)."""
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim, tdim - 1)
    mesh.topology.create_connectivity(tdim - 1, tdim)
    cell_facets = mesh.topology.connectivity(tdim, tdim - 1).array.reshape(-1, tdim + 1)[:num_cells]
    return np.isin(cell_facets, dmesh.exterior_facet_indices(mesh.topology))


class PointLocationError(ValueError):
    """Raised when points lie farther from the mesh than the location tolerance; `indices` are
    those points among `num_points` (so a caller can name what they are, e.g. cells)."""

    def __init__(self, message: str, indices=(), num_points: int = 0, tolerance: float = 0.0):
        super().__init__(message)
        self.indices = np.asarray(indices, np.int64)
        self.num_points, self.tolerance = num_points, tolerance


def _scalar_basix_element(space: fem.FunctionSpace):
    element = space.ufl_element()
    return element.sub_elements[0].basix_element if element.block_size > 1 else element.basix_element


@njit(cache=True)
def _point_matrix_csr(num_points, owned, cells, dofmap, basis, block_size, components):
    """CSR arrays of B: row components·i + d of owned point i holds φ_j(X_i) at column dof_j·bs + d.

    owned: (n_owned,) point indices, cells: (n_owned,) their cells, dofmap: (cells, dofs per cell),
    basis: (n_owned, dofs per cell).
    """
    dofs_per_cell = basis.shape[1]
    indptr = np.zeros(num_points * components + 1, dtype=np.int64)
    for k in range(owned.size):
        for d in range(block_size):
            indptr[owned[k] * components + d + 1] = dofs_per_cell
    for row in range(num_points * components):
        indptr[row + 1] += indptr[row]
    indices = np.empty(indptr[-1], dtype=np.int64)
    values = np.empty(indptr[-1])
    for k in range(owned.size):
        for d in range(block_size):
            start = indptr[owned[k] * components + d]
            for j in range(dofs_per_cell):
                indices[start + j] = dofmap[cells[k], j] * block_size + d
                values[start + j] = basis[k, j]
    return indptr, indices, values


@njit(cache=True)
def _combine(basis, owned, cells, cell_nodes, nodal_values, out):
    """out[owned[k], c] = Σ_j basis[k, j] nodal_values[cell_nodes[cells[k], j], c] for c < components
    of nodal_values. With the space's dofmap and blocked dof values this is B v (interpolation)."""
    for k in range(owned.size):
        cell = cells[k]
        for c in range(nodal_values.shape[1]):
            value = 0.0
            for j in range(basis.shape[1]):
                value += basis[k, j] * nodal_values[cell_nodes[cell, j], c]
            out[owned[k], c] = value
    return out


@njit(cache=True)
def _spread(basis, owned, cells, dofmap, point_values, block_size, num_local_dofs):
    """Bᵀ F, the transpose of _combine: the load on the blocked local dofs from the first
    block_size components of the point values (N, >= block_size)."""
    load = np.zeros(num_local_dofs)
    for k in range(owned.size):
        cell = cells[k]
        for c in range(block_size):
            value = point_values[owned[k], c]
            for j in range(basis.shape[1]):
                load[dofmap[cell, j] * block_size + c] += basis[k, j] * value
    return load


@njit(cache=True)
def _strain_rates(dphi, dgeo, owned, cells, dofmap, nodal, geometry_nodes, x, gdim, out):
    """out[owned[k]] = sym ∇v at the points (n_owned of them), or P sym(∇_Γ v) P on a surface.

    dphi, dgeo: (tdim, n_owned, dofs) reference derivatives of the velocity and geometry bases;
    nodal: (dof blocks, bs) velocity values. The physical gradient is ∇v = (∂v/∂X) J⁺ with J⁺
    the (pseudo-)inverse (JᵀJ)⁻¹Jᵀ of the gdim×tdim Jacobian (the inverse for tetrahedra),
    exactly as UFL's grad (also on manifolds); P = I − n nᵀ with the discrete normal n ∝ J₀ × J₁.
    """
    bs = nodal.shape[1]
    tdim = dphi.shape[0]
    jacobian = np.zeros((3, tdim))
    dv_dX = np.zeros((3, tdim))
    pseudo_inverse = np.zeros((tdim, 3))
    grad = np.zeros((3, 3))
    strain = np.zeros((3, 3))
    projected = np.zeros((3, 3))   # P ε, then P ε P
    normal = np.zeros(3)
    for k in range(owned.size):
        cell = cells[k]
        jacobian[:] = 0.0
        dv_dX[:] = 0.0
        for r in range(tdim):
            for j in range(dgeo.shape[2]):
                node = geometry_nodes[cell, j]
                for d in range(gdim):
                    jacobian[d, r] += dgeo[r, k, j] * x[node, d]
            for j in range(dphi.shape[2]):
                dof = dofmap[cell, j]
                for c in range(bs):
                    dv_dX[c, r] += dphi[r, k, j] * nodal[dof, c]
        if tdim == 3:   # J⁻¹ = adj(J)ᵀ / det J: its rows are cross products of J's columns
            for r in range(3):
                s1, s2 = (r + 1) % 3, (r + 2) % 3
                for d in range(3):
                    d1, d2 = (d + 1) % 3, (d + 2) % 3
                    pseudo_inverse[r, d] = jacobian[d1, s1] * jacobian[d2, s2] - jacobian[d2, s1] * jacobian[d1, s2]
            det = 0.0
            for d in range(3):
                det += jacobian[d, 0] * pseudo_inverse[0, d]
            for r in range(3):
                for d in range(3):
                    pseudo_inverse[r, d] /= det
        else:
            g00, g01, g11 = 0.0, 0.0, 0.0   # JᵀJ
            for d in range(gdim):
                g00 += jacobian[d, 0] * jacobian[d, 0]
                g01 += jacobian[d, 0] * jacobian[d, 1]
                g11 += jacobian[d, 1] * jacobian[d, 1]
            det = g00 * g11 - g01 * g01
            for d in range(gdim):
                pseudo_inverse[0, d] = (g11 * jacobian[d, 0] - g01 * jacobian[d, 1]) / det
                pseudo_inverse[1, d] = (g00 * jacobian[d, 1] - g01 * jacobian[d, 0]) / det
        grad[:] = 0.0
        for c in range(bs):
            for d in range(gdim):
                for r in range(tdim):
                    grad[c, d] += dv_dX[c, r] * pseudo_inverse[r, d]
        for c in range(3):
            for d in range(3):
                strain[c, d] = 0.5 * (grad[c, d] + grad[d, c])
        if gdim == 3 and tdim == 2:
            nx = jacobian[1, 0] * jacobian[2, 1] - jacobian[2, 0] * jacobian[1, 1]
            ny = jacobian[2, 0] * jacobian[0, 1] - jacobian[0, 0] * jacobian[2, 1]
            nz = jacobian[0, 0] * jacobian[1, 1] - jacobian[1, 0] * jacobian[0, 1]
            norm = np.sqrt(nx * nx + ny * ny + nz * nz)
            normal[0], normal[1], normal[2] = nx / norm, ny / norm, nz / norm
            for c in range(3):   # P ε with P = I − n nᵀ
                for d in range(3):
                    projected[c, d] = strain[c, d] - normal[c] * (normal[0] * strain[0, d] + normal[1] * strain[1, d]
                                                                  + normal[2] * strain[2, d])
            for c in range(3):   # (P ε) P
                for d in range(3):
                    strain[c, d] = projected[c, d] - (projected[c, 0] * normal[0] + projected[c, 1] * normal[1]
                                                      + projected[c, 2] * normal[2]) * normal[d]
        out[owned[k]] = strain
    return out


class PointOperator:
    """Locate points in a fixed mesh and build B for one function space (scalar or vector Lagrange).

    points: (N, 3) positions in the mesh's units (z ignored on planar meshes).
    tolerance: points farther than this from the mesh raise PointLocationError; points within
        it are projected onto the nearest triangle (on a surface: along the triangle normal), or
        onto the nearest tetrahedron's boundary (points just outside a volume mesh).
        Default: half the largest cell edge; on a closed surface (one rank) half its smallest
        extent, so that every point inside it is located (centroids of coarse cells lie inside).
    """

    def __init__(self, space: fem.FunctionSpace, points: np.ndarray, tolerance: float | None = None):
        self.space = space
        mesh = space.mesh
        self.mesh = mesh
        self.comm = mesh.comm
        self.gdim = mesh.geometry.dim
        self.block_size = space.dofmap.index_map_bs
        if self.block_size not in (1, self.gdim):
            raise ValueError(f"space must be scalar or a gdim-vector Lagrange space, block size is {self.block_size}")
        self.components = 1 if self.block_size == 1 else 3
        self.num_local_dofs = (space.dofmap.index_map.size_local + space.dofmap.index_map.num_ghosts) * self.block_size

        num_cells = mesh.topology.index_map(mesh.topology.dim).size_local
        geometry_nodes = mesh.geometry.dofmaps[0][:num_cells]
        self._geometry_nodes = geometry_nodes
        x = mesh.geometry.x
        # the vertices are the first nodes of a P1 or P2 triangle (or P1 tetrahedron)
        corners = mesh.topology.dim + 1
        triangles = np.ascontiguousarray(x[geometry_nodes[:, :corners]])
        first, second = np.triu_indices(corners, 1)
        edges = np.linalg.norm(triangles[:, second] - triangles[:, first], axis=2)
        largest_edge = self.comm.allreduce(edges.max() if num_cells else 0.0, op=MPI.MAX)
        neighbours = facet_neighbours(mesh, num_cells)
        default = 0.5 * largest_edge
        closed = self.comm.allreduce(bool((neighbours >= 0).all()), op=MPI.LAND)
        if self.gdim == 3 and mesh.topology.dim == 2 and closed:
            # a closed surface (an egg): every point inside it is located, on its nearest surface point.
            # The centroid of a coarse cell on a curved egg lies inside by up to its own size (a cell
            # capping a pole: a large part of the radius), far beyond half an edge
            default = max(default, 0.5 * float(np.ptp(x[:, :3], axis=0).min()))
        self.tolerance = default if tolerance is None else float(tolerance)
        if not self.tolerance >= 0.0:
            raise ValueError(f"tolerance must be non-negative, got {tolerance!r}")
        self._cell_keys = np.asarray(mesh.topology.original_cell_index[:num_cells], dtype=np.int64)
        self._cells = Simplices(triangles, simplex_altitudes(triangles), self._cell_keys, neighbours)
        if mesh.topology.dim == 3:
            self._stars = boundary_stars(triangles, geometry_nodes[:, :corners], exterior_facets(mesh, num_cells),
                                         len(x))
        else:
            self._stars = no_boundary_stars(num_cells, corners)
        # small bucket margin: most points sit on (or within a sagitta of) the mesh
        self._margin = min(self.tolerance, 0.05 * largest_edge)
        self._grid = BucketGrid(*build_bucket_grid(triangles, self._margin, max(64, 8 * num_cells)))
        self._bases: dict = {}   # basix element -> LagrangeBasis
        self._basis = self._basis_of(space)
        self._geometry_basis = self._basis_of_element(
            mesh.ufl_domain().ufl_coordinate_element().sub_elements[0].basix_element)
        self._tables: dict = {}
        self._last_cells = np.zeros(0, dtype=np.int64)   # located triangle per point: next update's guess
        self.update(points)

    # ---------------------------------------------------------------- location
    def update(self, points: np.ndarray) -> None:
        """Re-locate the (moved) points (B follows them). Cost: one numba pass over the points (on numba's threads).

        Point i starts from the triangle point i had at the previous update (the points are
        expected to keep their order; appended or reordered points are merely searched anew).
        """
        points = np.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != 3:
            raise ValueError(f"points must be an (N, 3) array, got shape {points.shape}")
        if not np.isfinite(points).all():
            raise ValueError("points contain NaN or infinite coordinates")
        query = points.copy()
        if self.gdim == 2:
            query[:, 2] = 0.0
        guess = np.full(len(query), -1, dtype=np.int64)
        kept = min(len(query), len(self._last_cells))
        guess[:kept] = self._last_cells[:kept]
        cells, bary, distance = locate_points(query, self._cells, self._stars, self._grid, self._margin, self.tolerance,
                                               guess)
        self._last_cells = cells
        distance = np.where(cells >= 0, distance, np.inf)
        best = allreduce_array(self.comm, distance, op=MPI.MIN)
        # owner: the rank holding the closest cell, ties broken by the cell's input index, so the
        # choice (which matters for gradients at edges) does not depend on the partition
        no_key = np.iinfo(np.int64).max
        key = np.where(distance <= best, self._cell_keys[np.maximum(cells, 0)], no_key)
        owner_key = allreduce_array(self.comm, key, op=MPI.MIN)
        mine = (key == owner_key) & (key != no_key)
        too_far = best > self.tolerance
        if too_far.any():
            worst = int(np.argmax(np.where(np.isfinite(best), best, np.finfo(float).max)))
            raise PointLocationError(
                f"{int(too_far.sum())} of {len(points)} points lie farther than tolerance={self.tolerance:g} "
                f"from the mesh (e.g. point {worst} at {points[worst]}); move them inside or raise tolerance",
                np.flatnonzero(too_far), len(points), self.tolerance)
        self.points = points
        self.num_points = len(points)
        self.owned = np.flatnonzero(mine)
        self.cells = cells[self.owned]
        # reference coordinates of the projection: X = (λ1, λ2(, λ3)) on the reference simplex
        self.reference_points = bary[:, 1:].take(self.owned, axis=0)
        self._tables.clear()
        self._projected_points = None
        self._matrix = None

    @property
    def projected_points(self) -> np.ndarray:
        """Where each point was placed on the discrete mesh, (N, 3): the point itself inside a planar
        mesh. Computed on first use after an update (collective: every rank must ask)."""
        if self._projected_points is None:
            projected = _combine(self._tabulate(self._geometry_basis, 0)[0], self.owned, self.cells,
                                 self._geometry_nodes, self.mesh.geometry.x, np.zeros((self.num_points, 3)))
            self._projected_points = self._sum_over_ranks(projected)
        return self._projected_points

    def _tabulate(self, basis: LagrangeBasis, derivatives: int) -> np.ndarray:
        """Basis (and first derivatives) of a scalar Lagrange basis at the owned points' X."""
        key = (id(basis), derivatives)
        if key not in self._tables:
            self._tables[key] = basis.tabulate(derivatives, self.reference_points)
        return self._tables[key]

    def _basis_of_element(self, element) -> LagrangeBasis:
        if element not in self._bases:
            self._bases[element] = LagrangeBasis(element)
        return self._bases[element]

    def _basis_of(self, space: fem.FunctionSpace) -> LagrangeBasis:
        return self._basis_of_element(_scalar_basix_element(space))

    @property
    def matrix(self) -> sp.csr_matrix:
        """B as a scipy CSR matrix: row 3i + d (or i) of an owned point holds φ_j(X_i) at dof j·bs + d.

        Built on first use after an update; spread() and interpolate() apply B without it.
        """
        if self._matrix is None:
            basis = self._tabulate(self._basis, 0)[0]  # (n_owned, dofs per cell)
            indptr, indices, values = _point_matrix_csr(self.num_points, self.owned, self.cells,
                                                        self.space.dofmap.list, basis, self.block_size,
                                                        self.components)
            self._matrix = sp.csr_matrix((values, indices, indptr),
                                         shape=(self.num_points * self.components, self.num_local_dofs))
        return self._matrix

    # ---------------------------------------------------------------- operations
    def spread(self, point_values: np.ndarray) -> np.ndarray:
        """Load vector b = Bᵀ F on the local dofs, from (N, 3) point forces (or (N,) rates)."""
        point_values = np.asarray(point_values, dtype=float)
        expected = (self.num_points, 3) if self.components == 3 else (self.num_points,)
        if point_values.shape != expected:
            raise ValueError(f"point values must have shape {expected}, got {point_values.shape}")
        return _spread(self._tabulate(self._basis, 0)[0], self.owned, self.cells, self.space.dofmap.list,
                       point_values.reshape(self.num_points, -1), self.block_size, self.num_local_dofs)

    def _sum_over_ranks(self, values: np.ndarray) -> np.ndarray:
        return allreduce_array(self.comm, values) if self.comm.size > 1 else values

    def _evaluate(self, space: fem.FunctionSpace, array: np.ndarray) -> np.ndarray:
        """Values at the points of the function with dof values array in space: (N,) or (N, 3)."""
        bs = space.dofmap.index_map_bs
        basis = self._tabulate(self._basis_of(space), 0)[0]
        out = _combine(basis, self.owned, self.cells, space.dofmap.list, array.reshape(-1, bs),
                       np.zeros((self.num_points, 3 if bs > 1 else 1)))
        out = self._sum_over_ranks(out)
        return out if bs > 1 else out[:, 0]

    def interpolate(self, function: fem.Function | np.ndarray) -> np.ndarray:
        """B v: values of a function of this space at the points, (N, 3) or (N,)."""
        array = function.x.array if isinstance(function, fem.Function) else np.asarray(function, dtype=float)
        if array.shape != (self.num_local_dofs,):
            raise ValueError(f"dof values must have shape ({self.num_local_dofs},), got {array.shape}")
        return self._evaluate(self.space, array)

    def field_values(self, function: fem.Function) -> np.ndarray:
        """Values at the points of a Lagrange function of any space on the same mesh: (N,) or (N, 3)."""
        if function.function_space.mesh is not self.mesh:
            raise ValueError("function must live on the mesh the points were located in")
        return self._evaluate(function.function_space, function.x.array)

    def strain_rate(self, velocity: fem.Function) -> np.ndarray:
        """Strain-rate tensor ε(v) = sym ∇v at the points, (N, 3, 3) (1/time).

        On a surface: the surface strain rate P sym(∇_Γ v) P, P = I − n nᵀ with the discrete normal.
        """
        space = velocity.function_space
        bs = space.dofmap.index_map_bs
        out = _strain_rates(self._tabulate(self._basis_of(space), 1)[1:], self._tabulate(self._geometry_basis, 1)[1:],
                            self.owned, self.cells, space.dofmap.list, velocity.x.array.reshape(-1, bs),
                            self._geometry_nodes, self.mesh.geometry.x, self.gdim, np.zeros((self.num_points, 3, 3)))
        return self._sum_over_ranks(out)
