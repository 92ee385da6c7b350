"""Populations of cells, each running its own copy of a gene network.

Both solvers share one interface, so the coupling layer and the tests treat them alike:

    pop.species_names                 species ids, the columns of pop.state
    pop.state                         (n_cells, n_species): concentrations, or amounts for species with
                                      hasOnlySubstanceUnits (values as SBML defines them)
    pop.set_state(values)             (n_cells, n_species) array, or {species_id: scalar or (n_cells,)}
    pop.parameter_names               inputs settable per cell: global parameters without rules, compartments
    pop.set_parameter(name, values)   scalar or (n_cells,)
    pop.get_parameter(name)           (n_cells,)
    pop.values(sbml_id)               (n_cells,): any species, parameter or compartment, rule-set ones included
                                      (species as in pop.state: concentration unless hasOnlySubstanceUnits),
                                      or a reaction's rate
    pop.advance(dt)                   integrate every cell from pop.time to pop.time + dt
    pop.add_cells(mothers)            append copies (state and parameters) of these cells, in this order
    pop.remove_cells(indices)         drop these cells; the others keep their order
"""

import contextlib
import copy
import math
import os
import re

import numpy as np
from numba.core.errors import NumbaError

from morphosim.genes.errors import GeneSolverError, SBMLError, UnsupportedSBMLError, unsupported
from morphosim.genes.sbml import one_line
from morphosim.genes.kernels_common import (
    MAX_EVENT_ROUNDS, STATUS_EVENT_CASCADE, STATUS_OK, STATUS_PENDING_FULL, STATUS_TOO_MANY_STEPS, Blocks, Control,
    EventState,
)


THREADS = int(os.environ.get("MORPHOSIM_THREADS", os.cpu_count() or 1))
FAILURES = {
    STATUS_TOO_MANY_STEPS: "the {method} integrator took more than max_steps steps",
    STATUS_EVENT_CASCADE: f"events kept triggering each other at one instant (more than {MAX_EVENT_ROUNDS} executions)",
    STATUS_PENDING_FULL: "more delayed events waited to execute in one cell than it has slots for",
}
FAILURE_ADVICE = "try method='stiff' or solver='tellurium'"
# A thread joins only with this many blocks for it: starting one costs about as much as integrating
# a block over one coupling step.
BLOCKS_PER_THREAD = 4


@contextlib.contextmanager
def generated_code_errors(compiled):
    """numba compiles a model's kernels on their first call: a typing failure there is math the batched
    solver cannot compile, reported as such (naming the SBML elements whose math the kernels hold)."""
    try:
        yield
    except NumbaError as error:
        first_line = str(error).strip().splitlines()[0]
        elements = ", ".join(compiled.cell_math.state_ids + compiled.cell_math.parameter_ids)
        raise UnsupportedSBMLError(
            f"the math of this model (rules and kinetic laws over {elements}) does not compile to numba "
            f"({first_line}); use `solver: tellurium` for this model") from None


class Population:
    """What both solvers share: names, argument checks, cell bookkeeping."""

    def __init__(self, species_names, parameter_names, rtol, atol):
        if not (0.0 < rtol < 1.0) or not atol > 0.0:
            raise ValueError(f"tolerances must satisfy 0 < rtol < 1 and atol > 0, got rtol={rtol}, atol={atol}")
        self.species_names = tuple(species_names)
        self.parameter_names = tuple(parameter_names)
        self.rtol, self.atol = float(rtol), float(atol)
        self.time = 0.0

    def _parameter_index(self, name):
        if name not in self.parameter_names:
            raise SBMLError(f"'{name}' is not a settable parameter of this model; "
                            f"valid parameters: {', '.join(self.parameter_names) or '(none)'}")
        return self.parameter_names.index(name)

    def _species_index(self, name):
        if name not in self.species_names:
            raise SBMLError(f"'{name}' is not a species of this model; "
                            f"valid species: {', '.join(self.species_names)}")
        return self.species_names.index(name)

    def _per_cell_values(self, values, what):
        """A scalar or a (n_cells,) array of finite floats, broadcast to (n_cells,)."""
        array = np.asarray(values, dtype=float)
        if array.ndim == 0:
            array = np.full(len(self), float(array))
        if array.shape != (len(self),):
            raise ValueError(f"{what}: expected a scalar or {len(self)} values (one per cell), got shape {array.shape}")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{what}: values must be finite")
        return array

    def _state_columns(self, values):
        """set_state input -> {species column: (n_cells,) values}."""
        if isinstance(values, dict):
            return {self._species_index(name): self._per_cell_values(v, f"set_state['{name}']")
                    for name, v in values.items()}
        array = np.asarray(values, dtype=float)
        if array.shape != (len(self), len(self.species_names)):
            raise ValueError(f"set_state: expected shape ({len(self)}, {len(self.species_names)}) "
                             f"(cells, species {', '.join(self.species_names)}), got {array.shape}")
        return {i: self._per_cell_values(array[:, i], f"set_state column '{name}'")
                for i, name in enumerate(self.species_names)}

    def _cell_indices(self, indices, what):
        array = np.asarray(indices, dtype=np.int64).reshape(-1)
        if array.size and (array.min() < 0 or array.max() >= len(self)):
            raise IndexError(f"{what}: cell indices must lie in [0, {len(self)}), got {array.min()}..{array.max()}")
        return array

    def _kept_cells(self, indices):
        keep = np.ones(len(self), dtype=bool)
        keep[self._cell_indices(indices, "remove_cells")] = False
        return keep


class BatchedPopulation(Population):
    """All cells integrated together by the compiled numba kernels (see codegen.py).

    method: "explicit" (Dormand–Prince 5(4)) or "stiff" (RODAS3 with a finite-difference Jacobian).
    Cells are integrated in blocks of `block_size` cells with a shared adaptive step per block.
    Parameters are compiled in as literals until set_parameter is called on them; from then on they are
    read per cell (the first such call for a parameter loads another generated module, cached on disk).
    `module` is the generated module in use.

    Events (method "explicit"): each cell detects and executes its own, at the instant its trigger turns
    true (located on the step's continuous extension), after its delay, in priority order, with SBML
    Level 3's persistence, initialValue and useValuesFromTriggerTime; events at the start execute on
    construction, and events that set_state or set_parameter make true execute at once.
    """

    def __init__(self, compiled, n_cells, method="explicit", rtol=1e-6, atol=1e-10, block_size=64,
                 max_steps=1_000_000):
        super().__init__(compiled.state_ids[:compiled.n_species], compiled.parameter_ids, rtol, atol)
        if method not in ("explicit", "stiff"):
            raise ValueError(f"method must be 'explicit' or 'stiff', got {method!r}")
        if int(n_cells) < 0:
            raise ValueError(f"n_cells must be >= 0, got {n_cells}")
        if method == "stiff" and compiled.cell_math.events:
            raise unsupported("events with method='stiff'; use method='explicit' (the default)")
        self.compiled = compiled
        self.method = method
        self.block_size = int(block_size)
        self.max_steps = int(max_steps)
        # (variable, cell) layout: the kernels' inner loops run over contiguous cells
        self._y = np.ascontiguousarray(np.repeat(compiled.initial_state[:, None], int(n_cells), axis=1))
        self._p = np.ascontiguousarray(np.repeat(compiled.parameter_defaults[:, None], int(n_cells), axis=1))
        self._h = np.full(self._n_blocks(), -1.0)
        self._count_cells_per_block()
        self._use_inputs(np.zeros(len(compiled.parameter_ids), dtype=bool))
        # per parameter row: the concentration species of that compartment (none for other parameters)
        self._diluted = [np.flatnonzero(compiled.concentration_compartments == row)
                         for row in range(len(compiled.parameter_ids))]
        self.steps_taken = 0   # accepted steps summed over blocks and calls (for benchmarks)
        self.cell_steps = 0    # accepted steps summed over cells and calls
        self.event_steps = 0   # steps cells took alone after their events, summed over cells and calls
        self._events = self._initial_events(len(self))
        self._fire_events()

    def _initial_events(self, n_cells):
        """Event state of n_cells cells that have seen no instant yet (EventState, cells the last axis)."""
        module = self.module
        return EventState(np.repeat(module.INITIAL_VALUE[:, None], n_cells, axis=1),
                          np.full((module.MAX_PENDING, n_cells), np.inf),
                          np.full((module.MAX_PENDING, n_cells), -1, dtype=np.int64),
                          np.zeros((module.MAX_PENDING, module.ASSIGNED_ROWS.shape[1], n_cells)),
                          np.full(n_cells, np.inf))

    def _fire_events(self):
        """Execute every cell's events due at the current time (at the start, and after outside changes)."""
        if self.module.HAS_EVENTS and len(self):
            with generated_code_errors(self.compiled):
                status = self.module.fire_cells(self.time, self._y, self._p, self._events)
            self._fail(status, 0, len(self))
        self._update_assigned(self.time)

    def _fail(self, status, first, last):
        if status != STATUS_OK:
            reason = FAILURES.get(status, "the {method} integrator needed a step too small for the time to resolve")
            raise GeneSolverError(f"{reason.format(method=self.method)} at t={self.time} for cells "
                                  f"{first}..{last - 1}; {FAILURE_ADVICE}", (first, last))

    def __len__(self):
        return self._y.shape[1]

    def _use_inputs(self, inputs):
        """Read the parameters flagged in `inputs` (one bool per parameter row) per cell; the others are
        literals in the generated module."""
        self._inputs = inputs
        self.module = self.compiled.module(frozenset(np.array(self.parameter_names, dtype=object)[inputs]))

    def _update_assigned(self, time):
        if self.module.HAS_ASSIGNED_SPECIES:
            self.module.update_assigned(time, self._y, self._p)

    def _n_blocks(self):
        return -(-self._y.shape[1] // self.block_size)

    def _count_cells_per_block(self):
        self._cells_per_block = np.diff(np.minimum(np.arange(self._n_blocks() + 1) * self.block_size, len(self)))

    @property
    def state(self):
        """(n_cells, n_species), a read-only view: copy it to keep it (a copy when some species' rows hold
        not their concentration: amounts in a variable volume, pools of a fast reaction)."""
        view = self._y[: len(self.species_names)].T
        if self.compiled.held_rows:
            view = view.copy()
            for row, sid, _ in self.compiled.held_rows:
                view[:, row] = self.values(sid)
        view.flags.writeable = False
        return view

    def set_state(self, values):
        columns = self._state_columns(values)
        new = {self.species_names[column]: array for column, array in columns.items()}
        # a held row (an amount, a fast reaction's pool) from its species' concentration and what its row
        # reads (a size, the fast reaction's solved species), new values where given, else current ones
        rows = {}
        for row, sid, to_row in self.compiled.held_rows:
            reads = re.findall(r"\bv_(\w+)", to_row)
            if sid in new or any(name in new for name in reads):
                value = {f"v_{name}": new[name] if name in new else self.values(name) for name in reads}
                rows[row] = eval(to_row, {"math": math}, {**value, "value": new.get(sid, self.values(sid))})
        for column, array in {**columns, **rows}.items():
            self._y[column] = array
        self._fire_events()

    def set_parameter(self, name, values):
        row = self._parameter_index(name)
        values = self._per_cell_values(values, f"set_parameter('{name}')")
        diluted = self._diluted[row]
        if diluted.size:
            # a compartment changes size: its species keep their amounts (as in SBML and libRoadRunner)
            if not np.all(values > 0.0):
                raise ValueError(f"set_parameter('{name}'): compartment sizes must be > 0")
            self._y[diluted] *= self._p[row] / values
        self._p[row] = values
        if not self._inputs[row]:
            self._use_inputs(self._inputs | (np.arange(len(self._inputs)) == row))
        self._fire_events()

    def get_parameter(self, name):
        return self._p[self._parameter_index(name)].copy()

    def values(self, sbml_id):
        """(n_cells,) current values of any species, parameter, compartment or reaction (its rate) of the model."""
        compiled = self.compiled
        if sbml_id in compiled.state_ids and sbml_id not in compiled.cell_math.assigned | compiled.cell_math.held:
            return self._y[compiled.state_ids.index(sbml_id)].copy()
        if sbml_id in compiled.parameter_ids:
            return self._p[compiled.parameter_ids.index(sbml_id)].copy()
        # assignment-rule targets and concentrations of amount rows (v_<id>), reaction rates (r_<reaction id>)
        computed = [name[2:] for name, _ in compiled.cell_math.statements]
        if sbml_id in computed:
            out = np.zeros((len(computed), len(self)))
            with generated_code_errors(compiled):
                self.module.statement_values(self.time, self._y, self._p, out)
            return out[computed.index(sbml_id)]
        known = list(compiled.state_ids) + list(compiled.parameter_ids) + computed
        raise SBMLError(f"'{sbml_id}' is not a species, parameter, compartment or reaction of this model; "
                        f"valid ids: {', '.join(dict.fromkeys(known))}")

    def advance(self, dt):
        if not dt >= 0.0:
            raise ValueError(f"advance: dt must be >= 0, got {dt}")
        if dt > 0.0 and len(self) and self._y.shape[0]:
            n_blocks = self._n_blocks()
            blocks = Blocks(self._h, *np.zeros((3, n_blocks), dtype=np.int64))
            control = Control(self.rtol, self.atol, self.max_steps, self.block_size)
            arguments = (self.time, float(dt), self._y, self._p, blocks, control, self._events)
            # Blocks are independent and each is integrated by exactly one thread, whichever claims it:
            # the same result with any thread count. One thread calls the block loop directly (numba's
            # parallel launch costs microseconds, and compile time).
            n_threads = max(1, min(THREADS, n_blocks // BLOCKS_PER_THREAD))
            with generated_code_errors(self.compiled):
                if n_threads > 1:
                    getattr(self.module, f"advance_{self.method}")(n_threads, *arguments)
                else:
                    getattr(self.module, f"{self.method}_blocks")(np.zeros(1, dtype=np.int64), *arguments)
            if blocks.status.any():
                failed = np.flatnonzero(blocks.status)[0]
                first = failed * self.block_size
                self._fail(blocks.status[failed], first, min(first + self.block_size, len(self)))
            self.steps_taken += int(blocks.steps.sum())
            self.cell_steps += int(blocks.steps @ self._cells_per_block) + int(blocks.event_steps.sum())
            self.event_steps += int(blocks.event_steps.sum())
            self._update_assigned(self.time + dt)
        self.time += float(dt)

    def _resized(self, y, p, cells):
        """The population becomes these cells (indices into the current ones): y, p their columns."""
        # blocks change membership: start each block from the smallest step any block was using
        known = self._h[self._h > 0]
        self._events = EventState(*(np.ascontiguousarray(array[..., cells]) for array in self._events))
        self._y, self._p = np.ascontiguousarray(y), np.ascontiguousarray(p)
        self._h = np.full(self._n_blocks(), known.min() if known.size else -1.0)
        self._count_cells_per_block()

    def solver_state(self):
        """Everything advance() depends on, as named arrays (for checkpoints): continuing from
        set_solver_state(solver_state()) repeats the original run bit for bit."""
        return {"y": self._y, "p": self._p, "h": self._h, "time": np.array([self.time]),
                "inputs": self._inputs, **{f"events_{name}": array for name, array in self._events._asdict().items()}}

    def set_solver_state(self, state):
        self._y, self._p = np.ascontiguousarray(state["y"]), np.ascontiguousarray(state["p"])
        self._h = np.array(state["h"], dtype=float)
        self._count_cells_per_block()
        self.time = float(state["time"][0])
        # checkpoints written before parameters were compiled in have no "inputs": every parameter that
        # differs from its default somewhere was set per cell
        defaults = self.compiled.parameter_defaults[:, None]
        inputs = state["inputs"] if "inputs" in state else np.any(self._p != defaults, axis=1)
        self._use_inputs(np.array(inputs, dtype=bool))
        if "events_triggered" in state:
            self._events = EventState(*(np.ascontiguousarray(state[f"events_{name}"], dtype=array.dtype)
                                        for name, array in self._initial_events(0)._asdict().items()))
        else:  # a checkpoint of a model without events
            self._events = self._initial_events(len(self))

    def add_cells(self, mother_indices):
        mothers = self._cell_indices(mother_indices, "add_cells")
        self._resized(np.concatenate([self._y, self._y[:, mothers]], axis=1),
                      np.concatenate([self._p, self._p[:, mothers]], axis=1),
                      np.concatenate([np.arange(len(self)), mothers]))

    def remove_cells(self, indices):
        keep = self._kept_cells(indices)
        self._resized(self._y[:, keep], self._p[:, keep], np.flatnonzero(keep))


def roadrunner_for(network):
    """A libRoadRunner instance of the network. libRoadRunner refuses some valid SBML with a bare
    RuntimeError (delay differential equations, most often): that becomes an UnsupportedSBMLError
    naming the model and the construct."""
    import roadrunner

    try:
        return roadrunner.RoadRunner(network.sbml)
    except RuntimeError as error:
        message = one_line(str(error)).split(", at ")[0]   # drop libRoadRunner's C++ location
        if "delay" in message.lower():
            raise UnsupportedSBMLError(
                f"{network.name}: delay() is not supported by the tellurium solver either (libRoadRunner "
                f"cannot integrate delay differential equations: {message}); replace the delay by a chain "
                "of intermediate species") from None
        raise UnsupportedSBMLError(f"{network.name}: the tellurium solver (libRoadRunner) cannot load this "
                                   f"model: {message}") from None


class TelluriumPopulation(Population):
    """One libRoadRunner instance (CVODE) per cell: the reference solver, and the fallback for
    models the batched solver refuses (events, delays, ...)."""

    def __init__(self, network, n_cells, rtol=1e-6, atol=1e-10):
        species = network.species
        settable = [p.id for p in network.parameters.values() if p.rule is None] + list(network.compartments)
        super().__init__(list(species), settable, rtol, atol)
        if int(n_cells) < 0:
            raise ValueError(f"n_cells must be >= 0, got {n_cells}")
        self._selections = [sid if s.amount_only else f"[{sid}]" for sid, s in species.items()]
        self._assigned = {sid for sid in species if network.rule_of(sid) == "assignment"}
        self._symbols = {sid: selection for sid, selection in zip(species, self._selections)}
        self._symbols.update({sid: sid for sid in list(network.parameters) + list(network.compartments)
                              + network.reaction_ids})
        template = roadrunner_for(network)
        template.integrator.relative_tolerance = self.rtol
        template.integrator.absolute_tolerance = self.atol
        template.integrator.variable_step_size = False
        template.integrator.maximum_num_steps = 1_000_000
        self._runners = [self._copy(template) for _ in range(int(n_cells))]

    @staticmethod
    def _copy(runner):
        return copy.deepcopy(runner)

    def __len__(self):
        return len(self._runners)

    @property
    def state(self):
        return np.array([[runner.getValue(sel) for sel in self._selections] for runner in self._runners],
                        dtype=float).reshape(len(self), len(self._selections))

    def set_state(self, values):
        for column, array in self._state_columns(values).items():
            if self.species_names[column] in self._assigned:
                continue  # determined by its assignment rule, as in the batched solver
            for runner, value in zip(self._runners, array):
                runner.setValue(self._selections[column], value)

    def set_parameter(self, name, values):
        self._parameter_index(name)
        for runner, value in zip(self._runners, self._per_cell_values(values, f"set_parameter('{name}')")):
            runner.setValue(name, value)

    def get_parameter(self, name):
        self._parameter_index(name)
        return np.array([runner.getValue(name) for runner in self._runners], dtype=float)

    def values(self, sbml_id):
        if sbml_id not in self._symbols:
            raise SBMLError(f"'{sbml_id}' is not a species, parameter, compartment or reaction of this model; "
                            f"valid ids: {', '.join(self._symbols)}")
        return np.array([runner.getValue(self._symbols[sbml_id]) for runner in self._runners], dtype=float)

    def advance(self, dt):
        if not dt >= 0.0:
            raise ValueError(f"advance: dt must be >= 0, got {dt}")
        if dt > 0.0:
            for runner in self._runners:
                runner.oneStep(self.time, float(dt), True)
        self.time += float(dt)

    def solver_state(self):
        """Each runner's full saved state (CVODE history included) as bytes, plus the time."""
        saved = [np.frombuffer(runner.saveStateS(), dtype=np.uint8) for runner in self._runners]
        sizes = np.array([len(blob) for blob in saved], dtype=np.int64)
        return {"runners": np.concatenate(saved) if saved else np.zeros(0, np.uint8), "sizes": sizes,
                "time": np.array([self.time])}

    def set_solver_state(self, state):
        import roadrunner

        blobs = np.split(np.asarray(state["runners"], np.uint8), np.cumsum(state["sizes"])[:-1])
        self._runners = []
        for blob in blobs[: len(state["sizes"])]:
            runner = roadrunner.RoadRunner()
            runner.loadStateS(blob.tobytes())
            self._runners.append(runner)
        self.time = float(state["time"][0])

    def add_cells(self, mother_indices):
        mothers = self._cell_indices(mother_indices, "add_cells")
        self._runners.extend(self._copy(self._runners[i]) for i in mothers)

    def remove_cells(self, indices):
        keep = self._kept_cells(indices)
        self._runners = [runner for runner, kept in zip(self._runners, keep) if kept]
