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
from collections import namedtuple

import numpy as np
from numba import njit, prange

from ..threads import barrier, share
from .boundary import PERIODIC, PLANAR, SHELL, as_boundary, as_kind, retract, tangential
from .energy import (VertexModel, as_coefficients, force_parts, kernel_threads, new_team, no_scalars, part_passes,
                     thread_vertex_parts, vertex_force)
from .geometry import SheetArrays, as_sheet
from .sheet import MAX_DEGREE, Sheet

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
            arrays, coefficients = model.kernel_arguments(sheet)
            settings = tuple(StepSettings(float(dt), self.xi, self.min_edge_length,
                                          float(sheet.counts[MAX_DEGREE]), self.max_substeps, v_ext))
            substeps = _steps(kernel_threads(nv), arrays, coefficients, settings)
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
            move_vertices(sheet.vertices, forces, v_ext, nv, h, 1.0 / self.xi, sheet.boundary, kernel_threads(nv))
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


# What a step takes besides the sheet and the coefficients: its length dt, the friction xi, the edge
# floor of the stiffness bound, the most cells around a vertex, the sub-step limit and v_ext (empty
# for none).
StepSettings = namedtuple("StepSettings", "dt xi edge_floor max_degree max_substeps velocity")
# One move r += h (F inv_xi + v_ext) of some vertices; v_ext (their rows of it) is added when external.
Motion = namedtuple("Motion", "h inv_xi velocity external")


# The sub-steps of a step run in one parallel region: the force passes (energy.part_passes), then,
# with the step length from their stiffness bound, each thread sums the force on each of its
# vertices and moves it (the forces are not stored), and a barrier before the next sub-step's edge
# pass reads the moved vertices.
@njit(cache=True)
def _steps(n_threads, sheet, coefficients, settings):
    """The sub-steps of :meth:`Overdamped.step` over settings.dt (at most max_substeps + 1) on
    n_threads threads (one: without a parallel region); returns how many were taken."""
    sheet, coefficients, settings = as_sheet(sheet), as_coefficients(coefficients), StepSettings(*settings)
    team, substeps = new_team(n_threads), np.zeros(1, np.int64)
    if n_threads == 1:
        _step_passes(0, team, sheet, coefficients, settings, substeps)
    else:
        _step_region(team, sheet.vertices, sheet.boundary, sheet.rings, coefficients, settings, substeps)
    return substeps[0]


@njit(cache=True, parallel=True)
def _step_region(team, vertices, boundary, rings, coefficients, settings, substeps):
    for thread in prange(team.size):  # SheetArrays in parts (see the comment above energy._forces)
        _step_passes(thread, team, SheetArrays(vertices, boundary, rings), coefficients, settings, substeps)


@njit(cache=True)
def _step_passes(thread, team, sheet, coefficients, settings, substeps):
    """One thread's share of every sub-step (see the comment above)."""
    first, last = share(sheet.rings.n_vertices, thread, team.size)
    table, parts = thread_vertex_parts(sheet, first, last), force_parts(sheet)
    external = settings.velocity.shape[0] > 0
    velocity = settings.velocity[first:last] if external else settings.velocity
    own = sheet.vertices[first:last]
    scalars = no_scalars()  # the passes store no geometry
    remaining, taken, generation = settings.dt, 0, 0
    while remaining > 0.0 and taken <= settings.max_substeps:
        if taken > 0:
            generation += 1
            barrier(team.arrivals, team.size, generation)
        generation = part_passes(thread, team, generation, sheet, coefficients, settings.edge_floor, scalars, False)
        h = substep_length(remaining, settings.max_degree * team.worst.max(), settings.xi)
        _sum_and_move(table, parts, own, Motion(h, 1.0 / settings.xi, velocity, external), sheet.boundary)
        remaining = remaining_after(remaining, h, settings.dt)
        taken += 1
    if thread == 0:
        substeps[0] = taken  # the same on every thread


@njit(cache=True)
def move_vertices(vertices, forces, velocity, n_vertices, h, inv_xi, boundary, n_threads=1):
    """r += h (F inv_xi + v) on n_threads threads (one: without a parallel region, which would wake
    the others); v may be empty (none). Tangent projection and return onto the ellipsoid on shells,
    wrapping on periodic sheets (``boundary``: Sheet.boundary)."""
    boundary = as_boundary(boundary)
    motion = Motion(h, inv_xi, velocity, velocity.shape[0] > 0)
    if n_threads == 1:
        _move_share(0, 1, vertices, forces, n_vertices, motion, boundary)
    else:
        _move_region(n_threads, vertices, forces, n_vertices, motion, boundary)


@njit(cache=True, parallel=True)
def _move_region(n_threads, vertices, forces, n_vertices, motion, boundary):
    for thread in prange(n_threads):
        _move_share(thread, n_threads, vertices, forces, n_vertices, motion, boundary)


@njit(cache=True)
def _move_share(thread, n_threads, vertices, forces, n_vertices, motion, boundary):
    """Move one thread's share of the vertices (views from 0: see geometry.planar_edges)."""
    first, last = share(n_vertices, thread, n_threads)
    velocity = motion.velocity[first:last] if motion.external else motion.velocity
    _move(vertices[first:last], forces[first:last], Motion(motion.h, motion.inv_xi, velocity, motion.external),
          boundary)


# One loop per kind of boundary (as_kind): a loop body that also holds the (unused) shell code runs
# much slower. With arcp, the divisions by the box and the radii (values, see .boundary) become
# multiplications by inverses computed once. The step kernel sums each vertex's force and moves it
# in the same loop (_sum_and_move), so the forces never make a round trip through a buffer in
# memory. No contraction into fused multiply-adds here, which the compiler would choose differently
# in the two loops: they round alike, and a step moves the vertices exactly as move_vertices does.
@njit(cache=True, error_model="numpy", fastmath={"arcp"})
def _move(vertices, forces, motion, boundary):
    """Move the vertices by the forces of the same rows."""
    if boundary.kind == SHELL:
        _move_loop(vertices, forces, motion, as_kind(boundary, SHELL))
    elif boundary.kind == PERIODIC:
        _move_loop(vertices, forces, motion, as_kind(boundary, PERIODIC))
    else:
        _move_loop(vertices, forces, motion, as_kind(boundary, PLANAR))


@njit(inline="always")
def _move_loop(vertices, forces, motion, boundary):
    for v in range(vertices.shape[0]):
        _move_vertex(vertices, v, forces[v, 0], forces[v, 1], forces[v, 2], motion, boundary)


@njit(cache=True, error_model="numpy", fastmath={"arcp"})
def _sum_and_move(table, parts, vertices, motion, boundary):
    """Move the vertices of ``table`` (a share; vertices and motion.velocity are views of the same
    rows) by their forces summed from parts (energy.vertex_force)."""
    # one loop for each value of external, a constant in it: tested inside, it makes the loop much slower
    if motion.external:
        _sum_and_move_kinds(table, parts, vertices, Motion(motion.h, motion.inv_xi, motion.velocity, True), boundary)
    else:
        _sum_and_move_kinds(table, parts, vertices, Motion(motion.h, motion.inv_xi, motion.velocity, False), boundary)


@njit(inline="always")
def _sum_and_move_kinds(table, parts, vertices, motion, boundary):
    if boundary.kind == SHELL:
        _sum_and_move_loop(table, parts, vertices, motion, as_kind(boundary, SHELL))
    elif boundary.kind == PERIODIC:
        _sum_and_move_loop(table, parts, vertices, motion, as_kind(boundary, PERIODIC))
    else:
        _sum_and_move_loop(table, parts, vertices, motion, as_kind(boundary, PLANAR))


@njit(inline="always")
def _sum_and_move_loop(table, parts, vertices, motion, boundary):
    if boundary.kind == SHELL:
        for v in range(vertices.shape[0]):
            fx, fy, fz = vertex_force(table, parts, v)
            _move_vertex(vertices, v, fx, fy, fz, motion, boundary)
        return
    # planar: last vertex first. It starts on the rows the edge-force pass before it wrote last, and
    # ends on the vertices the next sub-step's edge pass reads first, both still cached (it matters once
    # the passes' arrays outgrow the shared cache; the other passes run slower backwards)
    for v in range(vertices.shape[0] - 1, -1, -1):
        fx, fy, fz = vertex_force(table, parts, v)
        _move_vertex(vertices, v, fx, fy, fz, motion, boundary)


@njit(inline="always")
def _move_vertex(vertices, v, fx, fy, fz, motion, boundary):
    """r_v += h (F inv_xi + v_ext), on shells projected on the tangent plane, then put back onto the
    ellipsoid; on planar sheets in x and y (z stays 0: not read or written, see Sheet.vertices),
    wrapped into a periodic box (boundary.retract)."""
    ux, uy, uz = _velocity(fx, fy, fz, motion, v)
    ux, uy, uz = tangential(boundary, vertices, v, ux, uy, uz)
    vertices[v, 0] += motion.h * ux
    vertices[v, 1] += motion.h * uy
    if boundary.kind == SHELL:
        vertices[v, 2] += motion.h * uz
    retract(boundary, vertices, v)


@njit(inline="always")
def _velocity(fx, fy, fz, motion, v):
    ux = fx * motion.inv_xi
    uy = fy * motion.inv_xi
    uz = fz * motion.inv_xi
    if motion.external:
        ux += motion.velocity[v, 0]
        uy += motion.velocity[v, 1]
        uz += motion.velocity[v, 2]
    return ux, uy, uz


@njit(cache=True)
def _tangent_forces(vertices, forces, n_vertices, boundary):
    """Remove the normal component of the forces on a shell (in place)."""
    boundary = as_boundary(boundary)
    for v in range(n_vertices):
        forces[v, 0], forces[v, 1], forces[v, 2] = tangential(boundary, vertices, v, forces[v, 0], forces[v, 1],
                                                              forces[v, 2])


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
            _tangent_forces(sheet.vertices, forces, nv, sheet.boundary)
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
        move_vertices(sheet.vertices, velocity, no_velocity, nv, h, 1.0, sheet.boundary, kernel_threads(nv))
        max_force = evaluate()
    return {"steps": step, "max_force": float(max_force), "energy": model.energy(sheet),
            "converged": bool(max_force < tolerance)}
