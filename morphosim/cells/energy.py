"""Vertex-model energy and its analytic forces.

    E = sum_cells [ K/2 (A - A0)^2 + Gamma/2 P^2 ] + sum_edges Lambda_ij l_ij,
    Lambda_ij = (lambda_i + lambda_j) / 2   (lambda of the one cell on the sheet's outer boundary)

Each term is a separate object. A term whose energy is, per cell, a quadratic polynomial in the
cell's area A and perimeter P plus a line tension times its line length L (every standard term)
reports its energy and adds its per-cell coefficients to a :class:`Coefficients` block,

    E_c = a2/2 A^2 + a1 A + p2/2 P^2 + p1 P + lambda L   (+ a constant),

and one numba kernel per geometry computes, reading each cell through its contiguous ring
(:mod:`.rings`), its geometry, dE/dA = a2 A + a1, dE/dP = p2 P + p1, the stable step bound, and
the forces

    F_v = - sum_c [ dE/dA_c dA_c/dr_v + sum_{sides s of c} (dE/dP_c + w_s lambda_c) dl_s/dr_v ]

(w_s = 1/2 for an edge shared with another cell, 1 on the outer boundary, so that the two cells
of an edge together give its line tension Lambda_ij). Both geometries gather these sums in
parallel passes (:func:`part_passes`): planar sheets edge by edge, shells cell by cell (each cell
writes its force on each of its vertices, each vertex adds up those of its cells). A new quadratic
term (e.g. a different preferred area law) only needs ``energy`` and ``accumulate``; a term of
another kind (substrate adhesion, bending) would add its own force kernel and be summed in
:meth:`VertexModel.forces_and_bound`.

Units: with lengths in µm and energies in nN·µm, K is nN/µm^3, Gamma nN/µm, Lambda nN.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..threads import barrier, region_threads, share
from .boundary import SHELL
from .geometry import (CellScalars, CellShape, Geometry, SheetArrays, as_scalars, as_sheet, compute_geometry,
                       edge_pass, planar_cell, ring_side, sheet_arrays, shell_cell, store_scalars)
from .sheet import INDEX, MAX_DEGREE, Sheet


class ParameterError(ValueError):
    """A mechanical parameter has the wrong shape or value."""


# ---------------------------------------------------------------------- per-cell parameters
def as_per_cell(name: str, value) -> np.ndarray:
    """A scalar becomes a length-1 array (broadcast by the kernels), an array is copied to float."""
    arr = np.atleast_1d(np.asarray(value, float)).copy()
    if arr.ndim != 1:
        raise ParameterError(f"{name} must be a scalar or a 1-D array over cell slots, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ParameterError(f"{name} contains non-finite values")
    return arr


def check_length(name: str, arr: np.ndarray, n_cells: int) -> None:
    if arr.shape[0] not in (1, n_cells):
        raise ParameterError(f"{name} has {arr.shape[0]} entries but the sheet has {n_cells} cells: "
                             "update per-cell parameters after topology events (TopologyEvents.carry)")


@njit(inline="always")
def per_cell(values, c):
    return values[c] if values.shape[0] > 1 else values[0]


class Coefficients:
    """Per-cell coefficients of E_c = a2/2 A^2 + a1 A + p2/2 P^2 + p1 P + lambda L that the terms
    add to: ``area_stiffness`` a2, ``area_slope`` a1, ``perimeter_stiffness`` p2,
    ``perimeter_slope`` p1, ``line_tension`` lambda. Each is a length-1 array (the same for every
    cell) until a term adds a per-cell array, which makes it per-cell. A coefficient that one term
    alone adds to is that term's array itself, not a copy."""

    NAMES = ("area_stiffness", "area_slope", "perimeter_stiffness", "perimeter_slope", "line_tension")

    def __init__(self):
        self._zero = np.zeros(1)  # shared by the coefficients no term adds to; never written
        self.reset()

    def reset(self) -> None:
        for name in self.NAMES:
            setattr(self, name, self._zero)

    def add(self, name: str, values: np.ndarray) -> None:
        # the first term's array is taken as it is (the kernels only read it): a force call then
        # costs a few numpy operations less, which are most of the Python around a small sheet's step
        current = getattr(self, name)
        setattr(self, name, values if current is self._zero else current + values)

    def arrays(self) -> tuple:
        """The coefficients in NAMES order, a plain tuple for the kernels (see .boundary)."""
        return (self.area_stiffness, self.area_slope, self.perimeter_stiffness, self.perimeter_slope,
                self.line_tension)


# Coefficients as the kernels take them (each a length-1 array or one value per cell slot).
CellCoefficients = namedtuple("CellCoefficients", Coefficients.NAMES)


@njit(inline="always")
def as_coefficients(values):
    """The CellCoefficients of Coefficients.arrays()."""
    return CellCoefficients(*values)


# ---------------------------------------------------------------------- energy terms
class AreaElasticity:
    """sum_c K_c/2 (A_c - A0_c)^2. Apoptosis: drive a cell's A0 to 0."""

    parameters = ("K", "A0")

    def __init__(self, K=1.0, A0=1.0):
        self.K = as_per_cell("K", K)
        self.A0 = as_per_cell("A0", A0)

    def energy(self, geometry: Geometry, n: int) -> float:
        return _area_energy(geometry.area, self.K, self.A0, n)

    def accumulate(self, coefficients: Coefficients) -> None:
        coefficients.add("area_stiffness", self.K)
        coefficients.add("area_slope", -self.K * self.A0)


class PerimeterContractility:
    """sum_c Gamma_c/2 P_c^2 (actomyosin ring contractility)."""

    parameters = ("Gamma",)

    def __init__(self, Gamma=0.0):
        self.Gamma = as_per_cell("Gamma", Gamma)

    def energy(self, geometry: Geometry, n: int) -> float:
        return _perimeter_energy(geometry.perimeter, self.Gamma, n)

    def accumulate(self, coefficients: Coefficients) -> None:
        coefficients.add("perimeter_stiffness", self.Gamma)


class LineTension:
    """sum_edges Lambda_ij l_ij with Lambda_ij the mean of the adjacent cells' lambda."""

    parameters = ("Lambda",)

    def __init__(self, Lambda=0.0):
        self.Lambda = as_per_cell("Lambda", Lambda)

    def energy(self, geometry: Geometry, n: int) -> float:
        return _line_energy(geometry.line_length, self.Lambda, n)

    def accumulate(self, coefficients: Coefficients) -> None:
        coefficients.add("line_tension", self.Lambda)


@njit(cache=True)
def _area_energy(area, K, A0, n):
    total = 0.0
    for c in range(n):
        d = area[c] - per_cell(A0, c)
        total += 0.5 * per_cell(K, c) * d * d
    return total


@njit(cache=True)
def _perimeter_energy(perimeter, Gamma, n):
    total = 0.0
    for c in range(n):
        total += 0.5 * per_cell(Gamma, c) * perimeter[c] * perimeter[c]
    return total


@njit(cache=True)
def _line_energy(line_length, Lambda, n):
    total = 0.0
    for c in range(n):
        total += per_cell(Lambda, c) * line_length[c]
    return total


# Waking the other threads costs tens of microseconds per parallel region (they sleep between
# regions, see morphosim.threads.configure), and a step has two (forces, move): below this many
# vertices one thread, which runs the passes without a parallel region, is faster (the crossover
# was measured with bench/cells).
PARALLEL_MIN_VERTICES = 5_000


def kernel_threads(n_vertices: int) -> int:
    """Threads for the kernels over n_vertices vertices: one below PARALLEL_MIN_VERTICES, else
    region_threads(). The results do not depend on it."""
    return 1 if n_vertices < PARALLEL_MIN_VERTICES else region_threads()


# ---------------------------------------------------------------------- the model
class VertexModel:
    """Sum of energy terms; by default the standard area / perimeter / line-tension model.

    ``K, A0, Gamma, Lambda`` are scalars or arrays over cell slots (length n_cells). Update
    them every step in place with :meth:`set_parameters` (no reallocation when the length is
    unchanged). After topology events call :meth:`carry` (or set fresh arrays).
    """

    def __init__(self, K=1.0, A0=1.0, Gamma=0.0, Lambda=0.0, terms=None):
        self.terms = list(terms) if terms is not None else [
            AreaElasticity(K, A0), PerimeterContractility(Gamma), LineTension(Lambda)]
        # cell terms feed the fused kernel; edge terms (add_forces) add their own forces
        self.cell_terms = [term for term in self.terms if not hasattr(term, "add_forces")]
        self.edge_terms = [term for term in self.terms if hasattr(term, "add_forces")]
        self.geometry = Geometry(0)
        self.coefficients = Coefficients()

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(name for term in self.terms for name in term.parameters)

    # parameters ---------------------------------------------------------------------------
    def _owner(self, name):
        for term in self.terms:
            if name in term.parameters:
                return term
        raise ParameterError(f"no energy term has a parameter named {name!r}")

    def __getattr__(self, name):  # model.K, model.A0, ... read the owning term's array
        if name in ("terms", "cell_terms", "edge_terms", "geometry", "coefficients"):
            raise AttributeError(name)
        for term in self.terms:
            if name in term.parameters:
                return getattr(term, name)
        raise AttributeError(name)

    def set_parameters(self, **values) -> None:
        """Set per-cell (or scalar) parameters, writing in place when the length is unchanged."""
        for name, value in values.items():
            term = self._owner(name)
            current = getattr(term, name)
            new = np.asarray(value, float)
            if new.ndim <= 1 and np.atleast_1d(new).shape == current.shape and np.all(np.isfinite(new)):
                current[:] = new
            else:
                setattr(term, name, as_per_cell(name, value))

    def carry(self, events) -> None:
        """Remap per-cell parameter arrays through topology events (daughters copy mothers)."""
        for term in self.terms:
            for name in term.parameters:
                arr = getattr(term, name)
                if arr.shape[0] > 1:
                    setattr(term, name, events.carry(arr))

    # evaluation ---------------------------------------------------------------------------
    def update(self, sheet: Sheet) -> Geometry:
        """Recompute geometry and coefficients for the current vertex positions."""
        self._coefficients(sheet.n_cells)
        self.geometry = compute_geometry(sheet, self.geometry)
        return self.geometry

    def _coefficients(self, n: int) -> Coefficients:
        self.coefficients.reset()
        for term in self.terms:
            for name in term.parameters:
                values = getattr(term, name)
                if values.shape[0] != 1 and values.shape[0] != n:
                    check_length(name, values, n)  # raises
        for term in self.cell_terms:
            term.accumulate(self.coefficients)
        return self.coefficients

    def energy(self, sheet: Sheet) -> float:
        geometry = compute_geometry(sheet, self.geometry)
        self.geometry = geometry
        return float(sum(term.energy(geometry, sheet.n_cells) for term in self.cell_terms)
                     + sum(term.edge_energy(sheet) for term in self.edge_terms))

    def forces(self, sheet: Sheet, out: np.ndarray | None = None) -> np.ndarray:
        """F = -dE/dr for every active vertex, (n_vertices, 3). Not projected on shells."""
        if out is None:
            out = np.empty((sheet.n_vertices, 3))
        self.forces_and_bound(sheet, out)
        return out

    def forces_and_bound(self, sheet: Sheet, out: np.ndarray, edge_floor: float = 0.0) -> float:
        """Write the forces into ``out`` (n_vertices, 3) and return :meth:`stiffness_bound`, both
        from one pass over the cells. Refreshes the scalar fields of ``self.geometry`` (area,
        perimeter, line_length, n_sides, ...); the vector fields (centroid, normal) are refreshed by
        :meth:`update` and :func:`compute_geometry`."""
        arrays, coefficients = self.kernel_arguments(sheet)
        per_cell_max = _forces(kernel_threads(sheet.n_vertices), arrays, coefficients, edge_floor,
                               self.geometry.scalars, out)
        for term in self.edge_terms:
            term.add_forces(sheet, out)
        return (float(sheet.counts[MAX_DEGREE]) * per_cell_max
                + sum(term.stiffness_bound(sheet, edge_floor) for term in self.edge_terms))

    def kernel_arguments(self, sheet: Sheet) -> tuple:
        """(SheetArrays, CellCoefficients) as plain tuples: what the force kernels (and the
        integrator's step kernel) take from the sheet and the cell terms, after checking the
        parameters' lengths; makes ``self.geometry`` large enough."""
        n = sheet.n_cells
        coefficients = self._coefficients(n)
        if self.geometry.capacity < n:
            self.geometry = Geometry(sheet.cell_edge.shape[0])
        return sheet_arrays(sheet), coefficients.arrays()

    def stiffness_bound(self, sheet: Sheet, edge_floor: float = 0.0) -> float:
        """Upper bound on the largest eigenvalue of the energy Hessian (energy / length^2) for the
        geometry and coefficients of the last :meth:`update`/:meth:`forces` call.

        Per cell, lambda_max(H_c) <= d2E/dA2 |grad A|^2 + |dE/dA| rho(hess A) + d2E/dP2 |grad P|^2
        + 4 max(dE/dP + lambda, 0) / l_min, with |grad A|^2 <= sum l^2, rho(hess A) <= 1,
        |grad P|^2 <= 4 n (planar, exact bounds). Summing over cells, a vertex shared by at most
        d cells gives lambda_max(H) <= d max_c lambda_max(H_c). On shells the fan-area bounds are
        doubled (an estimate, checked by the tests rather than proved).

        Edges shorter than ``edge_floor`` count as ``edge_floor`` long: an edge collapsing under
        tension would otherwise shrink the bound, and the time step, geometrically towards zero
        (it is the T1 swap, not the integrator, that must resolve it).
        """
        per_cell_max = _stiffness_bound(self.geometry.scalars, self.coefficients.arrays(), sheet.n_cells,
                                        sheet.is_shell, edge_floor)
        return (float(sheet.counts[MAX_DEGREE]) * per_cell_max
                + sum(term.stiffness_bound(sheet, edge_floor) for term in self.edge_terms))


# One cell's derivatives of E_c: dE/dA, d2E/dA2, dE/dP, d2E/dP2 and its line tension lambda.
CellDerivatives = namedtuple("CellDerivatives", "dE_dA d2E_dA2 dE_dP d2E_dP2 line_tension")


@njit(inline="always")
def cell_derivatives(coefficients, c, area, perimeter):
    """Cell c's CellDerivatives from its quadratic-form coefficients:
    dE/dA = a2 A + a1, d2E/dA2 = a2, dE/dP = p2 P + p1, d2E/dP2 = p2."""
    a2 = per_cell(coefficients.area_stiffness, c)
    p2 = per_cell(coefficients.perimeter_stiffness, c)
    return CellDerivatives(a2 * area + per_cell(coefficients.area_slope, c), a2,
                           p2 * perimeter + per_cell(coefficients.perimeter_slope, c), p2,
                           per_cell(coefficients.line_tension, c))


@njit(inline="always")
def cell_stiffness(shape, derivatives, shell, edge_floor):
    """Bound on the largest Hessian eigenvalue of one cell's energy (see stiffness_bound), from its
    CellShape and CellDerivatives."""
    shell_factor = 2.0 if shell else 1.0
    s = shell_factor * (derivatives.d2E_dA2 * shape.sum_squared_edges + abs(derivatives.dE_dA))
    s += derivatives.d2E_dP2 * 4.0 * shape.n_sides
    s += 4.0 * max(derivatives.dE_dP + derivatives.line_tension, 0.0) / max(shape.shortest_edge, edge_floor)
    return s


@njit(cache=True)
def _stiffness_bound(scalars, coefficients, n_cells, shell, edge_floor):
    scalars, coefficients = as_scalars(scalars), as_coefficients(coefficients)
    worst = 0.0
    for c in range(n_cells):
        shape = CellShape(scalars.area[c], scalars.perimeter[c], scalars.line_length[c], scalars.n_sides[c],
                          scalars.sum_squared_edges[c], scalars.shortest_edge[c])
        derivatives = cell_derivatives(coefficients, c, shape.area, shape.perimeter)
        worst = max(worst, cell_stiffness(shape, derivatives, shell, edge_floor))
    return worst


# Forces are gathered, so that the passes run in parallel and sum in the same order for any number
# of threads (one parallel region, see morphosim.threads). Planar sheets gather edge by edge: an
# edge's force on its ends needs only its two cells' responses. On shells a cell's fan-area gradient
# at a vertex depends on the whole cell, so each cell writes its force on each of its vertices (into
# side_force, by ring position) and each vertex sums those of the cells around it. The kernels take
# the records SheetArrays (geometry.sheet_arrays), CellCoefficients and CellScalars. A prange body
# passes records on to a function rather than unpack them itself (writes through arrays unpacked in
# the body are lost), and takes only flat ones: it gets SheetArrays in parts and rebuilds it.

# The threads of one parallel region: how many, the barrier's arrival counter, and one slot per
# thread for the largest stiffness bound of its cells.
Team = namedtuple("Team", "size arrivals worst")


@njit(inline="always")
def new_team(n_threads):
    return Team(n_threads, np.zeros(1, np.int64), np.zeros(n_threads))


@njit(cache=True)
def _forces(n_threads, sheet, coefficients, edge_floor, scalars, out):
    """Forces into ``out`` on n_threads threads (one: without a parallel region, which would wake the
    others), storing the cells' scalar geometry; returns the largest per-cell stiffness bound."""
    sheet, coefficients, scalars = as_sheet(sheet), as_coefficients(coefficients), as_scalars(scalars)
    team = new_team(n_threads)
    if n_threads == 1:
        _force_passes(0, team, sheet, coefficients, edge_floor, scalars, out)
    else:
        _force_region(team, sheet.vertices, sheet.boundary, sheet.rings, coefficients, edge_floor, scalars, out)
    return team.worst.max()


@njit(cache=True, parallel=True)
def _force_region(team, vertices, boundary, rings, coefficients, edge_floor, scalars, out):
    """_force_passes in one parallel region, one iteration per thread (see morphosim.threads)."""
    for thread in prange(team.size):
        _force_passes(thread, team, SheetArrays(vertices, boundary, rings), coefficients, edge_floor, scalars, out)


@njit(cache=True)
def _force_passes(thread, team, sheet, coefficients, edge_floor, scalars, out):
    """One thread's share of :func:`part_passes` (storing the cells' geometry), then of the sum F_v."""
    part_passes(thread, team, 0, sheet, coefficients, edge_floor, scalars, True)
    first, last = share(sheet.rings.n_vertices, thread, team.size)
    sum_parts(thread_vertex_parts(sheet, first, last), force_parts(sheet), out[first:last])


@njit(cache=True)
def part_passes(thread, team, generation, sheet, coefficients, edge_floor, scalars, store):
    """One thread's share of every pass up to the forces' parts, the passes separated by barriers
    (numbered from ``generation`` + 1; returns the last one). Each thread writes only its own rows,
    so the results are the same, bit for bit, for any number of threads:

    1. edges: (vector, length) on planar sheets, (unit vector, length) on shells;
    2. cells: the stiffness bound (the largest per thread in team.worst); with ``store``, also the
       cells' CellScalars (without, the arrays may be empty); planar: the cell_response row
       (dE/dA, t = dE/dP + lambda/2); shells: -dE_c/dr at each of the cell's vertices, into
       side_force (_shell_cells);
    3. planar only, edges: with L and R the cells left and right of tail -> head (R outside: zeros),
       d the edge vector and l its length,
           tension  T = dE/dP_L + dE/dP_R + w (lambda_L + lambda_R)   (w = 1 on the boundary, else 1/2)
                      = t_L + t_R (+ lambda_L / 2 on the boundary),
           g = T d / l,   q = -(dE/dA_L - dE/dA_R) perp(d) / 2,   perp(x, y) = (y, -x)
       (the edge's length gradient and its share of both cells' shoelace area gradients), and its
       force on its ends: g + q on the tail, -g + q on the head (end_force).

    F_v is then the sum of v's rows of force_parts (:func:`vertex_force`)."""
    rings, n_cells = sheet.rings, sheet.rings.n_cells
    n_edges = rings.edge_tail.shape[0]
    # each pass gets views of its share (see geometry.planar_edges: indices from 0 are faster)
    first, last = share(n_edges, thread, team.size)
    edge_pass(sheet, first, last)
    barrier(team.arrivals, team.size, generation + 1)
    first, last = share(n_cells, thread, team.size)
    own_coefficients = CellCoefficients(
        _rows(coefficients.area_stiffness, first, last), _rows(coefficients.area_slope, first, last),
        _rows(coefficients.perimeter_stiffness, first, last), _rows(coefficients.perimeter_slope, first, last),
        _rows(coefficients.line_tension, first, last))
    own_scalars = CellScalars(
        scalars.area[first:last], scalars.signed_area[first:last], scalars.perimeter[first:last],
        scalars.line_length[first:last], scalars.n_sides[first:last], scalars.sum_squared_edges[first:last],
        scalars.shortest_edge[first:last])
    cell_start = rings.cell_start[first:last + 1]
    if sheet.boundary.kind == SHELL:
        team.worst[thread] = _shell_cells(cell_start, rings, own_coefficients, edge_floor, own_scalars, store)
        barrier(team.arrivals, team.size, generation + 2)
        return generation + 2
    team.worst[thread] = _planar_cells(cell_start, rings, rings.cell_response[first:last], own_coefficients,
                                       edge_floor, own_scalars, store)
    barrier(team.arrivals, team.size, generation + 2)
    first, last = share(n_edges, thread, team.size)
    _edge_forces(rings.edge_cells[first:last], rings.edge_data[:, first:last], rings.cell_response,
                 coefficients.line_tension, n_cells, rings.end_force[2 * first:2 * last])
    barrier(team.arrivals, team.size, generation + 3)
    return generation + 3


@njit(inline="always")
def no_scalars():
    """Empty CellScalars, for passes that store no geometry (a time step)."""
    empty = np.empty(0)
    return CellScalars(empty, empty, empty, empty, np.empty(0, INDEX), empty, empty)


@njit(inline="always")
def force_parts(sheet):
    """The rows the vertices sum their forces from: side_force on shells, end_force on planar sheets."""
    return sheet.rings.side_force if sheet.boundary.kind == SHELL else sheet.rings.end_force


@njit(inline="always")
def thread_vertex_parts(sheet, first, last):
    """The rows of the table of force_parts rows (vertex_sides or vertex_ends) of vertices [first, last)."""
    rings = sheet.rings
    return rings.vertex_sides[first:last] if sheet.boundary.kind == SHELL else rings.vertex_ends[first:last]


@njit(inline="always")
def _rows(values, first, last):
    """The rows [first, last) of a per-cell parameter; a scalar one (length 1) as it is."""
    return values[first:last] if values.shape[0] > 1 else values


@njit(inline="always")
def _cell_response(c, shape, shell, edge_floor, store, coefficients, scalars):
    """Cell c's (dE/dA, dE/dP, lambda, stiffness bound) from its CellShape; with ``store``, store
    the shape into ``scalars`` (a time step does not need it, and skips the stores)."""
    if store:
        store_scalars(scalars, c, shape)
    derivatives = cell_derivatives(coefficients, c, shape.area, shape.perimeter)
    stiffness = cell_stiffness(shape, derivatives, shell, edge_floor)
    return derivatives.dE_dA, derivatives.dE_dP, derivatives.line_tension, stiffness


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _planar_cells(cell_start, rings, cell_response, coefficients, edge_floor, scalars, store):
    """Pass 2 over the cells of ``cell_start`` (a share: cell_response, coefficients and scalars are
    views of the same rows): cell_response rows (dE/dA, dE/dP + lambda/2); returns the largest
    stiffness bound."""
    # one loop for each value of store, each with it as a constant: a loop that tests it per cell is much slower
    if store:
        return _planar_cell_loop(cell_start, rings, cell_response, coefficients, edge_floor, scalars, True)
    return _planar_cell_loop(cell_start, rings, cell_response, coefficients, edge_floor, scalars, False)


@njit(inline="always")
def _planar_cell_loop(cell_start, rings, cell_response, coefficients, edge_floor, scalars, store):
    ring_code, edge_data = rings.ring_code, rings.edge_data
    worst = 0.0
    for c in range(cell_start.shape[0] - 1):
        shape, _, _ = planar_cell(cell_start, ring_code, edge_data, c)
        dE_dA, dE_dP, lambda_, stiffness = _cell_response(c, shape, False, edge_floor, store, coefficients, scalars)
        # its share of the tension of each of its edges (on the outer boundary, _edge_forces adds lambda/2)
        cell_response[c, 0], cell_response[c, 1] = dE_dA, dE_dP + 0.5 * lambda_
        worst = max(worst, stiffness)
    return worst


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _edge_forces(edge_cells, edge_data, cell_response, line_tension, outside, end_force):
    """Pass 3 over the edges of ``edge_cells`` (a share; edge_data and end_force are views of the
    same edges' rows): the edge's force on its tail and on its head. ``outside`` is the cell index
    of the outside. The boundary edges' extra lambda_L / 2 is read from line_tension rather than
    stored per cell: rows of two, not three, move fewer bytes per cell."""
    dx, dy, lengths = edge_data[0], edge_data[1], edge_data[3]
    for e in range(edge_cells.shape[0]):
        left, right = np.uint32(edge_cells[e, 0]), np.uint32(edge_cells[e, 1])  # unsigned: see vertex_force
        boundary_share = 0.5 * per_cell(line_tension, left) if right == outside else 0.0
        tension = cell_response[left, 1] + cell_response[right, 1] + boundary_share
        tension_per_length = tension / lengths[e]
        half_pressure_jump = 0.5 * (cell_response[left, 0] - cell_response[right, 0])
        gx, gy = tension_per_length * dx[e], tension_per_length * dy[e]
        qx, qy = -half_pressure_jump * dy[e], half_pressure_jump * dx[e]
        end_force[2 * e, 0], end_force[2 * e, 1] = gx + qx, gy + qy
        end_force[2 * e + 1, 0], end_force[2 * e + 1, 1] = qx - gx, qy - gy


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _shell_cells(cell_start, rings, coefficients, edge_floor, scalars, store):
    """Pass 2 over the shell cells of ``cell_start`` (a share: coefficients and scalars are views of
    the same rows; side_force is indexed by the ring positions in cell_start); returns the largest bound.

    Side i of a ring runs from its vertex i to vertex i+1, so vertex i ends side i-1 (the "previous"
    side) and starts side i: dl_i/dr_i = -u_i and dl_(i-1)/dr_i = +u_(i-1); a side's tension is
    dE/dP + w lambda. The fan area's gradient at r_i: the centroid term (gx, gy, gz) plus the direct
    terms of triangles (c, r_i, r_i+1), (r_i+1 - c) x unit(t_i) / 2, and (c, r_i-1, r_i),
    unit(t_i-1) x (r_i-1 - c) / 2."""
    if store:  # see _planar_cells
        return _shell_cell_loop(cell_start, rings, coefficients, edge_floor, scalars, True)
    return _shell_cell_loop(cell_start, rings, coefficients, edge_floor, scalars, False)


@njit(inline="always")
def _shell_cell_loop(cell_start, rings, coefficients, edge_floor, scalars, store):
    ring_code, edge_data, side_force = rings.ring_code, rings.edge_data, rings.side_force
    scratch = np.empty((6, rings.max_sides))  # this thread's (see geometry.shell_cell)
    worst = 0.0
    for c in range(cell_start.shape[0] - 1):
        start, n = cell_start[c], cell_start[c + 1] - cell_start[c]
        shape, _, _, (gx, gy, gz) = shell_cell(cell_start, ring_code, edge_data, c, scratch)
        dE_dA, dE_dP, line_tension_c, stiffness = _cell_response(c, shape, True, edge_floor, store, coefficients,
                                                                 scalars)
        worst = max(worst, stiffness)
        forces = side_force[start:start + n]
        pux, puy, puz, _, pweight = ring_side(ring_code, edge_data, start + n - 1)
        previous_tension = dE_dP + pweight * line_tension_c
        for i in range(n):
            ux, uy, uz, _, weight = ring_side(ring_code, edge_data, start + i)
            tension = dE_dP + weight * line_tension_c
            j, h = (i + 1) % n, (i - 1) % n
            qx, qy, qz = scratch[0, j], scratch[1, j], scratch[2, j]  # r_i+1 - c
            tx, ty, tz = scratch[3, i], scratch[4, i], scratch[5, i]  # unit normal of triangle i
            mx, my, mz = scratch[0, h], scratch[1, h], scratch[2, h]  # r_i-1 - c
            sx, sy, sz = scratch[3, h], scratch[4, h], scratch[5, h]  # unit normal of triangle i-1
            ax = gx + 0.5 * (qy * tz - qz * ty + sy * mz - sz * my)
            ay = gy + 0.5 * (qz * tx - qx * tz + sz * mx - sx * mz)
            az = gz + 0.5 * (qx * ty - qy * tx + sx * my - sy * mx)
            forces[i, 0] = tension * ux - previous_tension * pux - dE_dA * ax
            forces[i, 1] = tension * uy - previous_tension * puy - dE_dA * ay
            forces[i, 2] = tension * uz - previous_tension * puz - dE_dA * az
            pux, puy, puz, previous_tension = ux, uy, uz, tension
    return worst


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def sum_parts(table, parts, out):
    """The vertex pass over the vertices of ``table`` (a share; out is a view of the same rows): F_v
    (:func:`vertex_force`)."""
    for v in range(table.shape[0]):
        out[v, 0], out[v, 1], out[v, 2] = vertex_force(table, parts, v)


@njit(inline="always")
def vertex_force(table, parts, v):
    """F_v = the sum of the rows table[v] of parts, rows (x, y) on planar sheets (z = 0: 2 columns
    rather than 3 move a sixth less data) or (x, y, z); the padding points at a row of zeros.
    Indices are read as unsigned: numba then skips its negative-index wrapping."""
    planar = parts.shape[1] == 2
    if table.shape[1] == 3:  # the usual width (three cells or edges at a vertex), unrolled
        a, b, c = np.uint32(table[v, 0]), np.uint32(table[v, 1]), np.uint32(table[v, 2])
        return (parts[a, 0] + parts[b, 0] + parts[c, 0], parts[a, 1] + parts[b, 1] + parts[c, 1],
                0.0 if planar else parts[a, 2] + parts[b, 2] + parts[c, 2])
    fx = fy = fz = 0.0
    for k in range(table.shape[1]):
        row = np.uint32(table[v, k])
        fx += parts[row, 0]
        fy += parts[row, 1]
        fz += 0.0 if planar else parts[row, 2]
    return fx, fy, fz
