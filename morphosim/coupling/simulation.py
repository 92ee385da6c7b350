"""The concurrent loop: genes <-> cells <-> tissue, one coupling step at a time.

    sim = Simulation.from_scenario("scenarios/lateral_inhibition_small.yaml", overrides=["time.end=2"])
    sim.step()                       # one coupling step
    sim.run(until=2.0)               # store="out/x.zarr" records it as `morphosim run` does
    f = sim.frame()                  # the current state as a morphosim Frame
"""

from __future__ import annotations

import hashlib
import json
import os
import time as clock
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from morphosim.cells import Geometry
from morphosim.cells.bodies import MonolayerBody, SheetBody, TopologyRules
from morphosim.console import Interrupted, Progress, StopOnInterrupt
from morphosim.io.frames import CellLoops, Frame

from .cell_state import CellState
from .flow import FlowCoupling
from .inputs import input_source, input_value, strain_rate_measures
from .outputs import ParameterMap, Trigger, flagged, mechanics_from_genes, secretion_rates


class SimulationFailure(RuntimeError):
    """The run cannot go on; the message names the step, the time, the cells and the cause."""


@dataclass
class GeneCoupling:
    """How a gene population talks to the cells and fields."""

    population: object                      # morphosim.genes Population (batched or tellurium)
    inputs: dict[str, str | dict]           # SBML parameter -> source (coupling.inputs) or {source, scale, offset}
    parameter_maps: list[ParameterMap]
    triggers: list[Trigger]
    secretion: dict[str, str] = field(default_factory=dict)   # field name -> species (amount/time)

    def species(self, name: str) -> np.ndarray:
        return self.population.state[:, self.population.species_names.index(name)]


EVENT_NAMES = ("t1_swaps", "divisions", "extrusions")
SAFETY = 0.5            # fraction of the explicit coupled step's stability bound used
RATE_EVERY = 10         # coupling steps between estimates of the coupled motion's fastest rate
RATE_RESOLUTION = 0.1  # of the T1 length: the displacement over which the coupled rate's stiffness is measured
SIZE_HISTORY = 4        # steps of cell sizes kept to tell a cell that shrank steadily from one that flipped


def coupled_substeps(h: float, rate: float) -> int:
    """Equal sub-steps of h that keep the explicit coupled motion below its bound SAFETY · 2 / rate."""
    return int(max(1.0, np.ceil(h * rate / (2.0 * SAFETY) * (1 - 1e-12))))


class Simulation:
    """All scales of one run and the per-cell state that belongs to none of them alone.

    The cells are a body (cells.bodies): an apical sheet or a 3D monolayer; the loop is the same.

    One coupling step of length dt (docs/DESIGN.md, "Time stepping"):

      1. genes     SBML inputs from the cell state (strain rates: from the end of the previous
                   step's motion), advance dt, outputs onto each cell's mechanics;
      2. motion    `cell_substeps` times: forces F on every vertex (a monolayer's apical and basal),
                   flow with load b = Bᵀ F, vertex motion dr/dt = B v + F/ξ over dt/cell_substeps
                   (no flow: dr/dt = F/ξ);
      3. topology  T1 swaps, divisions, extrusions; per-cell values and gene states follow the cells;
      4. state     the cell state of the moved cells, computed once for everything below;
      5. fields    morphogens advected by the last flow and secreted at the centroids;
      6. checks    NaN/inf, inverted cells: a SimulationFailure naming step, time, cells, cause.

    `Simulation(SheetBody(sheet, model, xi, rules), genes=..., flow=...)`, or from a scenario.
    """

    def __init__(self, body: SheetBody | MonolayerBody, *, genes: GeneCoupling | None = None,
                 flow: FlowCoupling | None = None, transport=None, cell_substeps: int = 1, dt: float | None = None,
                 scenario: dict | None = None):
        self.body = body
        self.genes, self.flow, self.transport = genes, flow, transport
        self.cell_substeps = int(cell_substeps)
        self.dt = dt
        self.scenario = scenario            # the checked scenario it was built from, if any
        self.step_index = 0
        n = body.n_cells
        # mechanical parameters before genes act on them (per cell, follow divisions)
        self.base = {name: body.parameter(name).copy() for name in body.parameter_names}
        self.strain_rates = np.zeros((n, 3, 3))
        self.accumulated_strain = np.zeros(n)
        self.dying = np.zeros(n, bool)
        self.coupled_rate: float | None = None  # of the cells' motion through the flow (see _move_cells)
        self.event_counts = np.zeros(3, np.int64)   # cumulative T1 swaps, divisions, extrusions
        # strain rates at centroids cost a point location per step: sampled every step only when a
        # gene input reads them (a recorded frame samples them itself)
        self.tracks_strain_rates = flow is not None and genes is not None and any(
            input_source(spec).startswith("strain_rate.") or input_source(spec) == "strain.accumulated"
            for spec in genes.inputs.values())
        self.timings: dict[str, float] = defaultdict(float)   # seconds spent per phase
        self._geometry = Geometry(0)
        self.cells = self._cell_state()
        self.update_mechanics()
        self._reset_size_history()

    @classmethod
    def from_scenario(cls, scenario: str | os.PathLike | dict, overrides=(), folder: str | os.PathLike | None = None):
        """Build from a scenario file or dict (validated alike; errors name the key path).
        `overrides` are `key.path=value` strings as for `morphosim run --set`; relative paths in a
        dict resolve against `folder` (default: the working directory)."""
        from morphosim.scenario import load_scenario
        from morphosim.scenario.build import build_simulation

        return build_simulation(load_scenario(scenario, overrides, folder=folder))

    @property
    def sheet(self):
        """The cells' apical sheet (a monolayer's apical layer)."""
        return self.body.sheet

    @property
    def model(self):
        """The cells' energy (VertexModel or MonolayerModel)."""
        return self.body.model

    @property
    def time(self) -> float:
        return self.step_index * self.dt if self.dt else 0.0

    @contextmanager
    def _timed(self, phase: str):
        start = clock.perf_counter()
        yield
        self.timings[phase] += clock.perf_counter() - start

    def species(self, name: str) -> np.ndarray:
        """A species' level in every cell (slot order)."""
        return self.genes.species(name)

    # ------------------------------------------------------------------ one step
    def step(self, dt: float | None = None) -> None:
        """One coupling step (the class docstring lists its phases); a breakdown in any scale
        becomes a SimulationFailure."""
        if dt is not None:
            self.dt = float(dt)
        if not self.dt:
            raise ValueError("Simulation.step: give dt (no time step was set)")
        try:
            self._step(self.dt)
        except SimulationFailure:
            raise
        except (RuntimeError, FloatingPointError, ValueError) as error:
            raise SimulationFailure(f"step {self.step_index + 1} (t = {self.time + self.dt:g}): "
                                    f"{self._cells_off_the_mesh(error) or error}{self._gene_cells(error)}") from error

    def _step(self, dt: float) -> None:
        self.body.set_time(self.time)
        if self.genes is not None:
            with self._timed("genes"):
                self._advance_genes(dt)
        h = dt / self.cell_substeps
        for substep in range(self.cell_substeps):
            self._move_cells(h)
            if self.tracks_strain_rates and substep < self.cell_substeps - 1:
                self._sample_strain_rates(self.body.cell_centres(), h)
        with self._timed("topology"):
            self._apply_topology()
        self.step_index += 1
        self.cells = self._cell_state()
        if self.tracks_strain_rates:
            self._sample_strain_rates(self.cells.centroids, h)
        if self.transport is not None:
            with self._timed("fields"):
                self._advance_fields(dt)
        with self._timed("checks"):
            self._check()

    def _cell_state(self) -> CellState:
        return CellState(self.body, self.time, self.strain_rates, self.time, self.accumulated_strain,
                         transport=self.transport, species=self.genes.species if self.genes else None,
                         geometry_buffer=self._geometry)

    def _advance_genes(self, dt: float) -> None:
        genes = self.genes
        for parameter, spec in genes.inputs.items():
            genes.population.set_parameter(parameter, input_value(self.cells, spec))
        genes.population.advance(dt)
        self.update_mechanics()

    def update_mechanics(self) -> None:
        """Every cell's mechanics from the base values (`self.base`), gene outputs and apoptosis;
        call it after changing `base` by hand."""
        species = self.genes.species if self.genes is not None else None
        if self.genes is not None:
            dying = flagged(self.genes.triggers, "die", species)
            if dying is not None:
                self.dying |= dying          # apoptosis is for good
        maps = self.genes.parameter_maps if self.genes is not None else []
        self.body.set_parameters(**mechanics_from_genes(self.base, maps, species, self.dying))

    def _move_cells(self, h: float) -> None:
        """dr/dt = B v + F/ξ over h; with a flow, in equal sub-steps below the explicit coupled
        step's bound SAFETY · 2 / λ, λ the largest rate of the linearised motion (coupled_rate, every
        RATE_EVERY coupling steps). The cells' own F/ξ part keeps its own bound inside body.move."""
        body = self.body
        if self.flow is None:
            with self._timed("cells"):
                body.move(h)
            return
        if self.coupled_rate is None or self.step_index % RATE_EVERY == 0:
            with self._timed("tissue"):
                self.coupled_rate = self._coupled_rate()
        n_substeps = coupled_substeps(h, self.coupled_rate)
        for _ in range(n_substeps):
            with self._timed("cells"):
                forces = body.forces()
            with self._timed("tissue"):
                tissue_velocity = self.flow.vertex_velocity(body.positions, forces)
            with self._timed("cells"):
                body.move(h / n_substeps, tissue_velocity, forces)

    def _coupled_rate(self, iterations: int = 8) -> float:
        """Largest eigenvalue of B A⁻¹ Bᵀ H (H = −∂F/∂r, applied by differencing the forces): the
        fastest relaxation rate of the cells through the flow, by power iteration from a fixed start
        (deterministic).

        With T1 swaps the forces are differenced over RATE_RESOLUTION of the T1 length, not
        infinitesimally: stiffness on scales below a swap is not resolved, as the cells' own step
        bound floors edges at the T1 length. A side that has collapsed to ~0 is a kink of the energy
        (the tension of a vanishing edge, the area of a vanishing fan triangle turning out of plane),
        whose tangent stiffness ~ tension / length diverges while the step it allows only chatters
        within ~ the step's displacement. A monolayer cannot swap a side that collapsed in one layer
        while its lateral face stays wide (cells.monolayer_topology), so such kinks persist there."""
        body = self.body
        positions, forces = body.positions.copy(), body.forces()
        t1_length = body.rules.t1_length
        scale = RATE_RESOLUTION * t1_length if t1_length else 1e-7 * float(np.abs(positions).max())
        trial = np.random.default_rng(0).standard_normal(positions.shape)
        rate = 0.0
        for _ in range(iterations):
            trial /= np.linalg.norm(trial)
            body.positions = positions + scale * trial
            stiffness_times_trial = (forces - body.forces()) / scale
            body.positions = positions
            trial = self.flow.vertex_velocity(positions, stiffness_times_trial)
            rate = float(np.linalg.norm(trial))
        return rate

    def _sample_strain_rates(self, centroids: np.ndarray, h: float) -> None:
        """ε(v) of the last flow solve at the centroids, and its trace integrated over h."""
        with self._timed("tissue"):
            self.strain_rates[...] = self.flow.strain_rate_at(centroids)
            self.accumulated_strain += h * np.trace(self.strain_rates, axis1=1, axis2=2)

    def _advance_fields(self, dt: float) -> None:
        species = self.genes.species if self.genes is not None else None
        rates = secretion_rates(self.genes.secretion if self.genes else {}, species)
        velocity = self.flow.velocity if self.flow is not None else None
        self.transport.step(dt, velocity, self.cells.centroids, rates)

    def _apply_topology(self) -> None:
        divide = flagged(self.genes.triggers, "divide", self.genes.species) if self.genes is not None else None
        if not self.body.rules.acts and divide is None:
            return
        events = self.body.apply_topology(divide)
        self.event_counts += (events.n_t1, len(events.divisions), len(events.removed_ids))
        if not (len(events.divisions) or len(events.removed_ids)):
            return
        self.base = {name: events.carry(base) for name, base in self.base.items()}
        self.strain_rates = events.carry(self.strain_rates)
        self.size_history = events.carry(self.size_history)
        self.accumulated_strain = events.carry(self.accumulated_strain)
        self.dying = events.carry(self.dying)
        if self.genes is not None:
            self._carry_gene_states(events)
        self.update_mechanics()

    def _carry_gene_states(self, events) -> None:
        """Gene states follow their cells: the population is rebuilt in the new slot order."""
        population = self.genes.population
        n_before = len(population)
        source = events.carry(np.arange(n_before))          # new slot -> old slot it copies
        if len(events.removed_ids) == 0 and np.array_equal(source[:n_before], np.arange(n_before)):
            population.add_cells(source[n_before:])          # only divisions: append daughters
        else:
            population.add_cells(source)
            population.remove_cells(np.arange(n_before))

    # ------------------------------------------------------------------ running and recording
    def run(self, until: float | None = None, *, store: str | os.PathLike | None = None, progress: bool = False,
            resume: bool = False, overwrite: bool = False, record_every: float | None = None) -> Path | None:
        """Step until simulated time `until` (default: the scenario's time.end). With `store`, record
        frames every `record_every` (default: the scenario's time.record_every, else every step) and
        a checkpoint after each, as `morphosim run` does; `resume` continues the store from its last
        checkpoint, `overwrite` replaces an earlier store there (nothing else is ever removed).
        Ctrl-C stops between two steps (KeyboardInterrupt), keeping every recorded frame."""
        from morphosim.io import claim_store
        from morphosim.io.parallel import anywhere, on_root, world
        from morphosim.io.recorder import Recorder

        timing = (self.scenario or {}).get("time", {})
        if self.dt is None:
            self.dt = timing.get("dt")
        until = timing.get("end") if until is None else until
        if not (self.dt and until):
            raise ValueError("Simulation.run: give `until` and a time step (no scenario sets them)")
        n_steps = int(round(until / self.dt))
        record_every = timing.get("record_every", self.dt) if record_every is None else record_every
        stride = max(1, int(round(record_every / self.dt)))
        # under MPI every rank steps alike and samples the frames (collectives); rank 0 alone
        # claims and writes the store, and what it finds there is broadcast (morphosim.io.parallel)
        comm = world()
        recorder, frame_seconds = None, None
        if store is not None:
            store = Path(store)
            attributes, static = self.store_attributes(), self.static_arrays()

            def open_store() -> tuple[bool, dict | None]:
                """(rank 0) (whether frame 0 is to be recorded, the checkpointed state to resume from)."""
                nonlocal recorder
                if resume:
                    recorder, saved = Recorder.resume(store)
                    refuse_changed_scenario(recorder.attributes, attributes, store)
                    return saved is None, saved   # stopped before its first checkpoint: from t = 0
                source = (self.scenario or {}).get("_source", {}).get("file")
                claim_store(store, overwrite=overwrite, keep=(Path(source),) if source else ())()
                recorder = Recorder.create(store, attributes, static)
                return True, None

            from_start, saved = on_root(comm, open_store)
            if saved is not None:
                self.load_state(saved)
            if from_start:
                started = clock.perf_counter()
                self._record(recorder, checkpoint=True)
                frame_seconds = clock.perf_counter() - started
        recorded = 0
        checkpoint_every = (self.scenario or {}).get("output", {}).get("checkpoint_every", 1)
        bar = Progress(n_steps, progress and comm.rank == 0, first_step=self.step_index,
                       record_stride=stride if store is not None else None, frame_seconds=frame_seconds)
        try:
            with StopOnInterrupt() as interrupt:
                while self.step_index < n_steps:
                    if anywhere(comm, interrupt.requested):   # every rank stops at the same step
                        raise Interrupted
                    self.step()
                    recording = 0.0
                    if store is not None and (self.step_index % stride == 0 or self.step_index == n_steps):
                        recorded += 1
                        started = clock.perf_counter()
                        self._record(recorder, recorded % checkpoint_every == 0 or self.step_index == n_steps)
                        recording = clock.perf_counter() - started
                    bar.update(self.step_index, self.time, self.sheet.n_cells, recording)
        finally:
            bar.close()
            if recorder is not None:
                recorder.finish(complete=self.step_index >= n_steps)
        return store

    def _record(self, recorder, checkpoint: bool) -> None:
        """The current frame, and the state when `checkpoint`, into the store (rank 0's recorder;
        the other ranks of an MPI run take part in sampling them and pass None)."""
        frame, state = self.frame(), self.state() if checkpoint else None
        if recorder is not None:
            recorder.record(frame, state, self.step_index)

    def store_attributes(self) -> dict:
        """What a store records about the run besides its frames."""
        from morphosim.versions import versions

        scenario = {key: value for key, value in (self.scenario or {}).items() if not key.startswith("_")}
        model = (scenario.get("genes") or {}).get("model")
        return {"scenario": scenario, "seed": scenario.get("seed", 0), "units": scenario.get("units"),
                "versions": versions(), "dt": self.dt,
                "model_sha256": hashlib.sha256(Path(model).read_bytes()).hexdigest() if model else None,
                "periodic_box": self.sheet.box[:2].tolist() if self.sheet.periodic else None}

    def static_arrays(self) -> dict[str, np.ndarray]:
        """Arrays recorded once: the tissue mesh (points, linear triangles) of a planar or surface flow."""
        if self.flow is None or self.flow.mesh_points is None:
            return {}
        return {"mesh_points": self.flow.mesh_points, "mesh_cells": self.flow.mesh_triangles}

    def frame(self) -> Frame:
        """The current state as a Frame (the type `morphosim.open_run(...).frame(k)` returns)."""
        sheet, cells, body = self.sheet, self.cells, self.body
        cell_data = cells.recorded()
        for name in self.base:
            cell_data[name] = body.parameter(name).copy()
        fields = {}
        if self.flow is not None:
            try:
                strain_rates = (self.strain_rates if self.tracks_strain_rates
                                else self.flow.strain_rate_at(cells.centroids))
                cell_data["flow_speed"] = np.linalg.norm(self.flow.velocity_at(cells.centroids), axis=1)
            except ValueError as error:   # cells off the tissue mesh: a failed run, not a traceback
                reason = self._cells_off_the_mesh(error)
                if reason is None:
                    raise
                raise SimulationFailure(f"step {self.step_index} (t = {self.time:g}): {reason}") from error
            cell_data["strain_rate_trace"], cell_data["strain_rate_anisotropy"] = strain_rate_measures(
                strain_rates, cells.normals)
            if self.tracks_strain_rates:   # integrated every step only when an input reads it
                cell_data["accumulated_strain"] = self.accumulated_strain.copy()
            fields = self.flow.fields_on_mesh(self.transport)
        species = {}
        if self.genes is not None:
            species = {name: self.genes.population.state[:, k].copy()
                       for k, name in enumerate(self.genes.population.species_names)}
        mesh = self.static_arrays()
        rings = sheet.rings()   # the cells' vertex loops, flat and counter-clockwise (as sheet.cells())
        loops = CellLoops(np.diff(rings.cell_start), rings.ring_vertex.copy())
        return Frame(time=self.time, vertices=sheet.positions.copy(), cells=loops, cell_ids=sheet.ids.copy(),
                     parent_ids=sheet.parents.copy(), species=species, cell_data=cell_data,
                     mesh_points=mesh.get("mesh_points"), mesh_cells=mesh.get("mesh_cells"), fields=fields,
                     periodic_box=sheet.box[:2].copy() if sheet.periodic else None,
                     events=dict(zip(EVENT_NAMES, self.event_counts.tolist())),
                     basal_vertices=body.monolayer.basal_positions.copy() if body.kind == "monolayer" else None)

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict[str, np.ndarray]:
        """Everything a continued run needs, as named arrays; a run restored with load_state
        repeats the uninterrupted one bit for bit."""
        state = self.body.state()
        state.update({f"base/{name}": values for name, values in self.base.items()})
        state.update({f"model/{name}": self.body.parameter(name) for name in self.base})
        if self.coupled_rate is not None:
            state["coupled_rate"] = np.array([self.coupled_rate])
        state.update({"strain_rates": self.strain_rates, "accumulated_strain": self.accumulated_strain,
                      "dying": self.dying, "step": np.array([self.step_index]), "event_counts": self.event_counts})
        if self.genes is not None:
            state.update({f"genes/{name}": values for name, values in self.genes.population.solver_state().items()})
        if self.transport is not None:
            from morphosim.io.parallel import gather_owned

            # whole on every rank, in global dof order: their numbering depends on the rank count
            state.update({f"fields/{name}": gather_owned(function)
                          for name, function in self.transport.concentration.items()})
            state["fields_ranks"] = np.array([self.transport.mesh.comm.size])
        return {name: np.array(values) for name, values in state.items()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        def group(prefix):
            return {name[len(prefix):]: values for name, values in state.items() if name.startswith(prefix)}

        self.body.load_state(state)
        self.base = {name: np.array(state[f"base/{name}"]) for name in self.base}
        self.body.set_parameters(**{name: np.array(state[f"model/{name}"]) for name in self.base})
        self.strain_rates = np.array(state["strain_rates"])
        self.accumulated_strain = np.array(state["accumulated_strain"])
        self.dying = np.array(state["dying"])
        self.step_index = int(state["step"][0])
        self.coupled_rate = float(state["coupled_rate"][0]) if "coupled_rate" in state else None
        self.event_counts = np.array(state["event_counts"])
        if self.genes is not None:
            self.genes.population.set_solver_state(group("genes/"))
        if self.transport is not None:
            from morphosim.errors import InputError
            from morphosim.io.parallel import set_owned

            ranks, comm = int(state.get("fields_ranks", [1])[0]), self.transport.mesh.comm
            if ranks != comm.size:
                raise InputError(f"the checkpoint's fields were written by {ranks} MPI rank(s): resume it "
                                 f"on as many (mpiexec -n {ranks}), not {comm.size}")
            for name, function in self.transport.concentration.items():
                set_owned(function, state[f"fields/{name}"])
        self.cells = self._cell_state()
        self._reset_size_history()

    # ------------------------------------------------------------------ failures
    def _cells_off_the_mesh(self, error: Exception) -> str | None:
        """For a failed point location (tissue.PointLocationError): which cells left the tissue mesh
        (their centroids, or vertices) and what to change; None for any other error."""
        if self.flow is None and self.transport is None:
            return None
        from morphosim.tissue import PointLocationError   # loaded with the flow

        if not isinstance(error, PointLocationError):
            return None
        sheet = self.sheet
        if error.num_points == sheet.n_cells:
            what, ids = "centroids", sheet.ids[error.indices]
        else:   # vertices: the cells around them
            vertices = error.indices % sheet.n_vertices
            slots = np.unique(sheet.face[: sheet.n_half_edges][np.isin(sheet.origin[: sheet.n_half_edges], vertices)])
            what, ids = "vertices", sheet.ids[slots[slots >= 0]]
        return (f"cells {_list(ids)} left the tissue mesh (their {what} lie farther than {error.tolerance:g} from it): "
                "lower time.dt or stiffen the cells; a planar sheet may also need a larger tissue.flow.padding")

    def _gene_cells(self, error: Exception) -> str:
        """The cell ids of the population rows a gene solver failure names (genes.GeneSolverError), or ""."""
        if self.genes is None:
            return ""
        from morphosim.genes.errors import GeneSolverError   # loaded with the genes

        if not isinstance(error, GeneSolverError):
            return ""
        first, last = error.rows
        return f" (cell ids {_list(self.sheet.ids[first:last])})"

    def _check(self) -> None:
        sheet = self.sheet
        where = f"step {self.step_index} (t = {self.time:g})"
        positions = self.body.positions
        if not np.isfinite(positions).all():
            bad_vertices = np.flatnonzero(~np.isfinite(positions).all(axis=1)) % sheet.n_vertices
            cells = np.unique(sheet.face[np.isin(sheet.origin[: sheet.n_half_edges], bad_vertices)])
            ids = sheet.ids[cells[cells >= 0]]
            raise SimulationFailure(f"{where}: vertex positions became NaN or infinite in cells "
                                    f"{_list(ids)}: the time step is too large or parameters too stiff")
        inverted = self.cells.inverted
        if inverted.size:
            raise SimulationFailure(f"{where}: {self._inverted_cells_advice(inverted)}")
        self.size_history = np.column_stack([self.size_history[:, 1:], self.cells.signed_sizes])
        for name, field in (self.transport.concentration if self.transport is not None else {}).items():
            if not np.isfinite(field.x.array).all():
                raise SimulationFailure(f"{where}: morphogen {name!r} became NaN or infinite: lower "
                                        f"tissue.fields.{name}.D or time.dt")
        if self.genes is not None and not np.isfinite(self.genes.population.state).all():
            rows = np.flatnonzero(~np.isfinite(self.genes.population.state).all(axis=1))
            raise SimulationFailure(f"{where}: gene states became NaN or infinite in cells "
                                    f"{_list(sheet.ids[rows])}")

    def _reset_size_history(self) -> None:
        """Every cell's signed size over the last SIZE_HISTORY steps (oldest first), all the current one."""
        self.size_history = np.repeat(self.cells.signed_sizes[:, None], SIZE_HISTORY, axis=1)

    def _inverted_cells_advice(self, inverted: np.ndarray) -> str:
        """Why these cells turned inside out, and what to change. A cell whose size fell step after step
        at a rate the last step did not exceed much collapsed physically (its tension beat its
        stiffness): it should leave the tissue or pull less. A cell that flipped within one step, from a
        size it held, was moved too far in one step: the time step is too long."""
        monolayer = self.body.kind == "monolayer"
        measure = "volume" if monolayer else "area"
        history, now = self.size_history[inverted], self.cells.signed_sizes[inverted]
        earlier_drops = -np.diff(history, axis=1)
        steady = (earlier_drops > 0).all(axis=1) & (history[:, -1] - now <= 3.0 * earlier_drops.mean(axis=1))
        ids = self.sheet.ids[inverted]
        parts = []
        if steady.any():
            healthy = self.cells.signed_sizes[self.cells.signed_sizes > 0]
            typical = float(np.median(healthy)) if healthy.size else float(history[steady, 0].max())
            first = int(np.flatnonzero(steady)[0])
            trend = " → ".join(f"{value:.3g}" for value in (*history[first], now[first]))
            tension = "apical_tension, basal_tension, lateral_tension" if monolayer else "Lambda or Gamma"
            parts.append(f"cells {_list(ids[steady])} turned inside out after shrinking steadily to zero {measure} "
                         f"over the last {SIZE_HISTORY} steps (cell {int(ids[first])}: {trend}), a physical collapse: "
                         f"let such cells leave the tissue (cells.extrusion.{measure}, e.g. {0.1 * typical:.2g}, a "
                         f"tenth of the median cell {measure}) or lower their tension (cells.mechanics.{tension})")
        if (~steady).any():
            first = int(np.flatnonzero(~steady)[0])
            parts.append(f"cells {_list(ids[~steady])} turned inside out within one step (cell {int(ids[first])}: "
                         f"{measure} {history[first, -1]:.3g} → {now[first]:.3g}), faster than the time step can "
                         f"follow: lower time.dt = {self.dt:g} (if they then shrink steadily over several steps, "
                         "the collapse is physical)")
        return "; ".join(parts)


# what may differ between a stored run and the scenario that resumes it: a later end, and where
# and how often it is written; everything else would change the physics of the frames already there
RESUMABLE_CHANGES = ("time.end", "output.")


def _flat(mapping: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in mapping.items():
        if isinstance(value, dict) and value:
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def refuse_changed_scenario(stored: dict, current: dict, store: Path) -> None:
    """InputError naming every key (and the model file) that differs between the stored run and the
    scenario resuming it, beyond RESUMABLE_CHANGES."""
    from morphosim.errors import InputError

    # compared as stored: through JSON, as zarr keeps attributes
    old, new = _flat(stored.get("scenario") or {}), _flat(json.loads(json.dumps(current["scenario"])))
    changed = sorted(key for key in set(old) | set(new)
                     if old.get(key) != new.get(key) and not key.startswith(RESUMABLE_CHANGES))
    if stored.get("model_sha256") != current["model_sha256"]:
        changed.append("the SBML model file's content")
    if changed:
        raise InputError(f"{store}: cannot resume: the scenario differs from the stored run's in "
                         f"{', '.join(changed)}; only time.end may grow (or start again with --overwrite)")


def _list(ids: np.ndarray, most: int = 8) -> str:
    shown = ", ".join(str(int(i)) for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")
