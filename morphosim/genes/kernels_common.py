"""Model-independent pieces of the batched integrators (compiled once, shared by every model)."""

import math
from collections import namedtuple

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

STATUS_OK = 0
STATUS_TOO_MANY_STEPS = 1
STATUS_STEP_TOO_SMALL = 2
STATUS_EVENT_CASCADE = 3    # events kept triggering each other at one instant
STATUS_PENDING_FULL = 4     # more delayed events waiting in a cell than it has slots for
# Events executed at one instant before the cascade is declared endless.
MAX_EVENT_ROUNDS = 1000
# Finite-difference Jacobian: relative increment sqrt(machine epsilon), never below this magnitude.
FD_FLOOR = 1.0e-4
# step size control: h_new = h * clip(SAFETY * error^(-1/order), FACTOR_MIN, factor_max)
SAFETY, FACTOR_MIN = 0.9, 0.2
# A step is too small when the time can no longer resolve it: a floor relative to |t| (a few units in
# the last place), not an absolute one, so a legitimate fast transient near t = 0 (1e-14 time units in
# the SBML specification's membrane model) is followed. The absolute bound only stops a step that has
# shrunk towards the smallest normal double (at t = 0, where the relative floor is zero).
STEP_FLOOR_RELATIVE, STEP_FLOOR_ABSOLUTE = 64.0 * np.finfo(np.float64).eps, 1e-280


# Settings of one integration, the same for every block.
Control = namedtuple("Control", ["rtol", "atol", "max_steps", "block_size"])
# Per block (arrays of n_blocks): step size memory (<= 0: unknown; in and out), status, accepted block
# steps, and the steps cells took on their own after their events (out).
Blocks = namedtuple("Blocks", ["step_size", "status", "steps", "event_steps"])
# Per cell, cells the last axis: each event's trigger value at the cell's last instant (1.0 / 0.0), the
# delayed events waiting to execute (slot: time, event index, assignment values when computed at trigger
# time; an empty slot has time inf), and the earliest of their times (inf: none waits).
EventState = namedtuple("EventState", ["triggered", "pending_time", "pending_event", "pending_values", "next_due"])
# Working arrays of one thread's event handling: one cell's state, its event math, its assignment values,
# and a one-cell chunked block in which the cell catches up with its block after an event.
EventScratch = namedtuple("EventScratch", ["y", "conditions", "values", "work"])
# An accepted step of a block: from `start` to `end`, of size `size` (end is start + size, or exactly the
# end of the interval when the step lands on it).
Step = namedtuple("Step", ["start", "size", "end"])


@intrinsic
def copy_doubles(typingctx, target, target_start, source, source_start, count):
    """target[target_start: target_start + count] = source[source_start: source_start + count] for
    contiguous float64 arrays that do not overlap there, as one memcpy: LLVM turns a constant count
    into vector moves, where an element loop between two arrays stays scalar (it cannot rule out that
    they overlap). No index checks: the caller keeps the ranges inside both arrays."""
    float_array = types.Array(types.float64, 1, "C")
    if not (target == float_array and source == float_array):
        return None

    def codegen(context, builder, signature, arguments):
        target_array = context.make_array(signature.args[0])(context, builder, arguments[0])
        source_array = context.make_array(signature.args[2])(context, builder, arguments[2])
        cgutils.raw_memcpy(builder, builder.gep(target_array.data, [arguments[1]]),
                           builder.gep(source_array.data, [arguments[3]]), arguments[4], 8)
        return context.get_dummy_value()

    return types.void(target, target_start, source, source_start, count), codegen


@njit(cache=True, nogil=True)
def tie_breaker(cell, event, t, round_index):
    """A reproducible pseudo-random key (splitmix64 of the arguments) that orders events of equal priority
    executing at one instant: SBML leaves their order random, and a fixed order (document order) would
    favour some events every time. Same arguments, same key, whatever the thread count."""
    time_key = np.uint64(np.int64(min(abs(t), 1.0e12) * 1048576.0))
    z = (np.uint64(cell) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(event) * np.uint64(0xD1B54A32D192ED03)
         + time_key * np.uint64(0x8CB92BA72F3D8DD7) + np.uint64(round_index))
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, nogil=True)
def copy_block(y, p, block, block_size):
    """Contiguous copies of the state and parameters of cells [block*block_size, ...+block_size)."""
    first = block * block_size
    last = min(first + block_size, y.shape[1])
    y_block = np.empty((y.shape[0], last - first))
    p_block = np.empty((p.shape[0], last - first))
    y_block[:, :] = y[:, first:last]
    p_block[:, :] = p[:, first:last]
    return y_block, p_block


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def error_norm(y, y_new, err, rtol, atol, sum_sq):
    """Max over the cells of the RMS over variables of err / (atol + rtol max(|y|, |y_new|))."""
    n, m = y.shape
    sum_sq[:] = 0.0
    for s in range(n):
        for c in range(m):
            scale = atol + rtol * max(abs(y[s, c]), abs(y_new[s, c]))
            ratio = err[s, c] / scale
            sum_sq[c] += ratio * ratio
    worst = 0.0
    for c in range(m):
        worst = max(worst, sum_sq[c])
    return math.sqrt(worst / n)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def initial_step(y, f0, rtol, atol, interval):
    """Hairer's first guess: a step over which the explicit Euler change is 1% of the state scale."""
    n, m = y.shape
    d0, d1 = 0.0, 0.0
    for s in range(n):
        for c in range(m):
            scale = atol + rtol * abs(y[s, c])
            d0 = max(d0, abs(y[s, c]) / scale)
            d1 = max(d1, abs(f0[s, c]) / scale)
    h = 1.0e-6 if (d0 < 1.0e-5 or d1 < 1.0e-5) else 0.01 * d0 / d1
    return min(h, interval)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def lu_factor(a, pivots):
    """In-place LU with partial pivoting of a (n, n). Returns False if a is singular."""
    n = a.shape[0]
    for k in range(n):
        best = k
        for i in range(k + 1, n):
            if abs(a[i, k]) > abs(a[best, k]):
                best = i
        pivots[k] = best
        if a[best, k] == 0.0:
            return False
        if best != k:
            for j in range(n):
                a[k, j], a[best, j] = a[best, j], a[k, j]
        for i in range(k + 1, n):
            a[i, k] /= a[k, k]
            for j in range(k + 1, n):
                a[i, j] -= a[i, k] * a[k, j]
    return True


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def lu_solve_columns(lu, pivots, rhs):
    """Solve in place lu[c] x = rhs[:, c] for every cell c (rhs laid out (variable, cell))."""
    n, m = rhs.shape
    x = np.empty(n)
    for c in range(m):
        for i in range(n):
            x[i] = rhs[i, c]
        for k in range(n):
            q = pivots[c, k]
            x[k], x[q] = x[q], x[k]
        for i in range(n):
            for j in range(i):
                x[i] -= lu[c, i, j] * x[j]
        for i in range(n - 1, -1, -1):
            for j in range(i + 1, n):
                x[i] -= lu[c, i, j] * x[j]
            x[i] /= lu[c, i, i]
        for i in range(n):
            rhs[i, c] = x[i]


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def combine(y, h, weights, k, out):
    """out = y + h sum_j weights[j] k[j]   (all (N_STATE, B); zero weights skipped)."""
    out[:, :] = y
    n, m = y.shape
    for j in range(weights.shape[0]):
        w = h * weights[j]
        if w != 0.0:
            for s in range(n):
                for c in range(m):
                    out[s, c] += w * k[j, s, c]


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def step_too_small(h, t):
    """Whether a rejected step's next size h can no longer advance the time t."""
    return h <= STEP_FLOOR_RELATIVE * abs(t) or h <= STEP_FLOOR_ABSOLUTE


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def control_step(error, h, h_step, order, factor_max, rejected):
    """Accept the step of size h_step if error <= 1; returns (accepted, next h, rejected).
    h is the step remembered before this one: a step shortened to land on the end of the
    interval does not shrink it. No growth right after a rejection."""
    factor = SAFETY * max(error, 1.0e-10) ** (-1.0 / order)
    if error <= 1.0:
        factor = min(factor_max, max(FACTOR_MIN, factor))
        if rejected:
            factor = min(factor, 1.0)
        proposed = h_step * factor
        return True, max(h, proposed) if h_step < h else proposed, False
    return False, h_step * max(FACTOR_MIN, min(factor, 1.0)), True


# Dormand–Prince 5(4) (Hairer, Nørsett & Wanner, Solving ODEs I, table 5.2), first same as last.
# Stage i (0-based) evaluates k_i = f(t + DOPRI_C[i] h, y + h sum_j DOPRI_A[i][j] k_j); the last
# stage is at the fifth-order solution y + h sum_j DOPRI_A[6][j] k_j, and its k is the next step's k_0.
# codegen writes these coefficients into each model's fused step as literals.
DOPRI_C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0)
DOPRI_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
# error estimate = fifth-order minus embedded fourth-order solution = h sum_j DOPRI_E[j] k_j
DOPRI_E = (71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40)
# Continuous extension of order 4 (Hairer, Nørsett & Wanner, Solving ODEs I, II.6; their dopri5 code):
# with Δ = y1 - y0, b = h k_0 - Δ, d = h sum_j DOPRI_D[j] k_j, at t + θh
#     y(θ) = y0 + θ (Δ + (1 - θ) (b + θ (Δ - h k_6 - b + (1 - θ) d)))
DOPRI_D = (-12715105075 / 11282082432, 0.0, 87487479700 / 32700410799, -10690763975 / 1880347072,
           701980252875 / 199316789632, -1453857185 / 822651844, 69997945 / 29380423)
