"""Batched integrators over all cells, compiled together with each model's generated kernels.

This file is not imported on its own: `codegen.py` appends its text to the source it generates for a
model (see kernel_source.py), which defines

    N_STATE                      state variables per cell
    INPUT_ROWS                   the parameter rows read per cell (the others are literals)
    USES_TIME                    whether the model's math reads the time symbol
    block_rhs(t, y, p, dydt)     dydt[:, c] = f(t, y[:, c], p[:, c]) for every column c
    LANES, CHUNK, Y, Y_NEW, K_FIRST, K_LAST, P, ERROR    the chunked layout of a block
    chunk_derivatives(work, n_chunks, t)                  K_FIRST = f(t, Y, P) in that layout
    dopri_step(work, n_chunks, t, h, rtol, atol)          one fused Dormand–Prince step -> error norm

so numba compiles (and caches) one module per model and set of per-cell parameters, with the
right-hand side inlined into the integrator loops. State and parameters are laid out (variable, cell).

Cells are integrated in blocks of `block_size`: each block is copied into a small contiguous working
set, advanced through the whole interval with its own adaptive step (error control across the block:
the step is accepted when the worst cell of the block meets the tolerance), and copied back. Blocks
are independent: explicit_blocks/stiff_blocks claim them one at a time from a shared counter, and
advance_explicit/advance_stiff run those loops on several of numba's threads at once; each block is
integrated by exactly one thread, so the numbers are the same with any thread count.
"""

import math

import numpy as np
from numba import njit, prange

from morphosim.genes.kernels_common import (
    FD_FLOOR, STATUS_OK, STATUS_STEP_TOO_SMALL, STATUS_TOO_MANY_STEPS, combine, control_step, copy_block,
    copy_doubles, error_norm, initial_step, lu_factor, lu_solve_columns, step_too_small,
)
from morphosim.threads import atomic_add

# RODAS3 (Sandu et al. 1997, Atmos. Env. 31:3459; stiffly accurate, L-stable, order 3(2)), in the form
#   G = I/(h gamma_1) - J,   G K_i = f(t + alpha_i h, y + sum_j A_ij K_j) + sum_j C_ij/h K_j + gamma_i h df/dt
#   y_new = y + sum_j M_j K_j,   error = sum_j E_j K_j = K_4
# Stage 2 reuses f of stage 1 (alpha_2 = 0, A_21 = 0): RO_NEW_F says which stages evaluate f.
RO_GAMMA = np.array([0.5, 1.5, 0.0, 0.0])
RO_ALPHA = np.array([0.0, 0.0, 1.0, 1.0])
RO_NEW_F = np.array([True, False, True, True])
RO_A = np.array([[0, 0, 0], [0, 0, 0], [2, 0, 0], [2, 0, 1]], dtype=np.float64)
RO_C = np.array([[0, 0, 0], [4, 0, 0], [1, -1, 0], [1, -1, -8 / 3]], dtype=np.float64)
RO_M = np.array([2.0, 0.0, 1.0, 1.0])
RO_E = np.array([0.0, 0.0, 0.0, 1.0])

FACTOR_MAX_EXPLICIT, FACTOR_MAX_STIFF = 10.0, 6.0


@njit(cache=True, nogil=True)
def pack_block(y, p, first, last, work):
    """Copy cells [first, last) of y and of the input rows of p (variable, cell) into the chunked layout
    of `work`. Lanes past the last cell repeat it: copies of a real cell leave the block's error, hence
    its steps, unchanged. Returns the number of chunks."""
    n_cells = last - first
    n_chunks = -(-n_cells // LANES)
    for s in range(N_STATE + INPUT_ROWS.size):
        row = y[s] if s < N_STATE else p[INPUT_ROWS[s - N_STATE]]
        offset = Y + s * LANES if s < N_STATE else P + (s - N_STATE) * LANES
        for chunk in range(n_cells // LANES):
            copy_doubles(work, chunk * CHUNK + offset, row, first + chunk * LANES, LANES)
        for i in range(n_cells // LANES * LANES, n_chunks * LANES):  # the last chunk, if partly filled
            work[(i // LANES) * CHUNK + offset + i % LANES] = row[first + min(i, n_cells - 1)]
    return n_chunks


@njit(cache=True, nogil=True)
def unpack_block(work, y, first, last):
    """Copy the Y_NEW rows of a chunked block (its final state) back into cells [first, last) of y."""
    n_cells = last - first
    for s in range(N_STATE):
        row = y[s]
        for chunk in range(n_cells // LANES):
            copy_doubles(row, first + chunk * LANES, work, chunk * CHUNK + Y_NEW + s * LANES, LANES)
        for i in range(n_cells // LANES * LANES, n_cells):  # the last chunk, if partly filled
            row[first + i] = work[(i // LANES) * CHUNK + Y_NEW + s * LANES + i % LANES]


@njit(cache=True, nogil=True)
def copy_rows(work, n_chunks, source, target):
    """Copy N_STATE rows of a chunked block from element offset `source` to `target` (Y, Y_NEW, ...)."""
    for chunk in range(n_chunks):
        copy_doubles(work, chunk * CHUNK + target, work, chunk * CHUNK + source, N_STATE * LANES)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def dopri_block(t0, interval, work, n_chunks, h, rtol, atol, max_steps):
    """Advance one chunked block from t0 by interval with Dormand–Prince 5(4).
    Returns (status, next step size, accepted steps); the final state is in the Y_NEW rows (the last
    step's new state is not copied to Y)."""
    t_end = t0 + interval
    t = t0
    chunk_derivatives(work, n_chunks, t)
    if h <= 0.0:
        rows = work[: n_chunks * CHUNK].reshape(n_chunks, CHUNK)
        h = initial_step(rows[:, Y: Y + N_STATE * LANES], rows[:, K_FIRST: K_FIRST + N_STATE * LANES],
                         rtol, atol, interval)
    steps = 0
    rejected = False
    while t < t_end:
        if steps >= max_steps:
            copy_rows(work, n_chunks, Y, Y_NEW)  # a failure ends at the last accepted state
            return STATUS_TOO_MANY_STEPS, h, steps
        # land exactly on t_end, and never leave a sliver shorter than 1% of a step
        h_step = t_end - t if h >= 0.99 * (t_end - t) else h
        error = dopri_step(work, n_chunks, t, h_step, rtol, atol)
        accepted, h, rejected = control_step(error, h, h_step, 5.0, FACTOR_MAX_EXPLICIT, rejected)
        if accepted:
            t = t_end if h_step == t_end - t else t + h_step
            if t < t_end:  # the new state and its derivative start the next step
                copy_rows(work, n_chunks, Y_NEW, Y)
                copy_rows(work, n_chunks, K_LAST, K_FIRST)
            steps += 1
        elif step_too_small(h, t):
            copy_rows(work, n_chunks, Y, Y_NEW)  # a failure ends at the last accepted state
            return STATUS_STEP_TOO_SMALL, h, steps
    return STATUS_OK, h, steps


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def jacobian_fd(t, y, p, f0, jac, shifted, f_shifted):
    """jac[c, i, j] = d f_i / d y_j at cell c, by forward differences (one extra RHS per variable)."""
    n, m = y.shape
    shifted[:, :] = y
    for j in range(n):
        for c in range(m):
            shifted[j, c] = y[j, c] + math.sqrt(2.2e-16) * max(abs(y[j, c]), FD_FLOOR)
        block_rhs(t, shifted, p, f_shifted)
        for c in range(m):
            delta = shifted[j, c] - y[j, c]
            for i in range(n):
                jac[c, i, j] = (f_shifted[i, c] - f0[i, c]) / delta
            shifted[j, c] = y[j, c]


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def rodas_block(t0, interval, y, p, h, rtol, atol, max_steps):
    """Advance one block y (N_STATE, B) from t0 by interval with the stiff RODAS3 method.
    Returns (status, final state array, next step size, accepted steps)."""
    n, m = y.shape
    f0, dfdt, stage, f_stage = np.empty((n, m)), np.zeros((n, m)), np.empty((n, m)), np.empty((n, m))
    k = np.empty((4, n, m))
    y_new, sum_sq, zero = np.empty((n, m)), np.empty(m), np.zeros((n, m))
    err = np.empty((n, m))
    jac, lu = np.empty((m, n, n)), np.empty((m, n, n))
    pivots = np.empty((m, n), dtype=np.int64)
    t_end = t0 + interval
    t = t0
    steps = 0
    rejected = False
    new_point = True
    while t < t_end:
        if steps >= max_steps:
            return STATUS_TOO_MANY_STEPS, y, h, steps
        if new_point:
            block_rhs(t, y, p, f0)
            jacobian_fd(t, y, p, f0, jac, stage, f_stage)
            if USES_TIME:
                dt_fd = math.sqrt(2.2e-16) * max(abs(t), 1.0)
                block_rhs(t + dt_fd, y, p, dfdt)
                for s in range(n):
                    for c in range(m):
                        dfdt[s, c] = (dfdt[s, c] - f0[s, c]) / dt_fd
            if h <= 0.0:
                h = initial_step(y, f0, rtol, atol, interval)
            new_point = False
        h_step = t_end - t if h >= 0.99 * (t_end - t) else h
        # G = I/(h gamma_1) - J, factorized per cell
        singular = False
        for c in range(m):
            for i in range(n):
                for j in range(n):
                    lu[c, i, j] = -jac[c, i, j]
                lu[c, i, i] += 1.0 / (h_step * RO_GAMMA[0])
            singular |= not lu_factor(lu[c], pivots[c])
        if singular:
            h = 0.5 * h_step
            rejected = True
            continue
        for i in range(4):
            if RO_NEW_F[i] and i > 0:
                combine(y, 1.0, RO_A[i, :i], k, stage)
                block_rhs(t + RO_ALPHA[i] * h_step, stage, p, f_stage)
            elif i == 0:
                f_stage[:, :] = f0
            combine(f_stage, 1.0 / h_step, RO_C[i, :i], k, k[i])
            for s in range(n):
                for c in range(m):
                    k[i, s, c] += RO_GAMMA[i] * h_step * dfdt[s, c]
            lu_solve_columns(lu, pivots, k[i])
        combine(y, 1.0, RO_M, k, y_new)
        combine(zero, 1.0, RO_E, k, err)
        error = error_norm(y, y_new, err, rtol, atol, sum_sq)
        accepted, h, rejected = control_step(error, h, h_step, 3.0, FACTOR_MAX_STIFF, rejected)
        if accepted:
            t = t_end if h_step == t_end - t else t + h_step
            y, y_new = y_new, y
            steps += 1
            new_point = True
        elif step_too_small(h, t):
            return STATUS_STEP_TOO_SMALL, y, h, steps
    return STATUS_OK, y, h, steps


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def explicit_blocks(next_block, t0, interval, y, p, h_blocks, status, steps, rtol, atol, block_size, max_steps):
    """Advance blocks of y (N_STATE, n_cells) in place with Dormand–Prince, claiming them one at a time
    from the shared counter next_block until none is left. p (n_param, n_cells) per-cell parameters;
    per block: h_blocks step size memory (<= 0: unknown), status and accepted steps (out)."""
    work = np.empty(-(-block_size // LANES) * CHUNK)
    b = atomic_add(next_block, 0, 1)
    while b < h_blocks.size:
        first, last = b * block_size, min((b + 1) * block_size, y.shape[1])
        n_chunks = pack_block(y, p, first, last, work)
        status[b], h_blocks[b], steps[b] = dopri_block(t0, interval, work, n_chunks, h_blocks[b], rtol, atol,
                                                       max_steps)
        unpack_block(work, y, first, last)
        b = atomic_add(next_block, 0, 1)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def stiff_blocks(next_block, t0, interval, y, p, h_blocks, status, steps, rtol, atol, block_size, max_steps):
    """As explicit_blocks, with the stiff RODAS3 method."""
    b = atomic_add(next_block, 0, 1)
    while b < h_blocks.size:
        y_block, p_block = copy_block(y, p, b, block_size)
        status[b], y_end, h_blocks[b], steps[b] = rodas_block(t0, interval, y_block, p_block, h_blocks[b], rtol,
                                                              atol, max_steps)
        y[:, b * block_size: b * block_size + y_end.shape[1]] = y_end
        b = atomic_add(next_block, 0, 1)


# advance_explicit and advance_stiff are kept as two thin loops rather than one with a flag, so a
# model compiles only the integrator it uses (numba compiles every branch).
@njit(cache=True, nogil=True, parallel=True)
def advance_explicit(n_threads, t0, interval, y, p, h_blocks, status, steps, rtol, atol, block_size, max_steps):
    """explicit_blocks on n_threads threads at once, sharing one block counter (arguments as there)."""
    next_block = np.zeros(1, dtype=np.int64)
    for _ in prange(n_threads):
        explicit_blocks(next_block, t0, interval, y, p, h_blocks, status, steps, rtol, atol, block_size, max_steps)


@njit(cache=True, nogil=True, parallel=True)
def advance_stiff(n_threads, t0, interval, y, p, h_blocks, status, steps, rtol, atol, block_size, max_steps):
    """stiff_blocks on n_threads threads at once, sharing one block counter (arguments as there)."""
    next_block = np.zeros(1, dtype=np.int64)
    for _ in prange(n_threads):
        stiff_blocks(next_block, t0, interval, y, p, h_blocks, status, steps, rtol, atol, block_size, max_steps)
