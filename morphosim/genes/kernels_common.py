"""Model-independent pieces of the batched integrators (compiled once, shared by every model)."""

import math

import numpy as np
from numba import njit

STATUS_OK = 0
STATUS_TOO_MANY_STEPS = 1
STATUS_STEP_TOO_SMALL = 2
# Finite-difference Jacobian: relative increment sqrt(machine epsilon), never below this magnitude.
FD_FLOOR = 1.0e-4
# step size control: h_new = h * clip(SAFETY * error^(-1/order), FACTOR_MIN, factor_max)
SAFETY, FACTOR_MIN = 0.9, 0.2


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


# Dormand–Prince 5(4) (Hairer, Nørsett & Wanner, Solving ODEs I, table 5.2), first same as last:
# stage i evaluates f(t + DOPRI_C[i] h, y + h sum_j a_ij k_j); the last stage is at the new solution.
DOPRI_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
A21 = 1 / 5
A31, A32 = 3 / 40, 9 / 40
A41, A42, A43 = 44 / 45, -56 / 15, 32 / 9
A51, A52, A53, A54 = 19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729
A61, A62, A63, A64, A65 = 9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656
B1, B3, B4, B5, B6 = 35 / 384, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84
# error = fifth-order minus embedded fourth-order solution, per stage
E1, E3, E4, E5, E6, E7 = 71 / 57600, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def dopri_stage(i, h, y, k, out):
    """out = y + h sum_j a_ij k[j] for stage i = 1..6 of Dormand–Prince: one fused pass over the
    block seen as a flat array, written out per stage so each loop is one vectorizable expression."""
    size = y.size
    y, out, k = y.reshape(size), out.reshape(size), k.reshape(k.shape[0], size)
    k1, k2, k3, k4, k5, k6 = k[0], k[1], k[2], k[3], k[4], k[5]
    if i == 1:
        for e in range(size):
            out[e] = y[e] + h * (A21 * k1[e])
    elif i == 2:
        for e in range(size):
            out[e] = y[e] + h * (A31 * k1[e] + A32 * k2[e])
    elif i == 3:
        for e in range(size):
            out[e] = y[e] + h * (A41 * k1[e] + A42 * k2[e] + A43 * k3[e])
    elif i == 4:
        for e in range(size):
            out[e] = y[e] + h * (A51 * k1[e] + A52 * k2[e] + A53 * k3[e] + A54 * k4[e])
    elif i == 5:
        for e in range(size):
            out[e] = y[e] + h * (A61 * k1[e] + A62 * k2[e] + A63 * k3[e] + A64 * k4[e] + A65 * k5[e])
    else:
        for e in range(size):
            out[e] = y[e] + h * (B1 * k1[e] + B3 * k3[e] + B4 * k4[e] + B5 * k5[e] + B6 * k6[e])


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def dopri_error_norm(h, y, y_new, k, rtol, atol, sum_sq):
    """error_norm of the Dormand–Prince error estimate h sum_j e_j k[j], without storing it."""
    n, m = y.shape
    sum_sq[:] = 0.0
    for s in range(n):
        y_s, y_new_s = y[s], y_new[s]
        k1, k3, k4, k5, k6, k7 = k[0, s], k[2, s], k[3, s], k[4, s], k[5, s], k[6, s]
        for c in range(m):
            err = h * (E1 * k1[c] + E3 * k3[c] + E4 * k4[c] + E5 * k5[c] + E6 * k6[c] + E7 * k7[c])
            ratio = err / (atol + rtol * max(abs(y_s[c]), abs(y_new_s[c])))
            sum_sq[c] += ratio * ratio
    worst = 0.0
    for c in range(m):
        worst = max(worst, sum_sq[c])
    return math.sqrt(worst / n)
