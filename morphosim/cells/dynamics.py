"""Time integration: the overdamped vertex model and a FIRE minimiser.

Overdamped motion (friction coefficient xi, external velocity v_ext supplied e.g. by a tissue flow)

    dr_v/dt = F_v / xi + v_ext,v

is integrated with explicit Euler. Explicit Euler on a gradient flow is stable for
h < 2 xi / lambda_max(Hessian); :meth:`VertexModel.stiffness_bound` bounds lambda_max from above,
and each step is split into equal sub-steps no longer than ``safety * 2 xi / bound`` (safety 0.9).
A short edge under tension is stiff (transverse stiffness ~ tension / length): pass the T1
threshold as ``min_edge_length`` so that edges about to be swapped do not drive the step to zero.
On shells the velocity is projected on the ellipsoid's tangent plane and each vertex is put
back on the ellipsoid after every sub-step; on periodic sheets vertices are wrapped into the box.
For the standard cell terms all sub-steps of a step run in one kernel (one parallel region, the
forces applied as they are summed); a model with edge terms (e.g. planar polarity) steps through
:meth:`VertexModel.forces_and_bound` and :func:`move_vertices`, which give the same sub-steps.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from ..threads import barrier, share
from .energy import VertexModel, force_parts, kernel_threads, part_passes, thread_vertex_parts, vertex_force
from .geometry import project_on_ellipsoid, surface_normal, wrap_vertex
from .sheet import INDEX, MAX_DEGREE, Sheet

SAFETY = 0.9


class Overdamped:
    """Explicit overdamped integrator ``dr/dt = F/xi + v_ext`` with an enforced stable step.

    Buffers are kept between calls (no per-step allocation at a fixed number of vertices).
    """

    def __init__(self, model: VertexModel, xi: float = 1.0, min_edge_length: float = 0.0,
                 max_substeps: int = 100_000):
        if not xi > 0:
            raise ValueError(f"xi (friction coefficient) must be positive, got {xi}")
        self.model = model
        self.xi = float(xi)
        self.min_edge_length = float(min_edge_length)
        self.max_substeps = int(max_substeps)
        self.forces = np.empty((0, 3))
        self._no_velocity = np.zeros((0, 3))

    def stable_dt(self, sheet: Sheet) -> float:
        """Largest sub-step the integrator takes in the current configuration (time units)."""
        self.model.update(sheet)
        return step_bound(self.model.stiffness_bound(sheet, self.min_edge_length), self.xi)

    def step(self, sheet: Sheet, dt: float, v_ext: np.ndarray | None = None) -> int:
        """Advance the vertices by ``dt``; returns the number of sub-steps taken."""
        nv = sheet.n_vertices
        if v_ext is None:
            v_ext = self._no_velocity
        elif v_ext.shape != (nv, 3):
            raise ValueError(f"v_ext must have shape ({nv}, 3) (one velocity per vertex), got {v_ext.shape}")
        model = self.model
        if model.edge_terms:  # their forces come from their own kernels, between the passes
            substeps = self._steps_with_edge_terms(sheet, float(dt), v_ext)
        else:
            substeps = _steps(kernel_threads(nv), *model.kernel_arguments(sheet), self.min_edge_length, v_ext,
                              self.xi, float(sheet.counts[MAX_DEGREE]), float(dt), self.max_substeps, sheet.radii)
        if substeps > self.max_substeps:
            raise RuntimeError(f"more than {self.max_substeps} sub-steps for dt={dt}: the sheet is "
                               "collapsing or stiff (check parameters, or lower dt)")
        return substeps

    def _steps_with_edge_terms(self, sheet, dt, v_ext):
        """The sub-steps of :meth:`step` one kernel call at a time (the same sub-steps as _steps)."""
        nv = sheet.n_vertices
        if self.forces.shape[0] < nv:
            self.forces = np.empty((sheet.vertices.shape[0], 3))
        forces = self.forces[:nv]
        remaining, substeps = dt, 0
        while remaining > 0.0 and substeps <= self.max_substeps:
            h = substep_length(remaining, self.model.forces_and_bound(sheet, forces, self.min_edge_length), self.xi)
            move_vertices(sheet.vertices, forces, v_ext, nv, h, 1.0 / self.xi, sheet.box, sheet.periodic,
                          sheet.radii, kernel_threads(nv))
            remaining = remaining_after(remaining, h, dt)
            substeps += 1
        return substeps


@njit(cache=True)
def step_bound(stiffness, xi):
    """Largest stable explicit step, SAFETY * 2 xi / stiffness (infinite without stiffness)."""
    return math.inf if stiffness == 0.0 else SAFETY * 2.0 * xi / stiffness


@njit(cache=True)
def substep_length(remaining, stiffness, xi):
    """Equal sub-steps over what remains of a step, each below the stable bound."""
    return remaining / max(1.0, np.ceil(remaining / step_bound(stiffness, xi) * (1 - 1e-12)))


@njit(cache=True)
def remaining_after(remaining, h, dt):
    """What remains of a step of length dt after a sub-step h (rounding leftovers are dropped)."""
    return remaining - h if remaining - h > 1e-12 * dt else 0.0


# The sub-steps of a step run in one parallel region: the force passes (energy.part_passes), then,
# with the step length from their stiffness bound, each thread sums the force on each of its
# vertices and moves it (the forces are not stored), and a barrier before the next sub-step's edge
# pass reads the moved vertices.
@njit(cache=True)
def _steps(n_threads, shell, vertices, n_vertices, rings, gather, max_sides, n_cells, box, periodic, coefficients,
           edge_floor, velocity, xi, max_degree, dt, max_substeps, radii):
    """The sub-steps of :meth:`Overdamped.step` over dt (at most max_substeps + 1) on n_threads
    threads (one: without a parallel region); returns how many were taken."""
    worst, arrivals, substeps = np.zeros(n_threads), np.zeros(1, np.int64), np.zeros(1, np.int64)
    empty = np.empty(0)  # the passes store no geometry (see energy.part_passes)
    scalars = (empty, empty, empty, empty, np.empty(0, INDEX), empty, empty)
    if n_threads == 1:
        _step_passes(0, 1, arrivals, worst, substeps, shell, vertices, n_vertices, rings, gather, max_sides, n_cells,
                     box, periodic, coefficients, edge_floor, scalars, velocity, xi, max_degree, dt, max_substeps,
                     radii)
    else:
        _step_region(n_threads, arrivals, worst, substeps, shell, vertices, n_vertices, rings, gather, max_sides,
                     n_cells, box, periodic, coefficients, edge_floor, scalars, velocity, xi, max_degree, dt,
                     max_substeps, radii)
    return substeps[0]


@njit(cache=True, parallel=True)
def _step_region(n_threads, arrivals, worst, substeps, shell, vertices, n_vertices, rings, gather, max_sides, n_cells,
                 box, periodic, coefficients, edge_floor, scalars, velocity, xi, max_degree, dt, max_substeps, radii):
    for thread in prange(n_threads):
        _step_passes(thread, n_threads, arrivals, worst, substeps, shell, vertices, n_vertices, rings, gather,
                     max_sides, n_cells, box, periodic, coefficients, edge_floor, scalars, velocity, xi, max_degree,
                     dt, max_substeps, radii)


@njit(cache=True)
def _step_passes(thread, n_threads, arrivals, worst, substeps, shell, vertices, n_vertices, rings, gather, max_sides,
                 n_cells, box, periodic, coefficients, edge_floor, scalars, velocity, xi, max_degree, dt,
                 max_substeps, radii):
    """One thread's share of every sub-step (see the comment above)."""
    first, last = share(n_vertices, thread, n_threads)
    table, parts = thread_vertex_parts(gather, shell, first, last), force_parts(gather, shell)
    external = velocity.shape[0] > 0
    velocity = velocity[first:last] if external else velocity
    own = vertices[first:last]
    remaining, taken, generation = dt, 0, 0
    while remaining > 0.0 and taken <= max_substeps:
        if taken > 0:
            generation += 1
            barrier(arrivals, n_threads, generation)
        generation = part_passes(thread, n_threads, arrivals, generation, worst, False, shell, vertices, rings,
                                 gather, max_sides, n_cells, box, periodic, coefficients, edge_floor, scalars)
        h = substep_length(remaining, max_degree * worst.max(), xi)
        if shell:
            _sum_and_move_on_shell(table, parts, own, velocity, h, 1.0 / xi, radii, external)
        else:
            _sum_and_move_planar(table, parts, own, velocity, h, 1.0 / xi, box, periodic, external)
        remaining = remaining_after(remaining, h, dt)
        taken += 1
    if thread == 0:
        substeps[0] = taken  # the same on every thread


@njit(cache=True)
def move_vertices(vertices, forces, velocity, n_vertices, h, inv_xi, box, periodic, radii, n_threads=1):
    """r += h (F inv_xi + v) on n_threads threads (one: without a parallel region, which would wake
    the others); tangent projection and return onto the ellipsoid on shells."""
    if n_threads == 1:
        _move_share(0, 1, vertices, forces, velocity, n_vertices, h, inv_xi, box, periodic, radii)
    else:
        _move_region(n_threads, vertices, forces, velocity, n_vertices, h, inv_xi, box, periodic, radii)


@njit(cache=True, parallel=True)
def _move_region(n_threads, vertices, forces, velocity, n_vertices, h, inv_xi, box, periodic, radii):
    for thread in prange(n_threads):
        _move_share(thread, n_threads, vertices, forces, velocity, n_vertices, h, inv_xi, box, periodic, radii)


@njit(cache=True)
def _move_share(thread, n_threads, vertices, forces, velocity, n_vertices, h, inv_xi, box, periodic, radii):
    """Move one thread's share of the vertices (views from 0: see geometry.planar_edges)."""
    first, last = share(n_vertices, thread, n_threads)
    external = velocity.shape[0] > 0
    velocity = velocity[first:last] if external else velocity
    if radii[0] > 0.0:
        _move_on_shell(vertices[first:last], forces[first:last], velocity, h, inv_xi, radii, external)
    else:
        _move_planar(vertices[first:last], forces[first:last], velocity, h, inv_xi, box, periodic, external)


# One loop per geometry: a loop body that also holds the (unused) shell code runs much slower. The
# radii and the box are copied into values: read from an array the stores might alias, they would be
# reloaded at every vertex; as values, with arcp, their divisions become multiplications by inverses
# computed once. The step kernel sums each vertex's force and moves it in the same loop
# (_sum_and_move_*), so the forces never make a round trip through a buffer in memory. No
# contraction into fused multiply-adds here, which the compiler would choose differently in the two
# loops: they round alike, and a step moves the vertices exactly as move_vertices does.
@njit(cache=True, error_model="numpy", fastmath={"arcp"})
def _move_on_shell(vertices, forces, velocity, h, inv_xi, radii, external):
    radii = (radii[0], radii[1], radii[2])
    for v in range(vertices.shape[0]):
        _move_shell_vertex(vertices, v, forces[v, 0], forces[v, 1], forces[v, 2], velocity, h, inv_xi, radii,
                           external)


@njit(cache=True, error_model="numpy", fastmath={"arcp"})
def _move_planar(vertices, forces, velocity, h, inv_xi, box, periodic, external):
    box = (box[0], box[1])
    for v in range(vertices.shape[0]):
        _move_planar_vertex(vertices, v, forces[v, 0], forces[v, 1], forces[v, 2], velocity, h, inv_xi, box,
                            periodic, external)


@njit(cache=True, error_model="numpy", fastmath={"arcp"})
def _sum_and_move_on_shell(table, parts, vertices, velocity, h, inv_xi, radii, external):
    """Move the shell vertices of ``table`` (a share; vertices and velocity are views of the same
    rows) by their forces summed from parts (energy.vertex_force)."""
    radii = (radii[0], radii[1], radii[2])
    # one loop for each value of external, a constant in it: tested inside, it makes the loop much slower
    if external:
        _sum_and_move_on_shell_loop(table, parts, vertices, velocity, h, inv_xi, radii, True)
    else:
        _sum_and_move_on_shell_loop(table, parts, vertices, velocity, h, inv_xi, radii, False)


@njit(inline="always")
def _sum_and_move_on_shell_loop(table, parts, vertices, velocity, h, inv_xi, radii, external):
    for v in range(vertices.shape[0]):
        fx, fy, fz = vertex_force(table, parts, v)
        _move_shell_vertex(vertices, v, fx, fy, fz, velocity, h, inv_xi, radii, external)


@njit(cache=True, error_model="numpy", fastmath={"arcp"})
def _sum_and_move_planar(table, parts, vertices, velocity, h, inv_xi, box, periodic, external):
    """_sum_and_move_on_shell for planar vertices."""
    box = (box[0], box[1])
    if external:
        _sum_and_move_planar_loop(table, parts, vertices, velocity, h, inv_xi, box, periodic, True)
    else:
        _sum_and_move_planar_loop(table, parts, vertices, velocity, h, inv_xi, box, periodic, False)


@njit(inline="always")
def _sum_and_move_planar_loop(table, parts, vertices, velocity, h, inv_xi, box, periodic, external):
    # last vertex first: it starts on the rows the edge-force pass before it wrote last, and ends on
    # the vertices the next sub-step's edge pass reads first, both still cached (it matters once the
    # passes' arrays outgrow the shared cache; the other passes run slower backwards)
    for v in range(vertices.shape[0] - 1, -1, -1):
        fx, fy, fz = vertex_force(table, parts, v)
        _move_planar_vertex(vertices, v, fx, fy, fz, velocity, h, inv_xi, box, periodic, external)


@njit(inline="always")
def _move_shell_vertex(vertices, v, fx, fy, fz, velocity, h, inv_xi, radii, external):
    """r_v += h (F inv_xi + v_ext) projected on the tangent plane, then back onto the ellipsoid."""
    ux, uy, uz = _velocity(fx, fy, fz, velocity, v, inv_xi, external)
    nx, ny, nz = surface_normal(vertices[v, 0], vertices[v, 1], vertices[v, 2], radii)
    un = ux * nx + uy * ny + uz * nz
    vertices[v, 0] += h * (ux - un * nx)
    vertices[v, 1] += h * (uy - un * ny)
    vertices[v, 2] += h * (uz - un * nz)
    project_on_ellipsoid(vertices, v, radii)


@njit(inline="always")
def _move_planar_vertex(vertices, v, fx, fy, fz, velocity, h, inv_xi, box, periodic, external):
    """r_v += h (F inv_xi + v_ext) in x and y (z stays 0: not read or written, see Sheet.vertices),
    wrapped into a periodic box."""
    ux, uy, uz = _velocity(fx, fy, fz, velocity, v, inv_xi, external)
    vertices[v, 0] += h * ux
    vertices[v, 1] += h * uy
    wrap_vertex(vertices, v, box, periodic)


@njit(inline="always")
def _velocity(fx, fy, fz, velocity, v, inv_xi, external):
    ux = fx * inv_xi
    uy = fy * inv_xi
    uz = fz * inv_xi
    if external:
        ux += velocity[v, 0]
        uy += velocity[v, 1]
        uz += velocity[v, 2]
    return ux, uy, uz


@njit(cache=True)
def _tangent_forces(vertices, forces, n_vertices, radii):
    """Remove the normal component of the forces on a shell (in place)."""
    for v in range(n_vertices):
        nx, ny, nz = surface_normal(vertices[v, 0], vertices[v, 1], vertices[v, 2], radii)
        fn = forces[v, 0] * nx + forces[v, 1] * ny + forces[v, 2] * nz
        forces[v, 0] -= fn * nx
        forces[v, 1] -= fn * ny
        forces[v, 2] -= fn * nz


def relax(sheet: Sheet, model: VertexModel, *, tolerance: float = 1e-8, max_steps: int = 100_000,
          dt: float | None = None) -> dict:
    """Quasi-static relaxation with FIRE (Bitzek et al., PRL 97, 170201, 2006).

    Stops when the largest (tangential, on shells) vertex force is below ``tolerance``. The MD
    time step starts at the overdamped stability bound (or ``dt``) and FIRE adapts it up to
    10 times that. Returns {"steps", "max_force", "energy", "converged"}.
    """
    nv = sheet.n_vertices
    forces = np.empty((nv, 3))
    velocity = np.zeros((nv, 3))
    no_velocity = np.zeros((0, 3))

    def evaluate():
        model.forces(sheet, out=forces)
        if sheet.is_shell:
            _tangent_forces(sheet.vertices, forces, nv, sheet.radii)
        return np.abs(forces).max()

    max_force = evaluate()
    h0 = dt if dt is not None else SAFETY * 2.0 / max(model.stiffness_bound(sheet), 1e-300)
    h, h_max, alpha, alpha0, since_uphill = h0, 10 * h0, 0.1, 0.1, 0
    step = 0
    for step in range(1, max_steps + 1):
        if max_force < tolerance:
            break
        power = float(np.vdot(forces, velocity))
        if power > 0:
            v_norm, f_norm = np.linalg.norm(velocity), np.linalg.norm(forces)
            velocity *= 1 - alpha
            velocity += alpha * v_norm / f_norm * forces
            since_uphill += 1
            if since_uphill > 5:
                h, alpha = min(1.1 * h, h_max), 0.99 * alpha
        else:
            velocity[:] = 0.0
            h, alpha, since_uphill = 0.5 * h, alpha0, 0
        velocity += h * forces  # semi-implicit Euler with unit mass
        # the displacement h * velocity is applied through the same kernel as the dynamics
        move_vertices(sheet.vertices, velocity, no_velocity, nv, h, 1.0, sheet.box, sheet.periodic, sheet.radii,
                      kernel_threads(nv))
        max_force = evaluate()
    return {"steps": step, "max_force": float(max_force), "energy": model.energy(sheet),
            "converged": bool(max_force < tolerance)}
