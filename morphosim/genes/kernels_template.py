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
    dopri_step_dense(...)                                 the same, writing the DENSE rows too
    MOVING, DENSE                                         integrated rows; continuous-extension rows
    N_EVENTS, ASSIGNED_ROWS, PERSISTENT, INITIAL_VALUE, USE_TRIGGER_VALUES, MAX_PENDING   the events
    HAS_ASSIGNMENT_FACTORS
    event_conditions(t, y, p, c, out), event_values(t, y, p, c, out), event_factors(t, y, p, c, out)
                                 their math, one cell at a time
    block_triggers(t, y, p, out), chunk_triggers(work, n_chunks, t)     the triggers, across cells (TRIGGERS rows)

so numba compiles (and caches) one module per model and set of per-cell parameters, with the
right-hand side inlined into the integrator loops. State and parameters are laid out (variable, cell).

Cells are integrated in blocks of `block_size`: each block is copied into a small contiguous working
set, advanced through the whole interval with its own adaptive step (error control across the block:
the step is accepted when the worst cell of the block meets the tolerance), and copied back. Blocks
are independent: explicit_blocks/stiff_blocks claim them one at a time from a shared counter, and
advance_explicit/advance_stiff run those loops on several of numba's threads at once; each block is
integrated by exactly one thread, so the numbers are the same with any thread count.

Events (SBML's, per cell): every cell detects and executes its own, inside its block, without
changing the block's steps -- see dopri_block.
"""

import math

import numpy as np
from numba import njit, prange

from morphosim.genes.kernels_common import (
    FD_FLOOR, MAX_EVENT_ROUNDS, STATUS_EVENT_CASCADE, STATUS_OK, STATUS_PENDING_FULL, STATUS_STEP_TOO_SMALL,
    STATUS_TOO_MANY_STEPS, EventScratch, Step, combine, control_step, copy_block, copy_doubles, error_norm,
    initial_step, lu_factor, lu_solve_columns, step_too_small, tie_breaker,
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
def dopri_block(t0, interval, work, h, control, p, first, last, events):
    """Advance cells [first, last) of the population, packed into the chunked block `work`, from t0 by
    interval with Dormand–Prince 5(4); p the population's parameters (variable, cell), events its event
    state. Returns (status, next step size, accepted steps, steps cells took alone after events); the
    final state is in the Y_NEW rows (the last step's new state is not copied to Y).

    The block's step is shared; events are each cell's own: after every accepted step each cell looks
    for an event inside the step (a trigger that changed, a delayed event due), locates the first one on
    the step's continuous extension, executes the events of that instant, and catches up with the block
    on its own (dopri_cell) -- so a cell's events never shorten the steps of the others."""
    n_chunks = -(-(last - first) // LANES)
    t_end = t0 + interval
    t = t0
    chunk_derivatives(work, n_chunks, t)
    if h <= 0.0:
        rows = work[: n_chunks * CHUNK].reshape(n_chunks, CHUNK)
        h = initial_step(rows[:, Y: Y + N_STATE * LANES], rows[:, K_FIRST: K_FIRST + N_STATE * LANES],
                         control.rtol, control.atol, interval)
    scratch = event_scratch()
    steps, event_steps = 0, 0
    rejected = False
    while t < t_end:
        if steps >= control.max_steps:
            copy_rows(work, n_chunks, Y, Y_NEW)  # a failure ends at the last accepted state
            return STATUS_TOO_MANY_STEPS, h, steps, event_steps
        # land exactly on t_end, and never leave a sliver shorter than 1% of a step
        h_step = t_end - t if h >= 0.99 * (t_end - t) else h
        error = dopri_step(work, n_chunks, t, h_step, control.rtol, control.atol)
        accepted, h, rejected = control_step(error, h, h_step, 5.0, FACTOR_MAX_EXPLICIT, rejected)
        if accepted:
            t_new = t_end if h_step == t_end - t else t + h_step
            if HAS_EVENTS:
                status, n_steps = block_events(work, Step(t, h_step, t_new), control, p, first, last, events,
                                               scratch)
                event_steps += n_steps
                if status != STATUS_OK:
                    return status, h, steps, event_steps
            t = t_new
            if t < t_end:  # the new state and its derivative start the next step
                copy_rows(work, n_chunks, Y_NEW, Y)
                copy_rows(work, n_chunks, K_LAST, K_FIRST)
            steps += 1
        elif step_too_small(h, t):
            copy_rows(work, n_chunks, Y, Y_NEW)  # a failure ends at the last accepted state
            return STATUS_STEP_TOO_SMALL, h, steps, event_steps
    return STATUS_OK, h, steps, event_steps


@njit(cache=True, nogil=True)
def event_scratch():
    """One thread's working arrays for event handling (EventScratch)."""
    return EventScratch(np.empty(N_STATE), np.empty((3, N_EVENTS)),
                        np.empty((N_EVENTS, ASSIGNED_ROWS.shape[1])), np.empty(CHUNK))


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def interpolate(work, base, step, time, out):
    """out = the state at `time` inside the accepted step `step` of the cell whose first element in the
    chunked block `work` is at offset base: Dormand–Prince's continuous extension of order 4 (see
    DOPRI_D in kernels_common.py); the step's end state exactly at its end."""
    theta = (time - step.start) / step.size
    for s in range(N_STATE):
        row = base + s * LANES
        y_end = work[row + Y_NEW]
        if time == step.end or not MOVING[s]:
            out[s] = y_end
            continue
        y_start = work[row + Y]
        change = y_end - y_start
        b = step.size * work[row + K_FIRST] - change
        out[s] = y_start + theta * (change + (1.0 - theta) * (
            b + theta * (change - step.size * work[row + K_LAST] - b + (1.0 - theta) * work[row + DENSE])))


@njit(cache=True, nogil=True, error_model="numpy")
def event_due(t, p, cell, events, scratch):
    """Whether the cell, in state scratch.y at time t, reaches an event instant: a trigger turned true
    since the cell's last instant, the trigger of a waiting non-persistent event turned false (which
    cancels it), or a delayed event is due. Leaves the event math at (t, scratch.y) in scratch.conditions."""
    event_conditions(t, scratch.y, p, cell, scratch.conditions)
    if events.next_due[cell] <= t:
        return True
    for e in range(N_EVENTS):
        now, before = scratch.conditions[TRIGGER, e] != 0.0, events.triggered[e, cell] != 0.0
        if now and not before:
            return True
        if before and not now and not PERSISTENT[e]:
            for slot in range(MAX_PENDING):
                if events.pending_event[slot, cell] == e and events.pending_time[slot, cell] < math.inf:
                    return True
    return False


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def next_instant(work, base, step, p, cell, events, scratch):
    """The first event instant of the cell (element offset base in work) inside the accepted step, with
    its state then in scratch.y; inf if there is none (the cell's trigger values then move on to the
    step's end). The instant is bracketed by bisection on the continuous extension down to adjacent
    doubles: the first double at which event_due holds."""
    interpolate(work, base, step, step.end, scratch.y)
    if not event_due(step.end, p, cell, events, scratch):
        for e in range(N_EVENTS):
            events.triggered[e, cell] = scratch.conditions[TRIGGER, e]
        return math.inf
    before, after = step.start, step.end
    while True:
        middle = before + 0.5 * (after - before)
        if middle <= before or middle >= after:
            break
        interpolate(work, base, step, middle, scratch.y)
        if event_due(middle, p, cell, events, scratch):
            after = middle
        else:
            before = middle
    interpolate(work, base, step, after, scratch.y)
    return after


@njit(cache=True, nogil=True, error_model="numpy")
def fire_instant(t, p, cell, events, scratch):
    """Execute the cell's events at time t, its state in scratch.y (changed in place), as SBML Level 3
    says: a trigger that turned true queues its event (at t + delay, its values computed now if it uses
    values from the trigger time); a trigger of a non-persistent event that turned false cancels its
    waiting executions; then the due event of highest priority (ties between events: a reproducible
    pseudo-random order, see tie_breaker; between executions of one event: the earliest queued) executes
    all its assignments at once, and triggers are looked at again -- until no event is due. Returns a status."""
    y, conditions, values = scratch.y, scratch.conditions, scratch.values
    for round_index in range(MAX_EVENT_ROUNDS):
        event_conditions(t, y, p, cell, conditions)
        values_now = False
        for e in range(N_EVENTS):
            now, before = conditions[TRIGGER, e] != 0.0, events.triggered[e, cell] != 0.0
            events.triggered[e, cell] = conditions[TRIGGER, e]
            if now and not before:
                slot = 0
                while slot < MAX_PENDING and events.pending_time[slot, cell] < math.inf:
                    slot += 1
                if slot == MAX_PENDING:
                    return STATUS_PENDING_FULL
                events.pending_time[slot, cell] = t + max(conditions[DELAY, e], 0.0)
                events.pending_event[slot, cell] = e
                if USE_TRIGGER_VALUES[e]:
                    if not values_now:
                        event_values(t, y, p, cell, values)
                        values_now = True
                    for k in range(ASSIGNED_ROWS.shape[1]):
                        events.pending_values[slot, k, cell] = values[e, k]
            elif before and not now and not PERSISTENT[e]:
                for slot in range(MAX_PENDING):
                    if events.pending_event[slot, cell] == e:
                        events.pending_time[slot, cell] = math.inf
        chosen = -1
        for slot in range(MAX_PENDING):
            if events.pending_time[slot, cell] > t:
                continue
            if chosen < 0:
                chosen = slot
                continue
            e, best = events.pending_event[slot, cell], events.pending_event[chosen, cell]
            priority, best_priority = conditions[PRIORITY, e], conditions[PRIORITY, best]
            if priority != best_priority:
                first_of_two = priority > best_priority
            elif e != best:
                first_of_two = tie_breaker(cell, e, t, round_index) > tie_breaker(cell, best, t, round_index)
            else:
                first_of_two = events.pending_time[slot, cell] < events.pending_time[chosen, cell]
            if first_of_two:
                chosen = slot
        if chosen < 0:
            events.next_due[cell] = events.pending_time[:, cell].min()
            return STATUS_OK
        e = events.pending_event[chosen, cell]
        events.pending_time[chosen, cell] = math.inf
        if not USE_TRIGGER_VALUES[e]:
            event_values(t, y, p, cell, values)
            for k in range(ASSIGNED_ROWS.shape[1]):
                events.pending_values[chosen, k, cell] = values[e, k]
        if HAS_ASSIGNMENT_FACTORS:
            # the sizes an amount row's concentration is scaled by are those at execution, before any
            # assignment; the values scratch is free again (this round's trigger-time values are stored)
            event_factors(t, y, p, cell, values)
        for k in range(ASSIGNED_ROWS.shape[1]):
            if ASSIGNED_ROWS[e, k] >= 0:
                value = events.pending_values[chosen, k, cell]
                y[ASSIGNED_ROWS[e, k]] = value * values[e, k] if HAS_ASSIGNMENT_FACTORS else value
    return STATUS_EVENT_CASCADE


@njit(cache=True, nogil=True)
def fire_cells(t, y, p, events):
    """fire_instant at time t for every cell of the population (y, p (variable, cell)) whose triggers
    changed or which has an event due: at the start, and when the state or parameters are set from
    outside. Returns the first failing status, or STATUS_OK."""
    scratch = event_scratch()
    triggers = np.empty((N_EVENTS, y.shape[1]))
    block_triggers(t, y, p, triggers)
    for cell in range(y.shape[1]):
        changed = events.next_due[cell] <= t
        for e in range(N_EVENTS):
            changed |= triggers[e, cell] != events.triggered[e, cell]
        if not changed:
            continue
        scratch.y[:] = y[:, cell]
        status = fire_instant(t, p, cell, events, scratch)
        if status != STATUS_OK:
            return status
        y[:, cell] = scratch.y
    return STATUS_OK


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def block_events(work, step, control, p, first, last, events, scratch):
    """After an accepted block step: every cell of the block with an event instant inside the step
    executes it and integrates alone to the step's end (dopri_cell), which it then rejoins (its Y_NEW
    and K_LAST rows; the padding lanes copying the last cell too). Returns (status, steps taken alone)."""
    steps = 0
    n_cells = last - first
    chunk_triggers(work, -(-n_cells // LANES), step.end)
    for i in range(n_cells):
        base = (i // LANES) * CHUNK + i % LANES
        # cheap test first: a cell whose triggers kept their values and has nothing due has no instant
        changed = events.next_due[first + i] <= step.end
        for e in range(N_EVENTS):
            changed |= work[base + TRIGGERS + e * LANES] != events.triggered[e, first + i]
        if not changed:
            continue
        # the cell repeats its step alone, with the continuous extension, to look for its instant
        cell_work = scratch.work
        for lane in range(LANES):
            for s in range(N_STATE):
                cell_work[Y + s * LANES + lane] = work[base + Y + s * LANES]
                cell_work[K_FIRST + s * LANES + lane] = work[base + K_FIRST + s * LANES]
            for r in range(INPUT_ROWS.size):
                cell_work[P + r * LANES + lane] = work[base + P + r * LANES]
        dopri_step_dense(cell_work, 1, step.start, step.size, control.rtol, control.atol)
        t = next_instant(cell_work, 0, step, p, first + i, events, scratch)
        if t == math.inf:
            continue
        status = fire_instant(t, p, first + i, events, scratch)
        if status != STATUS_OK:
            return status, steps
        for lane in range(LANES):
            for s in range(N_STATE):
                cell_work[Y + s * LANES + lane] = scratch.y[s]
        status, n = dopri_cell(t, step.end, step.size, control, p, first + i, events, scratch)
        steps += n
        if status != STATUS_OK:
            return status, steps
        lanes_after = LANES - 1 - i % LANES if i == n_cells - 1 else 0
        for lane in range(base, base + 1 + lanes_after):
            for s in range(N_STATE):
                work[lane + Y_NEW + s * LANES] = cell_work[Y + s * LANES]
                work[lane + K_LAST + s * LANES] = cell_work[K_FIRST + s * LANES]
    return STATUS_OK, steps


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def dopri_cell(t0, t_end, h, control, p, cell, events, scratch):
    """Integrate one cell, packed into every lane of the one-chunk block scratch.work, from t0 to t_end
    with Dormand–Prince, stopping at each of its event instants to execute them. Returns (status,
    accepted steps); the final state is in the Y rows, its derivative in K_FIRST."""
    work = scratch.work
    t = t0
    chunk_derivatives(work, 1, t)
    steps = 0
    rejected = False
    while t < t_end:
        if steps >= control.max_steps:
            return STATUS_TOO_MANY_STEPS, steps
        h_step = t_end - t if h >= 0.99 * (t_end - t) else h
        error = dopri_step_dense(work, 1, t, h_step, control.rtol, control.atol)
        accepted, h, rejected = control_step(error, h, h_step, 5.0, FACTOR_MAX_EXPLICIT, rejected)
        if accepted:
            steps += 1
            step = Step(t, h_step, t_end if h_step == t_end - t else t + h_step)
            t = next_instant(work, 0, step, p, cell, events, scratch)
            if t == math.inf:
                t = step.end
                copy_rows(work, 1, Y_NEW, Y)
                copy_rows(work, 1, K_LAST, K_FIRST)
                continue
            status = fire_instant(t, p, cell, events, scratch)
            if status != STATUS_OK:
                return status, steps
            for lane in range(LANES):
                for s in range(N_STATE):
                    work[Y + s * LANES + lane] = scratch.y[s]
            chunk_derivatives(work, 1, t)
        elif step_too_small(h, t):
            return STATUS_STEP_TOO_SMALL, steps
    return STATUS_OK, steps


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
def rodas_block(t0, interval, y, p, h, control):
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
        if steps >= control.max_steps:
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
                h = initial_step(y, f0, control.rtol, control.atol, interval)
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
        error = error_norm(y, y_new, err, control.rtol, control.atol, sum_sq)
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
def explicit_blocks(next_block, t0, interval, y, p, blocks, control, events):
    """Advance blocks of y (N_STATE, n_cells) in place with Dormand–Prince, claiming them one at a time
    from the shared counter next_block until none is left. p (n_param, n_cells) per-cell parameters,
    blocks the per-block records (Blocks), events the cells' event state (EventState)."""
    work = np.empty(-(-control.block_size // LANES) * CHUNK)
    b = atomic_add(next_block, 0, 1)
    while b < blocks.status.size:
        first, last = b * control.block_size, min((b + 1) * control.block_size, y.shape[1])
        pack_block(y, p, first, last, work)
        blocks.status[b], blocks.step_size[b], blocks.steps[b], blocks.event_steps[b] = dopri_block(
            t0, interval, work, blocks.step_size[b], control, p, first, last, events)
        unpack_block(work, y, first, last)
        b = atomic_add(next_block, 0, 1)


@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def stiff_blocks(next_block, t0, interval, y, p, blocks, control, events):
    """As explicit_blocks, with the stiff RODAS3 method (models without events)."""
    b = atomic_add(next_block, 0, 1)
    while b < blocks.status.size:
        y_block, p_block = copy_block(y, p, b, control.block_size)
        blocks.status[b], y_end, blocks.step_size[b], blocks.steps[b] = rodas_block(
            t0, interval, y_block, p_block, blocks.step_size[b], control)
        y[:, b * control.block_size: b * control.block_size + y_end.shape[1]] = y_end
        b = atomic_add(next_block, 0, 1)


# advance_explicit and advance_stiff are kept as two thin loops rather than one with a flag, so a
# model compiles only the integrator it uses (numba compiles every branch).
@njit(cache=True, nogil=True, parallel=True)
def advance_explicit(n_threads, t0, interval, y, p, blocks, control, events):
    """explicit_blocks on n_threads threads at once, sharing one block counter (arguments as there)."""
    next_block = np.zeros(1, dtype=np.int64)
    for _ in prange(n_threads):
        explicit_blocks(next_block, t0, interval, y, p, blocks, control, events)


@njit(cache=True, nogil=True, parallel=True)
def advance_stiff(n_threads, t0, interval, y, p, blocks, control, events):
    """stiff_blocks on n_threads threads at once, sharing one block counter (arguments as there)."""
    next_block = np.zeros(1, dtype=np.int64)
    for _ in prange(n_threads):
        stiff_blocks(next_block, t0, interval, y, p, blocks, control, events)
