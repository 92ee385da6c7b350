"""Cell rings: the half-edge mesh flattened into contiguous per-cell arrays for the hot kernels.

Walking ``next`` links and turning around vertices through ``twin`` are chains of dependent loads;
the geometry and force kernels instead read, for cell slot c, the ring entries
``cell_start[c] : cell_start[c + 1]`` in counter-clockwise order:

    ring_vertex[k]   vertex the k-th side starts from
    ring_code[k]     (edge << 2) | (reversed << 1) | on_boundary   for that side, where ``edge``
                     indexes the undirected edges (edge_tail[e] -> edge_head[e]), ``reversed``
                     says the cell runs along it head -> tail, ``on_boundary`` that the other
                     side is the outside of an open sheet

Edges are numbered in order of first appearance along the rings, so the edges of neighbouring
cells sit close in memory (cells and vertices are already numbered along a space-filling curve
by the constructors). Two more tables serve the planar force kernel, which gathers instead of
scattering (so that its passes run in parallel, and sum the same in any thread count):

    edge_cells[e]    (cell on the left of tail -> head, cell on the right), ``n_cells`` for the
                     outside of an open sheet (a row of zeros in the per-cell work arrays)
    vertex_ends[v]   the edge ends at vertex v, 2 e for the tail of edge e and 2 e + 1 for its head
                     (rows of ``end_force``, the force of each edge on each of its ends); rows are
                     padded with ``2 n_edges`` (a row of zeros)

and the shell force kernel, where a cell's fan-area gradient at a vertex depends on the whole cell
(each cell writes its force on its k-th vertex into row k of ``side_force``):

    vertex_sides[v]  the ring positions k with ring_vertex[k] == v (one per cell around v, in
                     increasing k); rows are padded with ``n_sides`` (a row of zeros)

Rings depend on topology only; :meth:`Sheet.rings` rebuilds them after topology events (it keys
the cache on ``Sheet.topology_version`` and the arrays themselves).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from .sheet import INDEX, N_CELLS, N_VERTICES, as_mesh

# What _build_rings fills: the ring arrays, the edge tables at full size (cut to the edge count
# after), and edge_of[h], the undirected edge of half-edge h.
RingTables = namedtuple("RingTables", "cell_start ring_vertex ring_code edge_tail edge_head edge_cells edge_of")


# What the geometry and force kernels take of a Rings (built once: the arrays are never replaced).
# A flat record (a parallel region cannot take nested tuples), with the sizes of that topology.
RingArrays = namedtuple("RingArrays", "cell_start ring_vertex ring_code edge_tail edge_head edge_data edge_cells "
                                      "vertex_ends cell_response end_force vertex_sides side_force scratch max_sides "
                                      "n_vertices n_cells")


class Rings:
    """Contiguous ring arrays of one sheet's topology (see the module docstring)."""

    def __init__(self, sheet):
        n_vertices, n_half_edges, n_cells = sheet.n_vertices, sheet.n_half_edges, sheet.n_cells
        n_sides = int(np.count_nonzero(sheet.face[:n_half_edges] >= 0))
        mesh = sheet.mesh()
        self.cell_start = np.empty(n_cells + 1, INDEX)
        self.ring_vertex = np.empty(n_sides, INDEX)
        self.ring_code = np.empty(n_sides, INDEX)
        tables = RingTables(self.cell_start, self.ring_vertex, self.ring_code, np.empty(n_half_edges // 2, INDEX),
                            np.empty(n_half_edges // 2, INDEX), np.full((n_half_edges // 2, 2), n_cells, INDEX),
                            np.full(n_half_edges, -1, INDEX))
        n_edges, self.max_sides = _build_rings(mesh, tuple(tables))
        self.edge_tail = tables.edge_tail[:n_edges]
        self.edge_head = tables.edge_head[:n_edges]
        self.edge_cells = tables.edge_cells[:n_edges]
        self.vertex_ends = _vertex_ends(mesh, tables.edge_of, self.edge_head)
        # work arrays, refreshed by every geometry pass: rows over the edges (see geometry.edge_pass); per
        # side of one cell, positions relative to the centroid (3) and fan-triangle normals (3)
        self.edge_data = np.zeros((4, n_edges))
        self.scratch = np.empty((6, self.max_sides))
        # planar force kernel: per cell (dE/dA, dE/dP + lambda/2), per edge end its force (see
        # energy.part_passes); shells: per ring position, the cell's force on that vertex. The last rows
        # stay zero (the padding of the tables).
        self.cell_response = np.zeros((n_cells + 1, 2))
        self.end_force = np.zeros((2 * n_edges + 1, 2))  # (x, y): planar sheets only
        self.vertex_sides = _vertex_sides(self.ring_vertex, n_vertices)
        self.side_force = np.zeros((n_sides + 1, 3))
        # plain, for the kernels (see .boundary); as_rings makes it a RingArrays again
        self.arrays = tuple(RingArrays(self.cell_start, self.ring_vertex, self.ring_code, self.edge_tail,
                                       self.edge_head, self.edge_data, self.edge_cells, self.vertex_ends,
                                       self.cell_response, self.end_force, self.vertex_sides, self.side_force,
                                       self.scratch, self.max_sides, n_vertices, n_cells))

    @property
    def n_edges(self) -> int:
        return self.edge_tail.shape[0]


@njit(inline="always")
def as_rings(values):
    """The RingArrays of Rings.arrays."""
    return RingArrays(*values)


@njit(inline="always")
def ring_edge(code):
    """Decode a ring entry: (edge index, +1.0 or -1.0 for the direction, line-length weight:
    1 on the outer boundary, 1/2 for an edge shared with another cell)."""
    # table lookups rather than branches (the direction bit is close to random along a ring) or
    # integer-to-float conversions
    low_bits = np.uint32(code) & 3
    return np.uint32(code) >> 2, _SIGN[low_bits], _WEIGHT[low_bits]  # unsigned: no negative-index wrapping


_SIGN = np.array([1.0, 1.0, -1.0, -1.0])   # by the low two bits of a ring code
_WEIGHT = np.array([0.5, 1.0, 0.5, 1.0])


@njit(cache=True)
def _build_rings(mesh, tables):
    """Fill the RingTables (see the module docstring); returns (number of edges, most sides of a cell)."""
    mesh, tables = as_mesh(mesh), RingTables(*tables)
    origin, twin, next_, face, cell_edge = mesh.origin, mesh.twin, mesh.next, mesh.face, mesh.cell_edge
    cell_start, ring_vertex, ring_code = tables.cell_start, tables.ring_vertex, tables.ring_code
    edge_tail, edge_head, edge_cells, edge_of = tables.edge_tail, tables.edge_head, tables.edge_cells, tables.edge_of
    n_cells = mesh.counts[N_CELLS]
    n_edges = 0
    k = 0
    max_sides = 0
    for c in range(n_cells):
        cell_start[c] = k
        start = h = cell_edge[c]
        while True:
            ring_vertex[k] = origin[h]
            reversed_ = 0
            if edge_of[h] < 0:  # first time this edge is met: it runs the way this cell does
                edge_of[h] = edge_of[twin[h]] = n_edges
                edge_tail[n_edges] = origin[h]
                edge_head[n_edges] = origin[twin[h]]
                n_edges += 1
            else:
                reversed_ = 1
            on_boundary = 1 if face[twin[h]] < 0 else 0
            ring_code[k] = (edge_of[h] << 2) | (reversed_ << 1) | on_boundary
            edge_cells[edge_of[h], reversed_] = c
            k += 1
            h = next_[h]
            if h == start:
                break
        max_sides = max(max_sides, k - cell_start[c])
    cell_start[n_cells] = k
    return n_edges, max_sides


@njit(cache=True)
def _vertex_ends(mesh, edge_of, edge_head):
    """vertex_ends table (see the module docstring), one row per vertex, as wide as the largest degree."""
    mesh = as_mesh(mesh)
    twin, next_, vertex_edge = mesh.twin, mesh.next, mesh.vertex_edge
    n_vertices, n_edges = mesh.counts[N_VERTICES], edge_head.shape[0]
    degree = np.zeros(n_vertices, np.int64)
    for v in range(n_vertices):
        start = h = vertex_edge[v]
        while True:
            degree[v] += 1
            h = next_[twin[h]]  # the next half-edge leaving v
            if h == start:
                break
    table = np.full((n_vertices, max(degree.max(), 1)), 2 * n_edges, INDEX)
    for v in range(n_vertices):
        h = vertex_edge[v]
        for k in range(degree[v]):
            e = edge_of[h]
            table[v, k] = 2 * e + (1 if edge_head[e] == v else 0)
            h = next_[twin[h]]
    return table


@njit(cache=True)
def _vertex_sides(ring_vertex, n_vertices):
    """vertex_sides table (see the module docstring), as wide as the most cells around a vertex."""
    n_sides = ring_vertex.shape[0]
    count = np.zeros(n_vertices, np.int64)
    for k in range(n_sides):
        count[ring_vertex[k]] += 1
    table = np.full((n_vertices, max(count.max(), 1)), n_sides, INDEX)
    count[:] = 0
    for k in range(n_sides):
        v = ring_vertex[k]
        table[v, count[v]] = k
        count[v] += 1
    return table
