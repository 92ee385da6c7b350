"""Boundary conditions of a sheet: one record, and the functions every kernel uses for it.

As in JAX-MD, a boundary condition is not a flag each kernel tests but a small set of functions
of one record, :data:`Boundary` (kind, box lx, ly, semi-axes a, b, c):

    kind        displacement(r_i -> r_j)                          retract(r): back where vertices live
    PLANAR      r_j - r_i                                         r
    PERIODIC    r_j - r_i - L round((r_j - r_i) / L) in x and y   r - L floor(r / L): into [0, Lx) x [0, Ly)
                (the minimum image; every edge shorter than L/2)
    SHELL       r_j - r_i                                         r / |r / radii|: along the ray from the
                                                                  centre onto (x/a)^2 + (y/b)^2 + (z/c)^2 = 1

with L = (lx, ly) and radii = (a, b, c). The record holds plain floats, not arrays (and no nested
tuples, which a parallel region cannot take): a kernel then has them as values (with ``arcp`` a division by the box becomes a multiplication by
its inverse, computed once) rather than reloading them from memory its stores might alias. A
hot loop that must not carry the other kinds' code takes the record rebuilt with its kind as a
constant (:func:`as_kind`), so that the compiler drops the branches of the other kinds.

Records cross from Python into numba as plain tuples in the record's field order (numba types a
plain tuple at each call several times faster than a namedtuple); a kernel called from Python
turns them into records first (:func:`as_boundary`, ``sheet.as_mesh``, ``geometry.as_sheet``, ...).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

PLANAR, PERIODIC, SHELL = 0, 1, 2

# kind: PLANAR, PERIODIC or SHELL; lx, ly: the periodic box; a, b, c: the shell's semi-axes (zeros
# unless a shell).
Boundary = namedtuple("Boundary", "kind lx ly a b c")


def make_boundary(periodic: bool, box, radii) -> tuple:
    """The Boundary of a sheet with these attributes (a shell when radii[0] > 0), as a plain tuple."""
    (lx, ly), (a, b, c) = box[:2].tolist(), radii.tolist()
    return tuple(Boundary(SHELL if a > 0.0 else PERIODIC if periodic else PLANAR, lx, ly, a, b, c))


@njit(inline="always")
def as_boundary(values):
    """The Boundary of a plain tuple from :func:`make_boundary`."""
    return Boundary(*values)


@njit(inline="always")
def as_kind(boundary, kind):
    """The same boundary with its kind a compile-time constant (for a loop specialised on it)."""
    return Boundary(kind, boundary.lx, boundary.ly, boundary.a, boundary.b, boundary.c)


@njit(inline="always")
def minimum_image(boundary, dx, dy, dz):
    """The displacement (dx, dy, dz) as the boundary sees it: its minimum image on periodic sheets."""
    if boundary.kind == PERIODIC:
        dx -= boundary.lx * np.floor(dx / boundary.lx + 0.5)
        dy -= boundary.ly * np.floor(dy / boundary.ly + 0.5)
    return dx, dy, dz


def minimum_images(boundary: tuple, vectors: np.ndarray) -> np.ndarray:
    """Displacement rows (N, >= 2) as the boundary sees them, for numpy code outside the kernels: a
    copy with the minimum images in x and y on periodic sheets, the rows themselves otherwise."""
    kind, lx, ly = boundary[:3]
    if kind != PERIODIC:
        return vectors
    box = np.array([lx, ly])
    images = vectors.copy()
    images[:, :2] -= box * np.floor(images[:, :2] / box + 0.5)
    return images


def wrap_points(boundary: tuple, points: np.ndarray) -> None:
    """Points (N, >= 2) put back into the box in place on periodic sheets (numpy's :func:`wrap`)."""
    kind, lx, ly = boundary[:3]
    if kind == PERIODIC:
        box = np.array([lx, ly])
        points[:, :2] -= box * np.floor(points[:, :2] / box)


@njit(inline="always")
def displacement(boundary, vertices, i, j):
    """r_j - r_i of vertex rows i and j (minimum image on periodic sheets)."""
    return minimum_image(boundary, vertices[j, 0] - vertices[i, 0], vertices[j, 1] - vertices[i, 1],
                         vertices[j, 2] - vertices[i, 2])


@njit(inline="always")
def wrap(boundary, x, y):
    """A point's (x, y) in the box on periodic sheets, unchanged otherwise."""
    if boundary.kind == PERIODIC:
        x -= boundary.lx * np.floor(x / boundary.lx)
        y -= boundary.ly * np.floor(y / boundary.ly)
    return x, y


@njit(inline="always")
def wrap_vertex(boundary, vertices, v):
    """Vertex v wrapped into the box on periodic sheets (nothing otherwise)."""
    if boundary.kind == PERIODIC:
        vertices[v, 0], vertices[v, 1] = wrap(boundary, vertices[v, 0], vertices[v, 1])


@njit(inline="always")
def retract(boundary, vertices, v):
    """Vertex v put back where the sheet's vertices live: into the box on periodic sheets, onto the
    ellipsoid along the ray from its centre on shells."""
    if boundary.kind == SHELL:
        x, y, z = vertices[v, 0] / boundary.a, vertices[v, 1] / boundary.b, vertices[v, 2] / boundary.c
        inverse = 1.0 / np.sqrt(x * x + y * y + z * z)
        vertices[v, 0] *= inverse
        vertices[v, 1] *= inverse
        vertices[v, 2] *= inverse
    wrap_vertex(boundary, vertices, v)


@njit(inline="always")
def place(boundary, vertices, v, x, y, z):
    """Put vertex v at (x, y, z), then :func:`retract` it."""
    vertices[v, 0], vertices[v, 1], vertices[v, 2] = x, y, z
    retract(boundary, vertices, v)


@njit(inline="always")
def surface_normal(boundary, x, y, z):
    """Outward unit normal of the surface at (x, y, z): n = grad((x/a)^2 + (y/b)^2 + (z/c)^2) / |...|
    on shells, +z on planar sheets."""
    if boundary.kind != SHELL:
        return 0.0, 0.0, 1.0
    a, b, c = boundary.a, boundary.b, boundary.c
    nx, ny, nz = x / (a * a), y / (b * b), z / (c * c)
    inverse = 1.0 / np.sqrt(nx * nx + ny * ny + nz * nz)
    return nx * inverse, ny * inverse, nz * inverse


@njit(inline="always")
def tangential(boundary, vertices, v, ux, uy, uz):
    """The part of the vector (ux, uy, uz) at vertex v in the surface's tangent plane, u - (u.n) n
    (on planar sheets u itself: its z component is not used)."""
    if boundary.kind != SHELL:
        return ux, uy, uz
    nx, ny, nz = surface_normal(boundary, vertices[v, 0], vertices[v, 1], vertices[v, 2])
    un = ux * nx + uy * ny + uz * nz
    return ux - un * nx, uy - un * ny, uz - un * nz

