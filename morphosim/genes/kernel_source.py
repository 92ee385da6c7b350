"""The numba source of a model's kernels, written from its math for one cell (CellMath).

Every kernel is a loop over cells whose body is straight-line scalar code: the SBML math of one cell
as local variables (v_<id> for species, parameters and assignment-rule targets, r_<id> for reaction
rates). LLVM vectorizes such a loop across cells when it can prove the stores do not overlap the
loads; the explicit integrator therefore works on a "chunked" copy of a block of cells:

    work[chunk * CHUNK + row * LANES + lane]       one flat array per block, LANES cells per chunk

where every row (state, new state, first and last stage derivatives, per-cell inputs, error) sits at
a constant offset from the chunk's start. The whole Dormand–Prince step of a cell -- six right-hand
sides, the stage combinations, the fifth-order solution and the error estimate -- is one loop body
(`dopri_step`): the stages stay in registers (or spill to the stack, in L1), and a step reads and
writes each row once.

A model with events also has, per state, a DENSE row: h times the weights of Dormand–Prince's
continuous extension applied to the stages, so that a cell's state anywhere inside the last step is a
cheap polynomial of its rows (the event root finding in kernels_template.py; dopri_step_dense writes
it), and per event a TRIGGERS row (chunk_triggers: which cells need the event code at all).

Parameters nobody sets per cell are literals in the generated code, which LLVM folds (a degradation
rate of 1 or a compartment of size 1 costs nothing); the ones set per cell (`per_cell`) are read from
the parameter rows. The population asks for another module when a parameter becomes per-cell.
"""

from dataclasses import dataclass

from morphosim.genes.kernels_common import DOPRI_A, DOPRI_C, DOPRI_D, DOPRI_E
from morphosim.genes.mathml import as_float, literal

LANES = 8  # cells per chunk: a multiple of the SIMD width (4 doubles with AVX2, 8 with AVX-512)
# contract: fused multiply-add; arcp: x / v becomes x * (1 / v) with 1 / v computed once per cell when
# v divides several terms (a compartment size). Neither assumes values are finite: NaN still rejects steps.
FASTMATH = '{"contract", "arcp"}'
DECORATOR = f'@njit(cache=True, nogil=True, error_model="numpy", fastmath={FASTMATH})'


@dataclass
class EventMath:
    """One SBML event of a cell, its math as Python expressions over the cell's locals."""
    trigger: str               # a boolean expression
    initial_value: bool        # the trigger's value just before the start (SBML initialValue)
    persistent: bool           # False: a delayed execution is cancelled if the trigger turns false first
    delay: str                 # "0.0" when the event has no delay
    priority: str              # "0.0" when the event has no priority
    use_trigger_values: bool   # assignment values computed when the trigger fires (else when it executes)
    assignments: tuple         # (state row, expression, factor): the row gets the expression's value times
                               # the factor, which is evaluated when the event executes ("1.0": none)


@dataclass
class CellMath:
    """A model's right-hand side for one cell, as Python expressions over scalar locals."""
    state_ids: tuple      # state rows: species, then parameters with rate rules
    parameter_ids: tuple  # parameter rows of the population: global parameters without rules, compartments
    assigned: frozenset   # state ids set by assignment rules (not integrated; derivative 0)
    statements: tuple     # (local, expression): assignment rules and reaction rates, in dependency order
    n_rules: int          # the first n_rules statements give every assignment rule and what events read
    derivatives: tuple    # d/dt expression of each state row ("0.0" when constant)
    uses_time: bool       # the math reads `t`
    events: tuple = ()    # EventMath of each event, in document order
    held: frozenset = frozenset()  # species whose row holds not their concentration but a_<id> (an amount,
                                   # a pool of a fast reaction); their v_<id> is one of the statements

    def local(self, sid):
        """The local holding state row `sid` in the kernels."""
        return f"a_{sid}" if sid in self.held else f"v_{sid}"


def module_source(math, per_cell, parameter_values, template):
    """The generated module: constants, the model's kernels, then the integrators (template text).
    per_cell: ids of the parameters read per cell; every other parameter is the literal
    parameter_values[row]."""
    inputs = [j for j, pid in enumerate(math.parameter_ids) if pid in per_cell]
    parameter = {j: f"p[{j}, c]" if j in inputs else literal(value)
                 for j, value in enumerate(parameter_values)}
    chunk_parameter = {j: _row("P", inputs.index(j)) if j in inputs else literal(value)
                       for j, value in enumerate(parameter_values)}
    n_state, n_inputs = len(math.state_ids), len(inputs)
    state_rows = 5 if math.events else 4  # Y, Y_NEW, K_FIRST, K_LAST (, DENSE)
    n_events = len(math.events)
    rows = state_rows * n_state + n_events + n_inputs + 1
    # an even number of rows: with an odd one LLVM leaves dopri_step scalar (numba 0.68, llvmlite 0.50)
    rows += rows % 2
    events = math.events
    n_assignments = max([len(event.assignments) for event in events] + [1])
    assigned_rows = [[row for row, _, _ in event.assignments] + [-1] * (n_assignments - len(event.assignments))
                     for event in events]
    has_factors = any(factor != "1.0" for event in events for _, _, factor in event.assignments)
    moving = [i for i, _ in _integrated(math)]
    header = [
        '"""Generated by morphosim.genes.codegen from an SBML model: do not edit."""',
        "", "import math", "", "import numpy as np", "from numba import njit", "",
        f"N_STATE = {n_state}",
        f"INPUT_ROWS = np.array({inputs!r}, dtype=np.int64)  # rows of p read per cell",
        f"USES_TIME = {math.uses_time}",
        f"HAS_ASSIGNED_SPECIES = {bool(math.assigned)}",
        f"STATE_IDS = {tuple(math.state_ids)!r}",
        "# chunked layout of a block (see morphosim/genes/kernel_source.py): element offsets of the rows",
        f"LANES = {LANES}",
        f"Y, Y_NEW, K_FIRST, K_LAST = 0, {n_state} * LANES, {2 * n_state} * LANES, {3 * n_state} * LANES",
        f"DENSE = {4 * n_state} * LANES  # rows of models with events only: DENSE, then TRIGGERS (one per event)",
        f"TRIGGERS = {state_rows * n_state} * LANES",
        f"P, ERROR = {state_rows * n_state + n_events} * LANES, {state_rows * n_state + n_events + n_inputs} * LANES",
        f"CHUNK = {rows} * LANES",
        f"MOVING = np.array({[i in moving for i in range(n_state)]!r}, dtype=np.bool_)  # integrated rows",
        "# events (see kernels_template.py): per event, the state rows it assigns (-1: none) and its flags",
        f"HAS_EVENTS = {bool(events)}",
        f"N_EVENTS = {len(events)}",
        f"MAX_PENDING = {max(8, 2 * len(events))}  # delayed executions waiting per cell",
        f"ASSIGNED_ROWS = np.array({assigned_rows!r}, dtype=np.int64).reshape({len(events)}, {n_assignments})",
        f"PERSISTENT = np.array({[e.persistent for e in events]!r}, dtype=np.bool_)",
        f"INITIAL_VALUE = np.array({[float(e.initial_value) for e in events]!r}, dtype=np.float64)",
        f"USE_TRIGGER_VALUES = np.array({[e.use_trigger_values for e in events]!r}, dtype=np.bool_)",
        f"HAS_ASSIGNMENT_FACTORS = {has_factors}  # event_factors scales some assignment (an amount row)",
        "TRIGGER, DELAY, PRIORITY = 0, 1, 2  # rows of event_conditions' output",
    ]
    kernels = [_block_rhs(math, parameter.get), _update_assigned(math, parameter.get),
               _statement_values(math, parameter.get), *_event_kernels(math, parameter.get),
               _chunk_derivatives(math, chunk_parameter.get), _dopri_step(math, chunk_parameter.get),
               _dopri_step(math, chunk_parameter.get, dense=True) if math.events else "dopri_step_dense = dopri_step\n",
               *_trigger_kernels(math, parameter.get, chunk_parameter.get)]
    return "\n".join(header) + "\n\n\n" + "\n\n".join(kernels) + "\n\n# ---- kernels_template.py ----\n" + template


def _kernel(signature, docstring, body):
    lines = [DECORATOR, f"def {signature}:", f'    """{docstring}"""'] + ["    " + line for line in body]
    return "\n".join(lines) + "\n"


def _integrated(math):
    """(row, id) of the state rows that change: not assignment-rule targets, derivative not zero."""
    return [(i, sid) for i, sid in enumerate(math.state_ids)
            if sid not in math.assigned and math.derivatives[i] != "0.0"]


def _cell_math(math, state_value, parameter_value=None, n_statements=None):
    """Lines binding one cell's locals: state values, parameter values (unless bound already),
    then the rules and rates."""
    lines = [f"{math.local(sid)} = {state_value(i)}" for i, sid in enumerate(math.state_ids) if sid not in math.assigned]
    if parameter_value is not None:
        lines += [f"v_{pid} = {parameter_value(j)}" for j, pid in enumerate(math.parameter_ids)]
    statements = math.statements if n_statements is None else math.statements[:n_statements]
    return lines + [f"{name} = {expression}" for name, expression in statements]


def _block_rhs(math, parameter_value):
    body = ["for c in range(y.shape[1]):"]
    body += ["    " + line for line in _cell_math(math, lambda i: f"y[{i}, c]", parameter_value)]
    body += [f"    dydt[{i}, c] = {expression}" for i, expression in enumerate(math.derivatives)]
    return _kernel("block_rhs(t, y, p, dydt)",
                   "dydt[:, c] = f(t, y[:, c], p[:, c]) for every cell c; arrays laid out (variable, cell).", body)


def _update_assigned(math, parameter_value):
    if not math.assigned:
        return _kernel("update_assigned(t, y, p)", "No species has an assignment rule.", ["return None"])
    body = ["for c in range(y.shape[1]):"]
    body += ["    " + line for line in _cell_math(math, lambda i: f"y[{i}, c]", parameter_value, math.n_rules)]
    body += [f"    y[{i}, c] = v_{sid}" for i, sid in enumerate(math.state_ids) if sid in math.assigned]
    return _kernel("update_assigned(t, y, p)",
                   "Set the species that have assignment rules from the rest of the state; y, p (variable, cell).",
                   body)


def _statement_values(math, parameter_value):
    """Source of statement_values: every statement's value (assignment-rule targets, then reaction
    rates) of every cell, for Population.values."""
    body = ["for c in range(y.shape[1]):"]
    body += ["    " + line for line in _cell_math(math, lambda i: f"y[{i}, c]", parameter_value)]
    body += [f"    out[{k}, c] = {name}" for k, (name, _) in enumerate(math.statements)] or ["    pass"]
    return _kernel("statement_values(t, y, p, out)",
                   "out[k, c] = the value of the k-th statement (a rule or a rate) at cell c; y, p (variable, cell).",
                   body)


def _event_kernels(math, parameter_value):
    """Sources of event_conditions, event_values and event_factors, one cell at a time (y its state
    vector, p the population's parameters (variable, cell), c the cell): the triggers, delays and
    priorities, the values each event would assign, and the factors its assignments take when it executes."""
    bind = _cell_math(math, lambda i: f"y[{i}]", parameter_value, math.n_rules)
    conditions, values, factors = list(bind), list(bind), list(bind)
    for e, event in enumerate(math.events):
        conditions += [f"out[TRIGGER, {e}] = {as_float(event.trigger)}", f"out[DELAY, {e}] = {as_float(event.delay)}",
                       f"out[PRIORITY, {e}] = {as_float(event.priority)}"]
        values += [f"out[{e}, {k}] = {as_float(expression)}" for k, (_, expression, _) in enumerate(event.assignments)]
        factors += [f"out[{e}, {k}] = {as_float(factor)}" for k, (_, _, factor) in enumerate(event.assignments)]
    if not math.events:
        conditions = values = factors = ["return None"]
    return (_kernel("event_conditions(t, y, p, c, out)",
                    "out[TRIGGER/DELAY/PRIORITY, e]: event e's trigger (1.0 or 0.0), delay and priority for cell c "
                    "in state y (N_STATE,) at time t.", conditions),
            _kernel("event_values(t, y, p, c, out)",
                    "out[e, k]: the value event e's k-th assignment gives, for cell c in state y at time t.", values),
            _kernel("event_factors(t, y, p, c, out)",
                    "out[e, k]: the factor of event e's k-th assignment's value, for cell c in state y at time t.",
                    factors))


def _trigger_kernels(math, parameter_value, chunk_parameter_value):
    """Sources of block_triggers (every cell of a (variable, cell) population) and chunk_triggers (every
    cell of a chunked block, at its Y_NEW rows): each event's trigger, 1.0 or 0.0. Vectorized across
    cells, they tell cheaply which cells need the one-cell event code."""
    triggers = [as_float(event.trigger) for event in math.events]
    block = ["for c in range(y.shape[1]):"]
    block += ["    " + line for line in _cell_math(math, lambda i: f"y[{i}, c]", parameter_value, math.n_rules)]
    block += [f"    out[{e}, c] = {trigger}" for e, trigger in enumerate(triggers)]
    chunk = ["for chunk in range(n_chunks):", "    first = chunk * CHUNK", "    for c in range(first, first + LANES):"]
    chunk += ["        " + line
              for line in _cell_math(math, lambda i: _row("Y_NEW", i), chunk_parameter_value, math.n_rules)]
    chunk += [f"        {_row('TRIGGERS', e)} = {trigger}" for e, trigger in enumerate(triggers)]
    if not math.events:
        block = chunk = ["return None"]
    return (_kernel("block_triggers(t, y, p, out)",
                    "out[e, c] = event e's trigger (1.0 or 0.0) at cell c; y, p (variable, cell).", block),
            _kernel("chunk_triggers(work, n_chunks, t)",
                    "TRIGGERS rows = each event's trigger at the Y_NEW rows, for every cell of a chunked block.",
                    chunk))


def _row(name, index):
    return f"work[c + {name} + {index} * LANES]"


def _chunk_derivatives(math, parameter_value):
    body = ["for chunk in range(n_chunks):", "    first = chunk * CHUNK", "    for c in range(first, first + LANES):"]
    body += ["        " + line for line in _cell_math(math, lambda i: _row("Y", i), parameter_value)]
    body += [f"        {_row('K_FIRST', i)} = {expression}" for i, expression in enumerate(math.derivatives)]
    return _kernel("chunk_derivatives(work, n_chunks, t)",
                   "K_FIRST rows = f(t, Y rows, P rows) for every cell of a chunked block.", body)


def _dopri_step(math, parameter_value, dense=False):
    """Source of dopri_step (see its docstring): Dormand–Prince's stages written out for one cell; with
    dense, of dopri_step_dense, which also writes the DENSE rows. The two are apart because the DENSE
    stores keep LLVM from vectorizing the step across cells: the block steps without them, and a cell
    whose triggers changed repeats its step alone with them (kernels_template.py, block_events)."""
    integrated = _integrated(math)
    # h times each nonzero tableau coefficient, once per step: a stage is then y plus fused multiply-adds
    weights, head = {}, []
    tables = list(enumerate(DOPRI_A)) + [("error", DOPRI_E)] + ([("dense", DOPRI_D)] if dense else [])
    for stage, coefficients in tables:
        for j, coefficient in enumerate(coefficients):
            if coefficient:
                weights[stage, j] = f"h_{stage}_{j}"
                head.append(f"h_{stage}_{j} = h * {coefficient!r}")
    cell = [f"y_{i} = {_row('Y', i)}" for i in range(len(math.state_ids))]
    cell += [f"k0_{i} = {_row('K_FIRST', i)}" for i, _ in integrated]
    cell += [f"v_{pid} = {parameter_value(j)}" for j, pid in enumerate(math.parameter_ids)]
    moving = dict(integrated)
    for stage in range(1, len(DOPRI_C)):
        cell.append(f"# stage {stage}")
        if math.uses_time:
            cell.append(f"t = t_step + {DOPRI_C[stage]!r} * h")

        def state_value(i, stage=stage):
            if i not in moving:
                return f"y_{i}"
            return " + ".join([f"y_{i}"] + [f"{weights[stage, j]} * k{j}_{i}" for j in range(stage)
                                            if (stage, j) in weights])

        cell += _cell_math(math, state_value)
        cell += [f"k{stage}_{i} = {math.derivatives[i]}" for i, _ in integrated]
    last = len(DOPRI_C) - 1
    cell += [f"{_row('Y_NEW', i)} = {math.local(sid) if i in moving else f'y_{i}'}"
             for i, sid in enumerate(math.state_ids)]
    cell += [f"{_row('K_LAST', i)} = k{last}_{i}" for i in moving]
    if dense:
        cell += [f"{_row('DENSE', i)} = " + " + ".join(f"{name} * k{j}_{i}" for (kind, j), name in weights.items()
                                                        if kind == "dense") for i in moving]
    cell.append("squares = 0.0")
    for i, sid in integrated:
        error = " + ".join(f"{name} * k{j}_{i}" for (kind, j), name in weights.items() if kind == "error")
        cell.append(f"ratio = ({error}) / (atol + rtol * max(abs(y_{i}), abs({math.local(sid)})))")
        cell.append("squares += ratio * ratio")
    cell.append(f"{_row('ERROR', 0)} = squares")
    body = head + ["worst = 0.0", "for chunk in range(n_chunks):", "    first = chunk * CHUNK",
                   "    for c in range(first, first + LANES):"]
    body += ["        " + line for line in cell]
    body += ["    for c in range(first, first + LANES):",
             "        # NaN is sticky: a cell that blew up rejects the step",
             "        if work[c + ERROR] > worst or work[c + ERROR] != work[c + ERROR]:",
             "            worst = work[c + ERROR]",
             "return math.sqrt(worst / N_STATE) if worst == worst else math.inf"]
    return _kernel(f"dopri_step{'_dense' if dense else ''}(work, n_chunks, t_step, h, rtol, atol)",
                   "One Dormand–Prince step of size h from t_step for every cell of a chunked block: the new "
                   "state into Y_NEW, its derivative into K_LAST (the next step's first stage), each cell's sum "
                   "of squared scaled errors into ERROR (and h times the continuous extension's weighted stages "
                   "into DENSE, with events). Returns the block's error norm (the worst cell's RMS).",
                   body)
