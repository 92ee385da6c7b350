"""What a coupled simulation steps at the cell scale: a cell layer with its energy, motion and topology.

Two bodies share one interface, so the coupling loop is written once for both:

    SheetBody       an apical sheet (planar or on the embryo surface) and its VertexModel;
    MonolayerBody   a 3D monolayer (apical, basal and lateral faces) and its MonolayerModel.

    positions        every vertex that moves, (N, 3): the sheet's; the monolayer's apical then basal
    forces()         -dE/dr at those positions, same layout
    move(h, v, F)    overdamped motion dr/dt = F/xi + v over h (v: the tissue velocity there, or None;
                     F: what forces() last returned, at the current positions, if the caller has it:
                     the monolayer's first sub-step starts from it; the sheet's step kernel evaluates
                     its forces together with its bound, so it needs none)
    apply_topology   T1 swaps, divisions, extrusions by the rules; returns the TopologyEvents record
    parameter_names  the per-cell coefficients of the energy, read with parameter(), set with
                     set_parameters() (one value per cell)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boundary import minimum_images
from .dynamics import Overdamped
from .energy import VertexModel
from .geometry import compute_geometry
from .monolayer import APICAL_AREA, BASAL_AREA, HEIGHT, Monolayer
from .monolayer_dynamics import MonolayerOverdamped
from .monolayer_energy import MonolayerModel
from .sheet import Sheet
from .topology import apply_topology


@dataclass
class TopologyRules:
    """When topology acts: edges shorter than t1_length swap (a monolayer's lateral faces narrower),
    cells of (apical) area above division_area divide (along division_axis, None: the long axis),
    cells smaller than extrusion_area (a monolayer's: of volume below extrusion_volume) leave."""

    t1_length: float | None = None
    division_area: float | None = None
    division_axis: object = None            # None: long axis; or a 3-vector
    extrusion_area: float | None = None
    extrusion_volume: float | None = None

    @property
    def acts(self) -> bool:
        return any(value is not None for value in (self.t1_length, self.division_area, self.extrusion_area,
                                                   self.extrusion_volume))


class SheetBody:
    """An apical sheet moved by its vertex energy."""

    kind = "sheet"

    def __init__(self, sheet: Sheet, model: VertexModel, xi: float, rules: TopologyRules | None = None):
        self.sheet, self.model, self.xi = sheet, model, float(xi)
        self.rules = rules or TopologyRules()
        # edges shorter than the T1 threshold are about to swap: they do not set the step bound
        self.integrator = Overdamped(model, xi, min_edge_length=self.rules.t1_length or 0.0)

    @property
    def n_cells(self) -> int:
        return self.sheet.n_cells

    @property
    def positions(self) -> np.ndarray:
        return self.sheet.positions

    @positions.setter
    def positions(self, values: np.ndarray) -> None:
        self.sheet.positions[:] = values

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return self.model.parameter_names

    def parameter(self, name: str) -> np.ndarray:
        return np.broadcast_to(np.asarray(getattr(self.model, name), float), (self.n_cells,))

    def set_parameters(self, **values) -> None:
        self.model.set_parameters(**values)

    def forces(self) -> np.ndarray:
        return self.model.forces(self.sheet)

    def set_time(self, time: float) -> None:
        """A sheet's energy does not depend on time."""

    def move(self, h: float, velocity: np.ndarray | None = None, forces: np.ndarray | None = None) -> None:
        self.integrator.step(self.sheet, h, v_ext=velocity)

    def apply_topology(self, divide: np.ndarray | None = None):
        rules = self.rules
        events = apply_topology(self.sheet, t1_length=rules.t1_length, division_area=rules.division_area,
                                divide=divide, division_axis=rules.division_axis,
                                extrusion_area=rules.extrusion_area)
        if len(events.divisions) or len(events.removed_ids):
            self.model.carry(events)
        return events

    def cell_centres(self) -> np.ndarray:
        """Area centroids of the cells, (Nc, 3)."""
        return compute_geometry(self.sheet).centroid[: self.n_cells].copy()

    def state(self) -> dict[str, np.ndarray]:
        return {f"sheet/{name}": values for name, values in self.sheet.state().items()}

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.sheet.load_state({name[6:]: values for name, values in state.items() if name.startswith("sheet/")})


class MonolayerBody:
    """A 3D monolayer moved by its energy: both layers' vertices, free in 3D.

    `reference` holds each cell's apical area, basal area and height when the body was built
    (daughters inherit half their mother's areas and her height): the strains gene inputs read
    are measured against it.
    """

    kind = "monolayer"

    def __init__(self, monolayer: Monolayer, model: MonolayerModel, xi: float, rules: TopologyRules | None = None):
        self.monolayer, self.model, self.xi = monolayer, model, float(xi)
        self.rules = rules or TopologyRules()
        # faces narrower than the T1 threshold are about to swap: they do not set the step bound
        self.integrator = MonolayerOverdamped(model, xi, min_edge_length=self.rules.t1_length or 0.0)
        self._owners = {name: term for term in model.terms for name in getattr(term, "parameters", ())}
        self._last_forces = (None, None)   # (what forces() last returned, the cells' ingredients there)
        measures = monolayer.measures()
        self.reference = {"apical_area": measures[:, APICAL_AREA].copy(), "basal_area": measures[:, BASAL_AREA].copy(),
                          "height": measures[:, HEIGHT].copy()}

    @property
    def sheet(self) -> Sheet:
        """The apical layer (its topology is the monolayer's)."""
        return self.monolayer.sheet

    @property
    def n_cells(self) -> int:
        return self.monolayer.n_cells

    @property
    def positions(self) -> np.ndarray:
        return np.concatenate([self.monolayer.apical_positions, self.monolayer.basal_positions])

    @positions.setter
    def positions(self, values: np.ndarray) -> None:
        n = self.monolayer.n_vertices
        self.monolayer.apical_positions[:] = values[:n]
        self.monolayer.basal_positions[:] = values[n:]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self._owners)

    def parameter(self, name: str) -> np.ndarray:
        return np.broadcast_to(getattr(self._owners[name], name), (self.n_cells,))

    def set_parameters(self, **values) -> None:
        for name, value in values.items():
            setattr(self._owners[name], name, np.array(value, float))

    def forces(self) -> np.ndarray:
        layers, ingredients = self.integrator.forces(self.monolayer)
        # the stiffness bound's ingredients, measured on the way, for a move that starts from these forces
        self._last_forces = (np.concatenate(layers), ingredients)
        return self._last_forces[0]

    def set_time(self, time: float) -> None:
        """Terms that change in time (a squeezed vitelline membrane) to this time."""
        self.model.set_time(time)

    def move(self, h: float, velocity: np.ndarray | None = None, forces: np.ndarray | None = None) -> None:
        n = self.monolayer.n_vertices
        start = {}
        if forces is not None:
            measured = self._last_forces[1] if forces is self._last_forces[0] else None
            start = {"forces": (forces[:n], forces[n:]), "ingredients": measured}
        self.integrator.step(self.monolayer, h, v_ext=None if velocity is None else (velocity[:n], velocity[n:]),
                             **start)

    def apply_topology(self, divide: np.ndarray | None = None):
        from .monolayer_topology import apply_monolayer_topology

        rules = self.rules
        events = apply_monolayer_topology(self.monolayer, t1_length=rules.t1_length,
                                          division_area=rules.division_area, divide=divide,
                                          division_axis=rules.division_axis,
                                          extrusion_volume=rules.extrusion_volume)
        if len(events.divisions) or len(events.removed_ids):
            self.model.carry(events)
            self.reference = {name: events.carry(values) for name, values in self.reference.items()}
            for name in ("apical_area", "basal_area"):
                self.reference[name][events.divisions.ravel()] *= 0.5
        return events

    def cell_centres(self) -> np.ndarray:
        """Mean of each cell's apical and basal vertices, (Nc, 3): a point inside the cell."""
        rings = self.sheet.rings()
        start, vertex = rings.cell_start, rings.ring_vertex
        apical, basal = self.monolayer.apical_positions[vertex], self.monolayer.basal_positions[vertex]
        if self.sheet.periodic:   # about the cell's first vertex, by minimum images
            first = np.repeat(apical[start[:-1]], np.diff(start), axis=0)
            apical = first + minimum_images(self.sheet.boundary, apical - first)
            basal = first + minimum_images(self.sheet.boundary, basal - first)
        total = np.add.reduceat(apical + basal, start[:-1], axis=0)
        return total / (2 * np.diff(start))[:, None]

    def measures(self) -> np.ndarray:
        """The monolayer's per-cell table (cells.monolayer: APICAL_AREA, ..., HEIGHT)."""
        return self.monolayer.measures()

    def state(self) -> dict[str, np.ndarray]:
        state = {f"sheet/{name}": values for name, values in self.sheet.state().items()}
        state["basal"] = self.monolayer.basal.copy()
        state.update({f"reference/{name}": values.copy() for name, values in self.reference.items()})
        return state

    def load_state(self, state: dict[str, np.ndarray]) -> None:
        self.sheet.load_state({name[6:]: values for name, values in state.items() if name.startswith("sheet/")})
        self.monolayer.basal = np.array(state["basal"])
        self.reference = {name: np.array(state[f"reference/{name}"]) for name in self.reference}
