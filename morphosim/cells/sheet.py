"""The epithelial sheet as a half-edge mesh held in numpy arrays (struct of arrays).

Layout
------
Every polygonal cell is a loop of half-edges linked by ``next`` and oriented counter-clockwise
(seen from outside on a shell, from +z on a planar sheet). Each half-edge stores

    origin[h]   vertex it starts from
    twin[h]     the opposite half-edge of the same edge
    next[h]     the following half-edge of the same loop
    face[h]     the cell slot on its left, or -1 for the outside of an open sheet

The outside of an open sheet is made of real "boundary" half-edges (face -1) whose ``next``
links run along the boundary, so walking ``h -> next[twin[h]]`` always turns around a vertex.
``vertex_edge[v]`` is one half-edge leaving v and ``cell_edge[c]`` one half-edge of cell c.

Slots and capacity
------------------
Arrays have spare capacity; the active entries are the first ``n_vertices``, ``n_half_edges``,
``n_cells`` (always dense, no holes between topology calls). Topology events that remove
elements compact the arrays in order (survivors keep their relative order) and return the
old -> new slot maps; see :mod:`morphosim.cells.topology`.

Cells carry a persistent ``cell_id`` (never reused) and the ``parent_id`` of the cell they
divided from (-1 for founders).

Geometry modes
--------------
- planar, open:      z = 0, boundary half-edges, ``box`` only describes the bounding box.
- planar, periodic:  vertices wrapped into [0, Lx) x [0, Ly); edge vectors use the minimum image
                     (every edge must be shorter than half the box).
- shell:             vertices on the ellipsoid (x/a)^2 + (y/b)^2 + (z/c)^2 = 1, ``radii = (a, b, c)``.

Units are the user's (suggested: µm for lengths).
"""

from __future__ import annotations

import operator
from collections import namedtuple

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import ConvexHull, SphericalVoronoi, Voronoi, cKDTree

from numba import njit

from .boundary import as_boundary, make_boundary

INDEX = np.int32  # vertex / half-edge / cell slot indices
ID = np.int64  # persistent cell ids

# counts[...] slots (a small int array so numba kernels can update them in place)
N_VERTICES, N_HALF_EDGES, N_CELLS, NEXT_CELL_ID, TOPOLOGY_CALLS, MAX_DEGREE = range(6)


# The half-edge arrays and the boundary, as the numba kernels take them (as_mesh(Sheet.mesh())).
# Removed elements are marked with -1 (origin, vertex_edge, cell_edge) until topology._compact.
Mesh = namedtuple("Mesh", "vertices origin twin next face vertex_edge cell_edge cell_id parent_id t1_block counts "
                          "boundary")


@njit(inline="always")
def as_mesh(values):
    """The Mesh of :meth:`Sheet.mesh`'s plain tuples (see :mod:`.boundary` for why they are plain)."""
    arrays, boundary = values
    return Mesh(*arrays, as_boundary(boundary))


class SheetError(ValueError):
    """The half-edge mesh is inconsistent, or a constructor got a mesh it cannot represent."""


class Sheet:
    """Half-edge mesh of polygonal cells; see the module docstring for the layout."""

    def __init__(self, n_vertices, n_half_edges, n_cells, *, box=None, periodic=False,
                 radii=None, spare=0.5):
        """Allocate an empty sheet with room for ``(1 + spare)`` times the given sizes.

        Use the constructors (:meth:`hexagonal`, :meth:`voronoi`, :meth:`from_polygons`,
        :meth:`ellipsoid_shell`) rather than this directly.
        """
        if periodic and radii is not None:
            raise SheetError("a sheet is either periodic or a shell: pass periodic=False with radii")
        cap_v = max(int(n_vertices * (1 + spare)), 8)
        cap_e = max(int(n_half_edges * (1 + spare)), 16)
        cap_c = max(int(n_cells * (1 + spare)), 4)
        self.vertices = np.zeros((cap_v, 3), order="F")  # column by column (the setter then need not copy)
        self.vertex_edge = np.full(cap_v, -1, INDEX)
        self.origin = np.full(cap_e, -1, INDEX)
        self.twin = np.full(cap_e, -1, INDEX)
        self.next = np.full(cap_e, -1, INDEX)
        self.face = np.full(cap_e, -1, INDEX)
        self.t1_block = np.zeros(cap_e, INDEX)  # topology call index before which the edge may not T1
        self.cell_edge = np.full(cap_c, -1, INDEX)
        self.cell_id = np.full(cap_c, -1, ID)
        self.parent_id = np.full(cap_c, -1, ID)
        self.counts = np.zeros(6, np.int64)
        self.topology_version = 0  # bumped by every topology change (see topology_changed)
        self._rings = None  # cached Rings of the current topology
        self.periodic = bool(periodic)
        self.box = np.zeros(3) if box is None else np.array([box[0], box[1], 0.0], float)
        self.radii = np.zeros(3) if radii is None else np.asarray(radii, float).copy()
        if radii is not None and (self.radii.shape != (3,) or np.any(self.radii <= 0)):
            raise SheetError(f"radii must be three positive lengths (a, b, c), got {radii!r}")
        if self.periodic and (self.box[0] <= 0 or self.box[1] <= 0):
            raise SheetError("a periodic sheet needs a box (Lx, Ly) with positive lengths")

    # ------------------------------------------------------------------ sizes and views
    @property
    def n_vertices(self) -> int:
        return int(self.counts[N_VERTICES])

    @property
    def n_half_edges(self) -> int:
        return int(self.counts[N_HALF_EDGES])

    @property
    def n_cells(self) -> int:
        return int(self.counts[N_CELLS])

    @property
    def is_shell(self) -> bool:
        return bool(self.radii[0] > 0)

    @property
    def vertices(self) -> np.ndarray:
        """Positions of the vertex slots, (capacity, 3), stored column by column (x of every vertex,
        then y, then z): the planar passes then never read or write the z = 0 column, a third less
        vertex data through the cache. Any array assigned is stored so."""
        return self._vertices

    @vertices.setter
    def vertices(self, value) -> None:
        self._vertices = np.asfortranarray(value, dtype=float)

    @property
    def positions(self) -> np.ndarray:
        """View of the active vertex positions, (n_vertices, 3)."""
        return self.vertices[: self.n_vertices]

    @property
    def ids(self) -> np.ndarray:
        """View of the persistent ids of the active cells (by slot)."""
        return self.cell_id[: self.n_cells]

    @property
    def parents(self) -> np.ndarray:
        return self.parent_id[: self.n_cells]

    @property
    def boundary(self) -> tuple:
        """The sheet's boundary condition as the kernels take it (a plain :data:`.boundary.Boundary`)."""
        return make_boundary(self.periodic, self.box, self.radii)

    def mesh(self) -> tuple:
        """The half-edge arrays (in :data:`Mesh` order) and the boundary, as plain tuples: what the
        topology, adjacency and edge-term kernels take (and turn into a Mesh with :func:`as_mesh`)."""
        return ((self.vertices, self.origin, self.twin, self.next, self.face, self.vertex_edge, self.cell_edge,
                 self.cell_id, self.parent_id, self.t1_block, self.counts), self.boundary)

    def topology_changed(self) -> None:
        """Record that the half-edge arrays changed (the topology module calls this; call it too
        after editing origin/twin/next/face/cell_edge by hand) so that derived rings are rebuilt."""
        self.topology_version += 1

    def rings(self):
        """Contiguous per-cell rings of the current topology (:class:`~.rings.Rings`), built on
        first use and rebuilt after :meth:`topology_changed` or when the arrays are replaced."""
        # called at every step: a cheap test of the version, the counts and the arrays' identity
        source = (self.origin, self.twin, self.next, self.face, self.vertex_edge, self.cell_edge)
        key = (self.topology_version, *self.counts[:N_CELLS + 1].tolist())  # n_vertices, n_half_edges, n_cells
        cached = self._rings
        if cached is None or cached[0] != key or not all(map(operator.is_, cached[1], source)):
            from .rings import Rings  # local: rings imports this module

            rings = Rings(self)
            self._rings = cached = (key, source, rings)
        return cached[2]

    def reserve(self, n_vertices: int, n_half_edges: int, n_cells: int) -> None:
        """Make sure there is room for at least this many active entries (grows by doubling)."""
        def grow(name, need, fill):
            old = getattr(self, name)
            if need <= old.shape[0]:
                return
            new_cap = max(need, 2 * old.shape[0])
            # in the old array's memory order (vertices: column by column, so the setter need not copy)
            new = np.full((new_cap,) + old.shape[1:], fill, old.dtype, order="F" if old.flags.f_contiguous else "C")
            new[: old.shape[0]] = old
            setattr(self, name, new)

        for name, fill in (("vertices", 0.0), ("vertex_edge", -1)):
            grow(name, n_vertices, fill)
        for name, fill in (("origin", -1), ("twin", -1), ("next", -1), ("face", -1), ("t1_block", 0)):
            grow(name, n_half_edges, fill)
        for name in ("cell_edge", "cell_id", "parent_id"):
            grow(name, n_cells, -1)

    def cells(self) -> list[np.ndarray]:
        """Counter-clockwise vertex indices of every active cell, in slot order."""
        loops = []
        for c in range(self.n_cells):
            start = h = int(self.cell_edge[c])
            loop = []
            while True:
                loop.append(self.origin[h])
                h = int(self.next[h])
                if h == start:
                    break
            loops.append(np.array(loop, INDEX))
        return loops

    # the arrays that define a sheet completely (capacity included: a sheet restored from them
    # grows exactly as the original would, so a resumed run repeats the original bit for bit)
    STATE_ARRAYS = ("vertices", "vertex_edge", "origin", "twin", "next", "face", "t1_block", "cell_edge",
                    "cell_id", "parent_id", "counts")

    def state(self) -> dict[str, np.ndarray]:
        """The sheet as named arrays (copies), for checkpoints; see :meth:`load_state`."""
        return {name: np.array(getattr(self, name)) for name in self.STATE_ARRAYS}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        """Replace this sheet's arrays by those of :meth:`state` (box, radii and periodicity stay)."""
        for name in self.STATE_ARRAYS:
            setattr(self, name, np.array(state[name]))
        self.topology_changed()

    def copy(self) -> "Sheet":
        new = Sheet.__new__(Sheet)
        for key, value in self.__dict__.items():
            new.__dict__[key] = value.copy(order="K") if isinstance(value, np.ndarray) else value
        new._rings = None
        return new

    # ------------------------------------------------------------------ validation
    def check(self, geometry: bool = True) -> bool:
        """Verify the mesh; return True or raise :class:`SheetError` naming the first problem.

        Topology (always): twin/next/face consistency (which makes the two cells along an edge
        traverse it in opposite directions: a consistent orientation), every cell one closed loop
        of >= 3 half-edges, vertex_edge/cell_edge pointers, no duplicated edge, unique ids, and the
        Euler characteristic V - E + F = 2 C - B on open sheets (C connected pieces, B boundary
        loops), 0 on periodic sheets (torus), 2 on shells (sphere).
        Geometry (``geometry=True``): every cell counter-clockwise (positive signed area on planar
        sheets, area vector along the outward normal on shells) and, on periodic sheets, every
        edge shorter than half the box.
        """
        nv, ne, nc = self.n_vertices, self.n_half_edges, self.n_cells
        org, twn, nxt, fac = (a[:ne] for a in (self.origin, self.twin, self.next, self.face))

        def fail(message):
            raise SheetError(f"sheet check failed: {message}")

        if ne % 2:
            fail(f"odd number of half-edges ({ne})")
        for name, arr, hi in (("origin", org, nv), ("twin", twn, ne), ("next", nxt, ne)):
            if arr.size and (arr.min() < 0 or arr.max() >= hi):
                fail(f"{name} holds an index outside [0, {hi})")
        if fac.size and (fac.min() < -1 or fac.max() >= nc):
            fail("face holds a slot outside [-1, n_cells)")
        h = np.arange(ne)
        if np.any(twn[twn] != h) or np.any(twn == h):
            fail("twin is not an involution without fixed points")
        if np.any(org[nxt] != org[twn]):
            fail("next[h] does not start where h ends (origin[next[h]] != origin[twin[h]])")
        if np.any(fac[nxt] != fac):
            fail("next[h] lies in a different face than h")
        if np.any((fac == -1) & (fac[twn] == -1)):
            fail("an edge has the outside on both sides")
        if np.bincount(nxt, minlength=ne).max(initial=0) > 1:
            fail("two half-edges share the same next")
        keys = org.astype(np.int64) * nv + org[twn]
        if np.unique(keys).size != ne:
            fail("an edge is duplicated (two half-edges with the same origin and destination)")
        if np.any(self.origin[self.vertex_edge[:nv]] != np.arange(nv)):
            fail("vertex_edge[v] does not leave v (or a vertex is unused)")
        # each cell is one loop through cell_edge, containing all its half-edges
        loop_len = np.zeros(nc, np.int64)
        for c in range(nc):
            start = int(self.cell_edge[c])
            if start < 0 or start >= ne or fac[start] != c:
                fail(f"cell_edge of slot {c} is not a half-edge of that cell")
            k, e = 0, start
            while True:
                k += 1
                e = nxt[e]
                if e == start:
                    break
                if k > ne:
                    fail(f"loop of cell slot {c} does not close")
            loop_len[c] = k
        if np.any(loop_len < 3):
            fail(f"cell slot {int(np.argmin(loop_len))} has fewer than 3 sides")
        if np.any(loop_len != np.bincount(fac[fac >= 0], minlength=nc)):
            fail("a cell's half-edges do not form a single loop")
        if geometry:
            self._check_geometry(fail)
        ids = self.cell_id[:nc]
        if np.unique(ids).size != nc or ids.min(initial=0) < 0 or ids.max(initial=-1) >= self.counts[NEXT_CELL_ID]:
            fail("cell ids are not unique non-negative ids below the id counter")
        # Euler characteristic, counting cells as faces
        n_edges = ne // 2
        euler = nv - n_edges + nc
        if self.is_shell:
            expected = 2
        elif self.periodic:
            expected = 0
        else:
            boundary = np.flatnonzero(fac == -1)
            n_loops = _count_loops(boundary, nxt)
            graph = coo_matrix((np.ones(ne), (org, org[twn])), shape=(nv, nv))
            n_pieces = connected_components(graph, directed=False)[0]
            expected = 2 * n_pieces - n_loops
        if euler != expected:
            fail(f"Euler characteristic V - E + F = {euler}, expected {expected}")
        return True

    def _check_geometry(self, fail) -> None:
        from .geometry import compute_geometry, edge_vectors  # local: geometry imports this module

        nc = self.n_cells
        vec = edge_vectors(self)
        if self.periodic and np.any(np.abs(vec[:, :2]) >= 0.5 * self.box[:2]):
            fail("an edge is longer than half the periodic box")
        geom = compute_geometry(self)
        if self.is_shell:
            outward = np.einsum("ij,ij->i", geom.normal[:nc], geom.centroid[:nc] / self.radii**2)
            if np.any(outward <= 0):
                fail(f"cell slot {int(np.argmin(outward))} is clockwise seen from outside")
        elif np.any(geom.signed_area[:nc] <= 0):
            fail(f"cell slot {int(np.argmin(geom.signed_area[:nc]))} is not counter-clockwise")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_polygons(cls, vertices, cells, *, box=None, periodic=False, radii=None, spare=0.5):
        """Build a sheet from vertex positions (Nv, 2 or 3) and a list of counter-clockwise
        vertex-index lists, one per cell. Pass ``box=(Lx, Ly), periodic=True`` for a periodic
        sheet (positions are wrapped into the box) or ``radii=(a, b, c)`` for a closed shell.
        Cells get ids 0..n-1 in the given order, parent id -1.
        """
        verts = np.asarray(vertices, float)
        if verts.ndim != 2 or verts.shape[1] not in (2, 3):
            raise SheetError(f"vertices must have shape (Nv, 2) or (Nv, 3), got {verts.shape}")
        nv = verts.shape[0]
        loops = [np.asarray(c, np.int64) for c in cells]
        if not loops:
            raise SheetError("cells is empty: give at least one polygon")
        for k, loop in enumerate(loops):
            if loop.ndim != 1 or loop.size < 3:
                raise SheetError(f"cells[{k}] must list at least 3 vertex indices")
            if loop.min() < 0 or loop.max() >= nv:
                raise SheetError(f"cells[{k}] uses a vertex index outside [0, {nv})")
            if np.unique(loop).size != loop.size:
                raise SheetError(f"cells[{k}] visits a vertex twice")
        sizes = np.array([loop.size for loop in loops])
        n_inner = int(sizes.sum())
        org = np.concatenate(loops)
        face = np.repeat(np.arange(len(loops)), sizes)
        start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        local = np.arange(n_inner) - np.repeat(start, sizes)
        nxt = np.where(local + 1 == np.repeat(sizes, sizes), np.repeat(start, sizes), np.arange(n_inner) + 1)
        dst = org[nxt]
        key = org * nv + dst
        if np.unique(key).size != n_inner:
            raise SheetError("two cells traverse the same edge in the same direction: "
                             "make every cell counter-clockwise")
        index_of = dict(zip(key.tolist(), range(n_inner)))
        twin = np.array([index_of.get(int(d) * nv + int(o), -1) for o, d in zip(org, dst)], np.int64)
        # outside half-edges for unmatched edges
        open_h = np.flatnonzero(twin < 0)
        nb = open_h.size
        b_idx = n_inner + np.arange(nb)
        twin[open_h] = b_idx
        b_org, b_dst = dst[open_h], org[open_h]
        starts_at = {}
        for b, o in zip(b_idx.tolist(), b_org.tolist()):
            if o in starts_at:
                raise SheetError(f"vertex {o} touches the boundary twice (pinched sheet): "
                                 "split it into two vertices")
            starts_at[o] = b
        b_next = np.array([starts_at[int(d)] for d in b_dst], np.int64)
        if (periodic or radii is not None) and nb:
            raise SheetError(f"{'periodic' if periodic else 'shell'} sheet has {nb} unmatched edges: "
                             "every edge must be shared by two cells")
        ne = n_inner + nb
        sheet = cls(nv, ne, len(loops), box=box, periodic=periodic, radii=radii, spare=spare)
        sheet.vertices[:nv, : verts.shape[1]] = verts
        sheet.origin[:ne] = np.concatenate([org, b_org])
        sheet.twin[:ne] = np.concatenate([twin, open_h])
        sheet.next[:ne] = np.concatenate([nxt, b_next])
        sheet.face[:ne] = np.concatenate([face, np.full(nb, -1)])
        used = np.zeros(nv, bool)
        used[org] = True
        if not used.all():
            raise SheetError(f"vertex {int(np.argmin(used))} belongs to no cell: remove unused vertices")
        sheet.vertex_edge[sheet.origin[:ne][::-1]] = np.arange(ne)[::-1]
        sheet.cell_edge[: len(loops)] = start
        sheet.cell_id[: len(loops)] = np.arange(len(loops))
        sheet.counts[:] = (nv, ne, len(loops), len(loops), 0, np.bincount(sheet.origin[:ne]).max())
        if periodic:
            sheet.vertices[:nv, :2] %= sheet.box[:2]
        if box is None and not sheet.is_shell:
            sheet.box[:2] = verts[:, :2].max(axis=0)
        sheet.check()
        return sheet

    @classmethod
    def hexagonal(cls, rows: int, cols: int, *, periodic: bool = False, cell_area: float = 1.0, spare=0.5):
        """Regular hexagons (pointy side up) in ``rows`` offset rows of ``cols`` cells.

        A periodic sheet needs an even number of rows (the row offset must repeat); its box is
        (cols * w, rows * 1.5 R) with R the circumradius, w = sqrt(3) R.
        """
        if rows < 1 or cols < 1:
            raise SheetError("rows and cols must be at least 1")
        if periodic and (rows % 2 or rows < 4 or cols < 3):
            raise SheetError("a periodic hexagonal sheet needs an even rows >= 4 and cols >= 3")
        radius = np.sqrt(2 * cell_area / (3 * np.sqrt(3)))
        width = np.sqrt(3) * radius
        angles = np.deg2rad(30 + 60 * np.arange(6))
        corners = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        r, c = np.divmod(np.arange(rows * cols), cols)
        centres = np.stack([(c + 0.5 * (r % 2) + 0.5) * width, r * 1.5 * radius + radius], axis=1)
        polygons = centres[:, None, :] + corners[None, :, :]
        box = (cols * width, rows * 1.5 * radius) if periodic else None
        return cls._from_polygon_coordinates(polygons, box, periodic, tolerance=1e-6 * radius, spare=spare)

    @classmethod
    def voronoi(cls, n_cells: int, box=(1.0, 1.0), *, periodic: bool = False, lloyd: int = 0,
                seed=None, spare=0.5):
        """Voronoi tessellation of ``n_cells`` uniform random seeds in the box (Lx, Ly), optionally
        smoothed by ``lloyd`` Lloyd iterations. Open sheets are clipped to the box exactly (seeds
        mirrored across its walls)."""
        if n_cells < (9 if periodic else 1):
            raise SheetError("voronoi needs n_cells >= 9 for a periodic sheet, >= 1 otherwise")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        lengths = np.asarray(box, float)
        seeds = rng.random((n_cells, 2)) * lengths
        seeds = seeds[np.argsort(_morton_key(seeds / lengths))]
        for iteration in range(lloyd + 1):
            regions = _voronoi_regions(seeds, lengths, periodic)
            if iteration < lloyd:
                seeds = np.array([_polygon_centroid(p) for p in regions])
                seeds = seeds % lengths if periodic else np.clip(seeds, 0, lengths)
        scale = np.sqrt(lengths.prod() / n_cells)
        return cls._from_polygon_coordinates(regions, lengths if periodic else None, periodic,
                                              tolerance=1e-9 * scale, spare=spare)

    @classmethod
    def ellipsoid_shell(cls, n_cells: int, radii=(1.0, 1.0, 1.0), *, seed=None, lloyd: int = 5, spare=0.5,
                        seeds: str = "random", tessellation: str = "sphere"):
        """Closed shell of ``n_cells`` Voronoi cells tiling the ellipsoid with semi-axes ``radii``.

        ``seeds="random"``: seeds uniform at random on the ellipsoid's surface; the tessellation is a
        spherical Voronoi diagram (with ``lloyd`` smoothing steps) mapped onto the ellipsoid by
        scaling the axes. Lloyd steps even out neighbouring cells but hardly the large-scale
        fluctuations of random seeds (one side of a 300-cell egg can hold 50 % more cells than the
        other). ``seeds="even"`` (an ellipsoid of revolution): a Fibonacci lattice equal in area on
        the ellipsoid itself, turned about its axis by the seed, without Lloyd steps.

        ``tessellation="sphere"``: the spherical Voronoi diagram of the seeds scaled onto the
        ellipsoid, whose cells on a 500 x 180 egg are ~2.6x longer along its axis than across it;
        ``"surface"`` (with even seeds): the Voronoi diagram on the ellipsoid itself
        (:func:`_dual_on_ellipsoid`), cells as round and equal as the lattice.
        """
        if tessellation not in ("sphere", "surface"):
            raise SheetError(f"ellipsoid_shell tessellation must be 'sphere' or 'surface', got {tessellation!r}")
        if tessellation == "surface" and seeds != "even":
            raise SheetError("ellipsoid_shell tessellation='surface' needs seeds='even'")
        if n_cells < 4:
            raise SheetError("ellipsoid_shell needs n_cells >= 4")
        radii = np.asarray(radii, float)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        if seeds == "even" and tessellation == "surface":
            points = _even_on_spheroid(n_cells, radii, rng)
            points = points[np.argsort(_morton_key(0.5 * (points / radii + 1.0)))]
            return cls.from_polygons(*_dual_on_ellipsoid(points, radii), radii=radii, spare=spare)
        if seeds == "even":
            points, lloyd = _even_on_spheroid(n_cells, radii, rng) / radii, 0
        elif seeds == "random":
            points = _uniform_on_ellipsoid(n_cells, radii, rng) / radii
        else:
            raise SheetError(f"ellipsoid_shell seeds must be 'random' or 'even', got {seeds!r}")
        points /= np.linalg.norm(points, axis=1)[:, None]
        points = points[np.argsort(_morton_key(0.5 * (points + 1.0)))]
        for iteration in range(lloyd + 1):
            diagram = SphericalVoronoi(points, radius=1.0)
            diagram.sort_vertices_of_regions()
            if iteration < lloyd:
                points = np.array([diagram.vertices[r].mean(axis=0) for r in diagram.regions])
                points /= np.linalg.norm(points, axis=1)[:, None]
        loops = []
        for centre, region in zip(diagram.points, diagram.regions):
            ring = diagram.vertices[region]
            area_vector = np.cross(ring, np.roll(ring, -1, axis=0)).sum(axis=0)
            loops.append(region if area_vector @ centre > 0 else region[::-1])
        verts = diagram.vertices * radii
        verts /= np.sqrt(((verts / radii) ** 2).sum(axis=1))[:, None]
        return cls.from_polygons(verts, loops, radii=radii, spare=spare)

    @classmethod
    def _from_polygon_coordinates(cls, polygons, box, periodic, tolerance, spare):
        """Polygons given by corner coordinates (shared corners repeated) -> sheet, merging corners
        closer than ``tolerance`` (modulo the box when periodic)."""
        sizes = [len(p) for p in polygons]
        corners = np.concatenate([np.asarray(p, float) for p in polygons])
        if periodic:
            corners = corners % np.asarray(box, float)
            corners[np.isclose(corners, box, atol=tolerance, rtol=0)] = 0.0
            tree = cKDTree(corners, boxsize=np.asarray(box, float))
        else:
            tree = cKDTree(corners)
        pairs = tree.query_pairs(tolerance, output_type="ndarray")
        graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(corners),) * 2)
        n_unique, label = connected_components(graph, directed=False)
        first = np.full(n_unique, -1)
        first[label[::-1]] = np.arange(len(corners))[::-1]
        loops = np.split(label, np.cumsum(sizes)[:-1])
        return cls.from_polygons(corners[first], loops, box=box, periodic=periodic, spare=spare)


# ---------------------------------------------------------------------- construction helpers
def _morton_key(unit_points: np.ndarray, bits: int = 10) -> np.ndarray:
    """Z-order key of points in the unit square/cube. Numbering cells (and so their vertices)
    along it keeps neighbours close in memory, which the gather kernels need at 10^4+ cells."""
    grid = np.clip((unit_points * (1 << bits)).astype(np.int64), 0, (1 << bits) - 1)
    dims = grid.shape[1]
    key = np.zeros(len(grid), np.int64)
    for bit in range(bits):
        for d in range(dims):
            key |= ((grid[:, d] >> bit) & 1) << (bit * dims + d)
    return key


def _count_loops(members: np.ndarray, nxt: np.ndarray) -> int:
    seen = set()
    loops = 0
    for h in members.tolist():
        if h in seen:
            continue
        loops += 1
        while h not in seen:
            seen.add(h)
            h = int(nxt[h])
    return loops


def _polygon_centroid(poly: np.ndarray) -> np.ndarray:
    x, y = poly[:, 0], poly[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2
    return np.array([((x + np.roll(x, -1)) * cross).sum(), ((y + np.roll(y, -1)) * cross).sum()]) / (6 * area)


def _voronoi_regions(seeds: np.ndarray, box: np.ndarray, periodic: bool) -> list[np.ndarray]:
    """Counter-clockwise corner coordinates of the Voronoi cell of every seed."""
    n = len(seeds)
    if periodic:  # the eight periodic images make every cell bounded and exact
        shifts = np.array([(i, j) for i in (0, -1, 1) for j in (0, -1, 1)]) * box
        points = np.concatenate([seeds + s for s in shifts])
    else:  # mirror images across the four walls clip the cells to the box
        x, y = seeds[:, 0], seeds[:, 1]
        mirrors = [np.stack([-x, y], 1), np.stack([2 * box[0] - x, y], 1),
                   np.stack([x, -y], 1), np.stack([x, 2 * box[1] - y], 1)]
        points = np.concatenate([seeds] + mirrors)
    diagram = Voronoi(points)
    regions = []
    for i in range(n):
        region = diagram.regions[diagram.point_region[i]]
        if -1 in region or not region:
            raise SheetError("Voronoi cell is unbounded: use more cells or a periodic box")
        poly = diagram.vertices[region]
        centre = seeds[i]
        angle = np.arctan2(poly[:, 1] - centre[1], poly[:, 0] - centre[0])
        regions.append(poly[np.argsort(angle)])
    return regions


def _dual_on_ellipsoid(points: np.ndarray, radii: np.ndarray) -> tuple[np.ndarray, list[list[int]]]:
    """Cells around points on an ellipsoid, from the ellipsoid's own geometry: the dual of the points'
    Delaunay triangulation on the surface (:func:`_delaunay_on_surface`), each triangle's circumcentre
    (in its plane) pushed radially onto the ellipsoid as a cell corner, each point's cell the ring of
    its triangles walked counter-clockwise seen from outside: the Voronoi diagram on the surface, to
    the flatness of one triangle. Returns (corners, rings)."""
    triangles = _delaunay_on_surface(points)
    a, b, c = (points[triangles[:, k]] for k in range(3))
    ab, ac = b - a, c - a
    normal = np.cross(ab, ac)
    # circumcentre: a + (|ac|^2 (n x ab) + |ab|^2 (ac x n)) / (2 |n|^2)
    centre = a + ((ac * ac).sum(1)[:, None] * np.cross(normal, ab) + (ab * ab).sum(1)[:, None] * np.cross(ac, normal)) \
        / (2.0 * (normal * normal).sum(1)[:, None])
    corners = centre / np.sqrt(((centre / radii) ** 2).sum(1))[:, None]
    # around point i, the triangle (i, j, k) is followed counter-clockwise by the one holding edge i -> k
    by_edge = {(int(t[p]), int(t[(p + 1) % 3])): index for index, t in enumerate(triangles) for p in range(3)}
    first = {int(t[p]): index for index, t in enumerate(triangles) for p in range(3)}
    rings = []
    for i in range(len(points)):
        ring, triangle = [], first[i]
        while not ring or triangle != ring[0]:
            ring.append(triangle)
            t = [int(v) for v in triangles[triangle]]
            triangle = by_edge[(i, t[(t.index(i) + 2) % 3])]
        rings.append(ring)
    return corners, rings


def _delaunay_on_surface(points: np.ndarray) -> np.ndarray:
    """Triangles (outward, counter-clockwise) of points on a closed convex surface around the origin,
    Delaunay in the surface's own metric: the convex hull, then Lawson flips of every edge whose two
    opposite angles sum to more than pi. The hull alone is Delaunay on a sphere only: on a long egg
    its flat direction (along the axis) gets long thin triangles, and cells 2.6x longer than wide."""
    triangles = ConvexHull(points).simplices.tolist()
    for t in triangles:   # the hull holds the origin: face outward
        a, b, c = points[t]
        if np.cross(b - a, c - a) @ (a + b + c) < 0:
            t.reverse()

    def angle(at, u, v):
        e, f = points[u] - points[at], points[v] - points[at]
        return np.arctan2(np.linalg.norm(np.cross(e, f)), e @ f)

    owner = {(t[p], t[(p + 1) % 3]): index for index, t in enumerate(triangles) for p in range(3)}
    flipped = True
    for _ in range(100):   # on a surface (unlike the plane) flips are not proven to end: a few sweeps do
        if not flipped:
            break
        flipped = False
        for index in range(len(triangles)):
            for p in range(3):
                t = triangles[index]
                u, v, w = t[p], t[(p + 1) % 3], t[(p + 2) % 3]
                other = owner[(v, u)]
                s = triangles[other]
                x = s[(s.index(u) + 1) % 3]            # s = (v, u, x) up to rotation
                if angle(w, u, v) + angle(x, v, u) <= np.pi + 1e-12 or (w, x) in owner or (x, w) in owner:
                    continue
                for edge in ((u, v), (v, w), (w, u), (v, u), (u, x), (x, v)):
                    owner.pop(edge)
                triangles[index], triangles[other] = [u, x, w], [x, v, w]   # the quad u x v w, cut along w-x
                for number in (index, other):
                    t = triangles[number]
                    for q in range(3):
                        owner[(t[q], t[(q + 1) % 3])] = number
                flipped = True
                break
    return np.array(triangles)


def _even_on_spheroid(n: int, radii: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """n points equal in area on an ellipsoid of revolution: the Fibonacci lattice of a surface of
    revolution (Swinbank & Purser 2006, Q. J. R. Meteorol. Soc. 132:1769, for the sphere), point i at
    the axial position enclosing the area fraction (i + 1/2)/n and at azimuth 2 pi i / phi^2
    (+ a random turn). Along the axis x = a cos(t): dS = 2 pi b sin(t) sqrt(a^2 sin^2 t + b^2 cos^2 t) dt."""
    equal = [k for k in range(3) if abs(radii[(k + 1) % 3] - radii[(k + 2) % 3]) <= 1e-12 * radii.max()]
    if not equal:
        raise SheetError(f"ellipsoid_shell seeds='even' needs two equal radii (an ellipsoid of revolution), "
                         f"got {tuple(radii)}")
    axis = equal[0]
    a, b = radii[axis], radii[(axis + 1) % 3]
    t = np.linspace(0.0, np.pi, 20001)
    density = np.sin(t) * np.sqrt((a * np.sin(t)) ** 2 + (b * np.cos(t)) ** 2)
    area = np.concatenate([[0.0], np.cumsum(0.5 * (density[1:] + density[:-1]) * np.diff(t))])
    i = np.arange(n)
    polar = np.interp((i + 0.5) / n * area[-1], area, t)
    azimuth = 2.0 * np.pi * i / ((1.0 + np.sqrt(5.0)) / 2.0) ** 2 + rng.uniform(0.0, 2.0 * np.pi)
    points = np.empty((n, 3))
    points[:, axis] = a * np.cos(polar)
    points[:, (axis + 1) % 3] = b * np.sin(polar) * np.cos(azimuth)
    points[:, (axis + 2) % 3] = b * np.sin(polar) * np.sin(azimuth)
    return points


def _uniform_on_ellipsoid(n: int, radii: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """n points uniform in area on the ellipsoid (rejection on the sphere's area distortion)."""
    out = np.empty((0, 3))
    a, b, c = radii
    g_max = max(a * b, b * c, a * c)
    while len(out) < n:
        u = rng.normal(size=(2 * n, 3))
        u /= np.linalg.norm(u, axis=1)[:, None]
        g = np.sqrt((b * c * u[:, 0]) ** 2 + (a * c * u[:, 1]) ** 2 + (a * b * u[:, 2]) ** 2)
        keep = rng.random(2 * n) * g_max < g
        out = np.concatenate([out, u[keep] * radii])
    return out[:n]
