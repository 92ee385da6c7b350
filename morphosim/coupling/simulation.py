"""The concurrent loop: genes <-> cells <-> tissue, one coupling step at a time.

One coupling step Δt (DESIGN.md, "Time stepping"):

  1. genes:    inputs (strain, strain rate, fields, neighbours) -> SBML parameters; advance Δt
               (the gene solver sub-steps adaptively); outputs -> per-cell K, A0, Γ, Λ, triggers.
  2. cells:    `cell_substeps` mechanics sub-steps of Δt/n, each: forces F, flow solve with
               b = Bᵀ F, vertex motion dr/dt = B v + F/ξ (the integrator sub-steps further to
               stay below its stability bound). Without flow: dr/dt = F/ξ.
  3. fields:   morphogens advected by the last flow, secreted at cell centroids.
  4. topology: T1 swaps, divisions (area or gene trigger), extrusions; per-cell arrays and
               gene states follow the cells (daughters copy their mother).
  5. checks:   NaN/inf, inverted cells -> SimulationFailure naming step, time, cells, cause.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from morphosim.cells import Overdamped, Sheet, VertexModel, apply_topology, compute_geometry, neighbours, shape_tensors
from morphosim.cells.geometry import cell_normals

from .flow import FlowCoupling
from .gene_inputs import neighbour_mean, shape_anisotropy, strain_rate_measures
from .gene_outputs import ParameterMap, Trigger

class SimulationFailure(RuntimeError):
    """The run cannot go on; the message names the step, the time, the cells and the cause."""


@dataclass
class GeneCoupling:
    """How a gene population talks to the cells and fields."""

    population: object                      # morphosim.genes Population (batched or tellurium)
    inputs: dict[str, str]                  # SBML parameter -> input source
    parameter_maps: list[ParameterMap]
    triggers: list[Trigger]
    secretion: dict[str, str] = field(default_factory=dict)   # field name -> species (amount/time)

    def species(self, name: str) -> np.ndarray:
        return self.population.state[:, self.population.species_names.index(name)]


@dataclass
class TopologyRules:
    t1_length: float | None = None
    division_area: float | None = None
    division_axis: object = None            # None: long axis; or a 3-vector
    extrusion_area: float | None = None


EVENT_NAMES = ("t1_swaps", "divisions", "extrusions")


class Simulation:
    """All scales of one run and the per-cell state that belongs to none of them alone."""

    def __init__(self, sheet: Sheet, model: VertexModel, xi: float, *, genes: GeneCoupling | None = None,
                 flow: FlowCoupling | None = None, transport=None, topology: TopologyRules | None = None,
                 cell_substeps: int = 1):
        self.sheet, self.model, self.xi = sheet, model, xi
        self.genes, self.flow, self.transport = genes, flow, transport
        self.topology = topology or TopologyRules()
        # edges shorter than the T1 threshold are about to swap: they do not set the step bound
        self.integrator = Overdamped(model, xi, min_edge_length=self.topology.t1_length or 0.0)
        self.cell_substeps = int(cell_substeps)
        self.step_index = 0
        self.dt = None
        n = sheet.n_cells
        # mechanical parameters before genes act on them (per cell, follow divisions)
        self.base = {name: np.broadcast_to(np.asarray(getattr(model, name), float), (n,)).copy()
                     for name in model.parameter_names}
        self.strain_rates = np.zeros((n, 3, 3))      # ε(v) at centroids, last flow solve
        self.accumulated_strain = np.zeros(n)         # ∫ tr ε dt along each cell's path
        self.dying = np.zeros(n, bool)
        # cumulative topology events: T1 swaps, divisions, extrusions (recorded with every frame)
        self.event_counts = np.zeros(3, np.int64)
        # strain rates at centroids cost a point location per step: track them only when a gene
        # input reads them (frames sample them when recorded)
        self.tracks_strain_rates = flow is not None and genes is not None and any(
            source.startswith("strain_rate.") or source == "strain.accumulated" for source in genes.inputs.values())
        self.timings: dict[str, float] = defaultdict(float)   # seconds spent per phase
        self._apply_gene_outputs()

    @contextmanager
    def _timed(self, phase: str):
        start = clock.perf_counter()
        yield
        self.timings[phase] += clock.perf_counter() - start

    @property
    def time(self) -> float:
        return self.step_index * self.dt if self.dt else 0.0

    # ------------------------------------------------------------------ genes
    def input_values(self, source: str) -> np.ndarray:
        """Per-cell values of one input source (see coupling.gene_inputs)."""
        sheet = self.sheet
        geometry = compute_geometry(sheet)
        n = sheet.n_cells
        if source == "strain.areal":
            return geometry.area[:n] / np.maximum(self.model.A0, 1e-300) - 1.0
        if source == "strain.anisotropy":
            return shape_anisotropy(shape_tensors(sheet), cell_normals(sheet))
        if source in ("strain_rate.trace", "strain_rate.anisotropy"):
            trace, anisotropy = strain_rate_measures(self.strain_rates, cell_normals(sheet))
            return trace if source.endswith("trace") else anisotropy
        if source == "strain.accumulated":
            return self.accumulated_strain.copy()
        if source.startswith("position."):
            return geometry.centroid[:n, "xyz".index(source[-1])].copy()
        if source.startswith("field."):
            return self.transport.values_at(geometry.centroid[:n])[source[len("field."):]]
        if source.startswith("neighbours."):
            _, kind, species = source.split(".", 2)
            indptr, indices, contact = neighbours(sheet)
            return neighbour_mean(indptr, indices, contact, self.genes.species(species), kind == "contact_mean")
        raise ValueError(f"unknown input source {source!r}")

    def _advance_genes(self, dt: float) -> None:
        genes = self.genes
        for parameter, source in genes.inputs.items():
            genes.population.set_parameter(parameter, self.input_values(source))
        genes.population.advance(dt)
        self._apply_gene_outputs()

    def _apply_gene_outputs(self) -> None:
        """Per-cell mechanics from the base values, gene outputs and apoptosis."""
        values = {name: base.copy() for name, base in self.base.items()}
        if self.genes is not None:
            for parameter_map in self.genes.parameter_maps:
                values[parameter_map.target] = parameter_map(self.genes.species(parameter_map.species))
            for trigger in self.genes.triggers:
                if trigger.target == "die":
                    self.dying |= trigger(self.genes.species(trigger.species))
        values["A0"][self.dying] = 0.0   # apoptosis: the cell's target area goes to zero
        self.model.set_parameters(**values)

    def _divide_flags(self) -> np.ndarray | None:
        if self.genes is None:
            return None
        flags = [trigger(self.genes.species(trigger.species)) for trigger in self.genes.triggers
                 if trigger.target == "divide"]
        return np.logical_or.reduce(flags) if flags else None

    # ------------------------------------------------------------------ one step
    def step(self, dt: float) -> None:
        """One coupling step; a breakdown in any scale becomes a SimulationFailure."""
        try:
            self._step(dt)
        except SimulationFailure:
            raise
        except (RuntimeError, FloatingPointError, ValueError) as error:
            raise SimulationFailure(f"step {self.step_index + 1} (t = {self.time + dt:g}): {error}") from error

    def _step(self, dt: float) -> None:
        self.dt = dt
        if self.genes is not None:
            with self._timed("genes"):
                self._advance_genes(dt)
        h = dt / self.cell_substeps
        for _ in range(self.cell_substeps):
            self._move_cells(h)
        if self.transport is not None:
            with self._timed("fields"):
                self._advance_fields(dt)
        with self._timed("topology"):
            self._apply_topology()
        self.step_index += 1
        with self._timed("checks"):
            self._check()

    def _move_cells(self, h: float) -> None:
        sheet = self.sheet
        tissue_velocity = None
        if self.flow is not None:
            with self._timed("cells"):
                forces = self.model.forces(sheet)
            with self._timed("tissue"):
                tissue_velocity = self.flow.vertex_velocity(sheet.positions, forces)
        with self._timed("cells"):
            self.integrator.step(sheet, h, v_ext=tissue_velocity)
        if self.tracks_strain_rates:
            with self._timed("tissue"):
                self._sample_strain_rates()
                self.accumulated_strain += h * np.trace(self.strain_rates, axis1=1, axis2=2)

    def _sample_strain_rates(self) -> None:
        geometry = compute_geometry(self.sheet)
        self.strain_rates = self.flow.strain_rate_at(geometry.centroid[: self.sheet.n_cells])

    def _advance_fields(self, dt: float) -> None:
        geometry = compute_geometry(self.sheet)
        rates = {name: self.genes.species(species) for name, species in self.genes.secretion.items()} \
            if self.genes is not None else {}
        velocity = self.flow.velocity if self.flow is not None else None
        self.transport.step(dt, velocity, geometry.centroid[: self.sheet.n_cells], rates)

    def _apply_topology(self) -> None:
        rules = self.topology
        events = apply_topology(self.sheet, t1_length=rules.t1_length, division_area=rules.division_area,
                                divide=self._divide_flags(), division_axis=rules.division_axis,
                                extrusion_area=rules.extrusion_area)
        self.event_counts += (events.n_t1, len(events.divisions), len(events.removed_ids))
        if not (len(events.divisions) or len(events.removed_ids)):
            return
        self.base = {name: events.carry(base) for name, base in self.base.items()}
        self.strain_rates = events.carry(self.strain_rates)
        self.accumulated_strain = events.carry(self.accumulated_strain)
        self.dying = events.carry(self.dying)
        self.model.carry(events)
        if self.genes is not None:
            self._carry_gene_states(events)
        self._apply_gene_outputs()

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

    # ------------------------------------------------------------------ output
    def frame(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """One recorded frame: (per-cell / per-vertex arrays, fields on the tissue mesh points)."""
        sheet = self.sheet
        n = sheet.n_cells
        cells = sheet.cells()
        geometry = compute_geometry(sheet)
        area, perimeter = geometry.area[:n].copy(), geometry.perimeter[:n].copy()
        ragged = {
            "vertices": sheet.positions.copy(),
            "cell_vertex_counts": np.array([len(cell) for cell in cells], np.int64),
            "cell_vertices": np.concatenate(cells).astype(np.int64) if cells else np.zeros(0, np.int64),
            "cell_ids": sheet.ids.copy(),
            "parent_ids": sheet.parents.copy(),
            "cell_data/area": area,
            "cell_data/perimeter": perimeter,
            "cell_data/shape_index": perimeter / np.sqrt(np.maximum(area, 1e-300)),
            "cell_data/centroid": geometry.centroid[:n].copy(),
        }
        for name in self.base:
            ragged[f"cell_data/{name}"] = np.broadcast_to(getattr(self.model, name), (n,)).copy()
        if self.flow is not None:
            if not self.tracks_strain_rates:
                self._sample_strain_rates()
            trace, anisotropy = strain_rate_measures(self.strain_rates, cell_normals(sheet))
            ragged["cell_data/strain_rate_trace"] = trace
            ragged["cell_data/strain_rate_anisotropy"] = anisotropy
            if self.tracks_strain_rates:   # integrated every step only when an input reads it
                ragged["cell_data/accumulated_strain"] = self.accumulated_strain.copy()
        if self.genes is not None:
            for k, name in enumerate(self.genes.population.species_names):
                ragged[f"species/{name}"] = self.genes.population.state[:, k].copy()
        series = {f"events/{name}": count for name, count in zip(EVENT_NAMES, self.event_counts)}
        if self.flow is not None:
            series.update(self.flow.fields_on_mesh(self.transport))
        return ragged, series

    # ------------------------------------------------------------------ checkpoints
    SHEET_ARRAYS = ("vertices", "vertex_edge", "origin", "twin", "next", "face", "t1_block", "cell_edge",
                    "cell_id", "parent_id", "counts")

    def state(self) -> dict[str, np.ndarray]:
        """Everything a continued run needs, as named arrays (capacity included, so that a resumed
        run repeats the uninterrupted one bit for bit)."""
        state = {f"sheet/{name}": getattr(self.sheet, name) for name in self.SHEET_ARRAYS}
        state.update({f"base/{name}": values for name, values in self.base.items()})
        state.update({f"model/{name}": np.asarray(getattr(self.model, name)) for name in self.base})
        state.update({"strain_rates": self.strain_rates, "accumulated_strain": self.accumulated_strain,
                      "dying": self.dying, "step": np.array([self.step_index]),
                      "event_counts": self.event_counts})
        if self.genes is not None:
            state.update({f"genes/{name}": values
                          for name, values in self.genes.population.solver_state().items()})
        if self.transport is not None:
            state.update({f"fields/{name}": function.x.array
                          for name, function in self.transport.concentration.items()})
        return {name: np.array(values) for name, values in state.items()}

    def load_state(self, state: dict[str, np.ndarray], dt: float) -> None:
        for name in self.SHEET_ARRAYS:
            setattr(self.sheet, name, np.array(state[f"sheet/{name}"]))
        self.base = {name: np.array(state[f"base/{name}"]) for name in self.base}
        self.model.set_parameters(**{name: np.array(state[f"model/{name}"]) for name in self.base})
        self.strain_rates = np.array(state["strain_rates"])
        self.accumulated_strain = np.array(state["accumulated_strain"])
        self.dying = np.array(state["dying"])
        self.step_index = int(state["step"][0])
        self.event_counts = np.array(state["event_counts"])
        self.dt = dt
        if self.genes is not None:
            self.genes.population.set_solver_state(
                {name[len("genes/"):]: values for name, values in state.items() if name.startswith("genes/")})
        if self.transport is not None:
            for name in self.transport.concentration:
                self.transport.set_concentration(name, state[f"fields/{name}"])

    # ------------------------------------------------------------------ failures
    def _check(self) -> None:
        sheet = self.sheet
        where = f"step {self.step_index} (t = {self.time:g})"
        positions = sheet.positions
        if not np.isfinite(positions).all():
            bad_vertices = np.flatnonzero(~np.isfinite(positions).all(axis=1))
            cells = np.unique(sheet.face[np.isin(sheet.origin[: sheet.n_half_edges], bad_vertices)])
            ids = sheet.ids[cells[cells >= 0]]
            raise SimulationFailure(f"{where}: vertex positions became NaN or infinite in cells "
                                    f"{_list(ids)}: the time step is too large or parameters too stiff")
        geometry = compute_geometry(sheet)
        inverted = np.flatnonzero(geometry.signed_area[: sheet.n_cells] <= 0.0)
        if inverted.size:
            raise SimulationFailure(f"{where}: cells {_list(sheet.ids[inverted])} turned inside out "
                                    "(non-positive area): lower time.dt or raise cells.mechanics.K")
        if self.genes is not None and not np.isfinite(self.genes.population.state).all():
            rows = np.flatnonzero(~np.isfinite(self.genes.population.state).all(axis=1))
            raise SimulationFailure(f"{where}: gene states became NaN or infinite in cells "
                                    f"{_list(sheet.ids[rows])}")


def _list(ids: np.ndarray, most: int = 8) -> str:
    shown = ", ".join(str(int(i)) for i in ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")
