"""Tissue meshes: planar rectangles and disks, the triangulated ellipsoid surface, and the
tetrahedral volumes of the egg (ellipsoid), a ball and a box.

Planar meshes are triangles of geometric dimension 2; the ellipsoid surface is a manifold mesh
(triangles in 3D) whose nodes lie exactly on the ellipsoid; volume meshes are affine tetrahedra
(ball and ellipsoid meshed by gmsh, one thread and a fixed seed so that the same input gives the
same mesh; the box is dolfinx's structured one). Lengths are in the user's unit (µm suggested).

What the solvers need to know about a mesh beyond dolfinx's own data (periodicity, the ellipsoid
radii whose exact normal the surface solver uses) is kept in :func:`mesh_info`, a registry keyed
by the mesh object, so the meshes stay plain dolfinx meshes.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI
from scipy.spatial import Delaunay

from dolfinx import mesh as dmesh

_ICOSAHEDRON_EDGE = 1.0514622242382672  # edge of the icosahedron inscribed in the unit sphere


@dataclass(frozen=True)
class MeshInfo:
    """What morphosim knows about a mesh it built.

    kind: "rectangle" | "disk" | "ellipsoid" | "ball" | "ellipsoid_volume" | "box".
    mesh_size: requested element size.
    periodic: (periodic in x, periodic in y) for rectangles.
    radii: ellipsoid semi-axes (a, b, c) for ellipsoid surfaces.
    min_dihedral_angle: smallest dihedral angle of the tetrahedra, degrees (volume meshes).
    shell: (thickness, mesh size) of the refined layer under the surface (ellipsoid volumes).
    """

    kind: str
    mesh_size: float
    periodic: tuple[bool, bool] = (False, False)
    radii: tuple[float, float, float] | None = None
    min_dihedral_angle: float | None = None
    shell: tuple[float, float] | None = None


_REGISTRY: "weakref.WeakKeyDictionary[dmesh.Mesh, MeshInfo]" = weakref.WeakKeyDictionary()


def mesh_info(mesh: dmesh.Mesh) -> MeshInfo | None:
    """The :class:`MeshInfo` of a mesh built here, or None for a mesh built elsewhere."""
    return _REGISTRY.get(mesh)


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not np.isfinite(value) or value <= 0.0:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def rectangle_mesh(
    length: float,
    width: float,
    mesh_size: float,
    periodic: bool | tuple[bool, bool] = False,
    origin: tuple[float, float] = (0.0, 0.0),
    comm: MPI.Comm = MPI.COMM_WORLD,
) -> dmesh.Mesh:
    """Triangulated rectangle [x0, x0+length] × [y0, y0+width] (gdim 2).

    periodic: True, or a pair (periodic in x, periodic in y). The mesh itself is an ordinary
    rectangle with matching nodes on opposite sides; the solvers identify those sides.
    Periodic meshes are serial only (the side identification is done on one rank).
    """
    length = _check_positive("length", length)
    width = _check_positive("width", width)
    mesh_size = _check_positive("mesh_size", mesh_size)
    periodic_xy = (bool(periodic), bool(periodic)) if np.isscalar(periodic) else tuple(map(bool, periodic))
    if len(periodic_xy) != 2:
        raise ValueError(f"periodic must be a bool or a pair of bools, got {periodic!r}")
    if any(periodic_xy) and comm.size > 1:
        raise ValueError("periodic rectangles are serial only: run on one MPI rank or set periodic=False")
    nx = max(1, int(np.ceil(length / mesh_size)))
    ny = max(1, int(np.ceil(width / mesh_size)))
    x0, y0 = map(float, origin)
    msh = dmesh.create_rectangle(
        comm,
        [np.array([x0, y0]), np.array([x0 + length, y0 + width])],
        [nx, ny],
        cell_type=dmesh.CellType.triangle,
        diagonal=dmesh.DiagonalType.right_left,
    )
    _REGISTRY[msh] = MeshInfo("rectangle", mesh_size, periodic_xy)
    return msh


def _disk_points(radius: float, mesh_size: float) -> np.ndarray:
    """Centre plus concentric rings of points spaced about mesh_size apart."""
    n_rings = max(1, int(np.ceil(radius / mesh_size)))
    points = [np.zeros((1, 2))]
    for ring in range(1, n_rings + 1):
        r = radius * ring / n_rings
        n_around = max(6, int(np.ceil(2.0 * np.pi * r / mesh_size)))
        # half-step offset on odd rings avoids four co-circular points (ambiguous Delaunay)
        theta = 2.0 * np.pi * (np.arange(n_around) + 0.5 * (ring % 2)) / n_around
        points.append(r * np.column_stack([np.cos(theta), np.sin(theta)]))
    return np.vstack(points)


def disk_mesh(
    radius: float, mesh_size: float, centre: tuple[float, float] = (0.0, 0.0), comm: MPI.Comm = MPI.COMM_WORLD
) -> dmesh.Mesh:
    """Triangulated disk of the given radius (gdim 2): Delaunay triangulation of concentric rings.

    The boundary is the polygon through the outer ring's points (all on the circle).
    """
    radius = _check_positive("radius", radius)
    mesh_size = _check_positive("mesh_size", mesh_size)
    if comm.rank == 0:
        points = _disk_points(radius, mesh_size)
        cells = Delaunay(points).simplices.astype(np.int64)
        # counter-clockwise orientation
        e1, e2 = points[cells[:, 1]] - points[cells[:, 0]], points[cells[:, 2]] - points[cells[:, 0]]
        clockwise = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0] < 0
        cells[clockwise] = cells[clockwise][:, [0, 2, 1]]
        points = points + np.asarray(centre, dtype=float)
    else:
        points, cells = np.zeros((0, 2)), np.zeros((0, 3), dtype=np.int64)
    element = basix.ufl.element("Lagrange", "triangle", 1, shape=(2,))
    msh = dmesh.create_mesh(comm, cells, ufl.Mesh(element), points)
    _REGISTRY[msh] = MeshInfo("disk", mesh_size)
    return msh


def _icosahedron() -> tuple[np.ndarray, np.ndarray]:
    phi = (1.0 + np.sqrt(5.0)) / 2.0
    vertices = np.array(
        [[-1, phi, 0], [1, phi, 0], [-1, -phi, 0], [1, -phi, 0],
         [0, -1, phi], [0, 1, phi], [0, -1, -phi], [0, 1, -phi],
         [phi, 0, -1], [phi, 0, 1], [-phi, 0, -1], [-phi, 0, 1]], dtype=float)  # fmt: skip
    faces = np.array(
        [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
         [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
         [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
         [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]])  # fmt: skip
    return vertices / np.linalg.norm(vertices, axis=1, keepdims=True), faces


def _geodesic_sphere_p2(frequency: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit-sphere P2 triangulation: every icosahedron face cut into frequency² triangles.

    Returns node coordinates (on the unit sphere) and cells (n, 6) in basix P2 node order
    [v0, v1, v2, mid(v1,v2), mid(v0,v2), mid(v0,v1)].
    """
    vertices, faces = _icosahedron()
    fine = 2 * frequency  # the P2 nodes are the vertices of the twice-finer grid
    i, j = np.meshgrid(np.arange(fine + 1), np.arange(fine + 1), indexing="ij")
    keep = i + j <= fine
    i, j = i[keep], j[keep]
    grid_index = -np.ones((fine + 1, fine + 1), dtype=np.int64)
    grid_index[i, j] = np.arange(i.size)
    # barycentric weights of the fine grid points in each face
    weights = np.column_stack([fine - i - j, i, j]) / fine
    points = np.einsum("pk,fkd->fpd", weights, vertices[faces]).reshape(-1, 3)
    # coarse triangles (a, b, c) of one face, in fine-grid (i, j) coordinates (steps of 2)
    ci, cj = np.meshgrid(np.arange(frequency), np.arange(frequency), indexing="ij")
    up = (ci + cj <= frequency - 1).ravel()
    down = (ci + cj <= frequency - 2).ravel()
    ci, cj = 2 * ci.ravel(), 2 * cj.ravel()
    tri_ij = np.concatenate(
        [
            np.stack([np.stack([ci, cj], 1), np.stack([ci + 2, cj], 1), np.stack([ci, cj + 2], 1)], 1)[up],
            np.stack([np.stack([ci + 2, cj], 1), np.stack([ci + 2, cj + 2], 1), np.stack([ci, cj + 2], 1)], 1)[down],
        ]
    )
    corners = tri_ij
    mids = (corners[:, [1, 0, 0]] + corners[:, [2, 2, 1]]) // 2
    nodes_ij = np.concatenate([corners, mids], axis=1)
    local = grid_index[nodes_ij[..., 0], nodes_ij[..., 1]]
    cells = (local[None, :, :] + (np.arange(len(faces)) * i.size)[:, None, None]).reshape(-1, 6)
    # merge the points shared by neighbouring faces
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    _, first, inverse = np.unique(np.round(points, 9), axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first)  # keep first-seen order: deterministic and local
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return points[first[order]], rank[inverse.ravel()][cells]


def ellipsoid_surface_mesh(
    radii: tuple[float, float, float],
    mesh_size: float,
    degree: int = 2,
    comm: MPI.Comm = MPI.COMM_WORLD,
) -> dmesh.Mesh:
    """Triangulated surface of the ellipsoid x²/a² + y²/b² + z²/c² = 1 (manifold mesh, gdim 3).

    A geodesic sphere (icosahedron faces subdivided so that the largest edge is about mesh_size)
    is mapped onto the ellipsoid by scaling each axis, so triangles are stretched by the aspect
    ratio max(radii)/min(radii). degree=2 (default) gives curved 6-node triangles whose nodes all
    lie on the ellipsoid, needed for the optimal P2–P1 convergence on the surface; degree=1 gives
    flat triangles.
    """
    radii = tuple(_check_positive(f"radii[{k}]", r) for k, r in enumerate(radii))
    if len(radii) != 3:
        raise ValueError(f"radii must be three semi-axes (a, b, c), got {radii!r}")
    mesh_size = _check_positive("mesh_size", mesh_size)
    if degree not in (1, 2):
        raise ValueError(f"degree must be 1 or 2 (geometry order), got {degree!r}")
    frequency = max(1, int(np.ceil(_ICOSAHEDRON_EDGE * max(radii) / mesh_size)))
    if comm.rank == 0:
        points, cells = _geodesic_sphere_p2(frequency)
        if degree == 1:
            used = np.unique(cells[:, :3])
            renumber = -np.ones(len(points), dtype=np.int64)
            renumber[used] = np.arange(used.size)
            points, cells = points[used], renumber[cells[:, :3]]
        points = points * np.asarray(radii)
    else:
        points, cells = np.zeros((0, 3)), np.zeros((0, 3 if degree == 1 else 6), dtype=np.int64)
    element = basix.ufl.element("Lagrange", "triangle", degree, shape=(3,))
    msh = dmesh.create_mesh(comm, cells, ufl.Mesh(element), points)
    _REGISTRY[msh] = MeshInfo("ellipsoid", mesh_size, radii=radii)
    return msh


def min_dihedral_angle(mesh: dmesh.Mesh) -> float:
    """Smallest dihedral angle (degrees) of an affine tetrahedral mesh, over all ranks.

    The angle along the edge shared by the faces opposite vertices k and l is π − acos(n_k·n_l)
    with n the outward unit face normals; 0° is a flat sliver, 70.5° the regular tetrahedron.
    """
    num_cells = mesh.topology.index_map(3).size_local
    corners = mesh.geometry.x[mesh.geometry.dofmaps[0][:num_cells, :4]]   # (n, 4, 3)
    normals = []
    for k in range(4):   # face opposite vertex k, oriented away from it
        a, b, c = (corners[:, m] for m in range(4) if m != k)
        n = np.cross(b - a, c - a)
        n *= -np.sign(np.einsum("nd,nd->n", n, corners[:, k] - a))[:, None]
        normals.append(n / np.linalg.norm(n, axis=1, keepdims=True))
    cosines = [np.einsum("nd,nd->n", normals[k], normals[m]) for k in range(4) for m in range(k + 1, 4)]
    local = np.degrees(np.pi - np.arccos(np.clip(np.concatenate(cosines), -1.0, 1.0))).min(initial=180.0)
    return mesh.comm.allreduce(float(local), op=MPI.MIN)


def box_mesh(
    lengths: tuple[float, float, float],
    mesh_size: float,
    origin: tuple[float, float, float] = (0.0, 0.0, 0.0),
    comm: MPI.Comm = MPI.COMM_WORLD,
) -> dmesh.Mesh:
    """Tetrahedral box [x0, x0+Lx] × [y0, y0+Ly] × [z0, z0+Lz]: ceil(L/mesh_size) cubes per side,
    six tetrahedra each (structured, so the same input gives the same mesh)."""
    lengths = tuple(_check_positive(f"lengths[{k}]", length) for k, length in enumerate(lengths))
    if len(lengths) != 3:
        raise ValueError(f"lengths must be three side lengths (Lx, Ly, Lz), got {lengths!r}")
    mesh_size = _check_positive("mesh_size", mesh_size)
    lo = np.asarray(origin, dtype=float)
    divisions = [max(1, int(np.ceil(length / mesh_size))) for length in lengths]
    msh = dmesh.create_box(comm, [lo, lo + np.asarray(lengths)], divisions, cell_type=dmesh.CellType.tetrahedron)
    _REGISTRY[msh] = MeshInfo("box", mesh_size, min_dihedral_angle=min_dihedral_angle(msh))
    return msh


def _gmsh_ellipsoid(radii, mesh_size, shell, comm) -> dmesh.Mesh:
    """Tetrahedral ellipsoid by gmsh (OpenCASCADE sphere scaled per axis), optionally refined
    to shell = (thickness, size) within thickness of the surface. Meshed on rank 0 with one
    thread and a fixed seed: reproducible."""
    import gmsh

    from dolfinx.io import gmsh as dolfinx_gmsh

    initialized_here = not gmsh.isInitialized()
    if initialized_here:
        gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.RandomSeed", 1.0)
        gmsh.model.add("morphosim_ellipsoid")
        if comm.rank == 0:
            occ = gmsh.model.occ
            ball = occ.addSphere(0.0, 0.0, 0.0, 1.0)
            occ.dilate([(3, ball)], 0.0, 0.0, 0.0, *radii)
            occ.synchronize()
            surfaces = [tag for _, tag in gmsh.model.getBoundary([(3, ball)], oriented=False)]
            gmsh.model.addPhysicalGroup(3, [ball], 1)
            gmsh.model.addPhysicalGroup(2, surfaces, 1)
            gmsh.option.setNumber("Mesh.MeshSizeMax", mesh_size)
            gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
            gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
            gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0 if shell else 1)
            if shell is not None:
                thickness, shell_size = shell
                field = gmsh.model.mesh.field
                distance = field.add("Distance")
                field.setNumbers(distance, "SurfacesList", surfaces)
                field.setNumber(distance, "Sampling", 200)
                threshold = field.add("Threshold")
                field.setNumber(threshold, "InField", distance)
                field.setNumber(threshold, "SizeMin", shell_size)
                field.setNumber(threshold, "SizeMax", mesh_size)
                field.setNumber(threshold, "DistMin", thickness)
                field.setNumber(threshold, "DistMax", thickness + mesh_size)
                field.setAsBackgroundMesh(threshold)
                gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
            gmsh.option.setNumber("Mesh.Algorithm3D", 1)   # Delaunay
            gmsh.option.setNumber("Mesh.Optimize", 1)
            gmsh.option.setNumber("Mesh.OptimizeNetgen", 1)   # removes the slivers Delaunay leaves
            # surface Delaunay first (frontal fails on some scaled spheres), and where it leaves the
            # volume empty (some coarse elongated ones) frontal-Delaunay, then MeshAdapt
            for algorithm in (5, 6, 1):
                gmsh.option.setNumber("Mesh.Algorithm", algorithm)
                gmsh.model.mesh.clear()
                gmsh.model.mesh.generate(3)
                if len(gmsh.model.mesh.getElementsByType(4)[0]):
                    break
            else:
                raise ValueError(f"gmsh could not mesh the ellipsoid of radii {radii} at mesh_size {mesh_size}; "
                                 "try a slightly different mesh_size")
        data = dolfinx_gmsh.model_to_mesh(gmsh.model, comm, 0, gdim=3)
    finally:
        gmsh.model.remove()
        if initialized_here:
            gmsh.finalize()
    return data.mesh


def ellipsoid_volume_mesh(
    radii: tuple[float, float, float],
    mesh_size: float,
    shell: float | None = None,
    shell_mesh_size: float | None = None,
    comm: MPI.Comm = MPI.COMM_WORLD,
) -> dmesh.Mesh:
    """Tetrahedral volume x²/a² + y²/b² + z²/c² <= 1 (the egg), elements of size about mesh_size.

    shell: thickness of a layer under the surface (where the cells are) meshed finer, at
    shell_mesh_size (default mesh_size / 2). Boundary vertices lie on the ellipsoid; the
    tetrahedra are affine. The minimum dihedral angle is in mesh_info(mesh).min_dihedral_angle.
    """
    radii = tuple(_check_positive(f"radii[{k}]", r) for k, r in enumerate(radii))
    if len(radii) != 3:
        raise ValueError(f"radii must be three semi-axes (a, b, c), got {radii!r}")
    mesh_size = _check_positive("mesh_size", mesh_size)
    shell_spec = None
    if shell is not None:
        thickness = _check_positive("shell", shell)
        size = _check_positive("shell_mesh_size", 0.5 * mesh_size if shell_mesh_size is None else shell_mesh_size)
        shell_spec = (thickness, size)
    msh = _gmsh_ellipsoid(radii, mesh_size, shell_spec, comm)
    _REGISTRY[msh] = MeshInfo("ellipsoid_volume", mesh_size, radii=radii, min_dihedral_angle=min_dihedral_angle(msh),
                              shell=shell_spec)
    return msh


def ball_mesh(
    radius: float, mesh_size: float, comm: MPI.Comm = MPI.COMM_WORLD
) -> dmesh.Mesh:
    """Tetrahedral ball |x| <= radius centred at the origin (gmsh; see ellipsoid_volume_mesh)."""
    radius = _check_positive("radius", radius)
    mesh_size = _check_positive("mesh_size", mesh_size)
    msh = _gmsh_ellipsoid((radius,) * 3, mesh_size, None, comm)
    _REGISTRY[msh] = MeshInfo("ball", mesh_size, radii=(radius,) * 3, min_dihedral_angle=min_dihedral_angle(msh))
    return msh


def is_surface(mesh: dmesh.Mesh) -> bool:
    """True for a manifold mesh (triangles in 3D)."""
    return mesh.geometry.dim == 3 and mesh.topology.dim == 2


def max_cell_size(mesh: dmesh.Mesh) -> float:
    """Largest cell diameter over all ranks."""
    num_cells = mesh.topology.index_map(mesh.topology.dim).size_local
    local = mesh.h(mesh.topology.dim, np.arange(num_cells, dtype=np.int32)).max(initial=0.0)
    return mesh.comm.allreduce(local, op=MPI.MAX)


def linear_triangles(mesh: dmesh.Mesh) -> tuple[np.ndarray, np.ndarray]:
    """The mesh as flat triangles for output and rendering: (points (Np, 3), triangles (Nt, 3)).

    Uses the three vertex nodes of each (possibly curved P2) triangle, so points are mesh
    vertices. The whole mesh on every rank: each rank's cells are gathered from all ranks, the
    points in the order of the mesh's input nodes and the triangles in the order of its input
    cells, so the result is the same whatever the number of MPI ranks."""
    num_cells = mesh.topology.index_map(mesh.topology.dim).size_local
    corners = mesh.geometry.dofmaps[0][:num_cells, :3]
    node_ids = np.asarray(mesh.geometry.input_global_indices, dtype=np.int64)
    cell_ids = np.asarray(mesh.topology.original_cell_index, dtype=np.int64)[:num_cells]
    used = np.unique(corners)
    local = (cell_ids, node_ids[corners], node_ids[used], mesh.geometry.x[used])
    parts = mesh.comm.allgather(local) if mesh.comm.size > 1 else [local]
    cells, triangles, nodes, coordinates = (np.concatenate([part[k] for part in parts]) for k in range(4))
    nodes, first = np.unique(nodes, return_index=True)   # a node shared by ranks appears once
    points = np.zeros((nodes.size, 3))
    points[:, : coordinates.shape[1]] = coordinates[first]
    triangles = np.searchsorted(nodes, triangles[np.argsort(cells, kind="stable")])
    return points, triangles.astype(np.int64)
