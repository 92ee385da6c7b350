"""Cells <-> tissue: vertex forces load the flow once, vertices move with it (docs/DESIGN.md).

    fluid load      b = Bᵀ F            (each vertex force enters the fluid exactly once)
    vertex motion   dr/dt = (B v)_v + F_v / ξ

B holds the velocity basis functions evaluated at the vertex positions (tissue.PointOperator).
Because the same B spreads and interpolates, Σ F·(B v) = b·v: the power the cells put in is the
power the fluid dissipates, and forces that sum to zero (a free tissue) push no net momentum.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from morphosim.cells import Sheet

if TYPE_CHECKING:   # the tissue scale (DOLFINx) loads when a flow is built, not on import
    from morphosim.tissue import PointOperator, StokesBrinkman


def tissue_mesh(sheet: Sheet, mesh_size: float, padding: float | None = None, volume: bool = False,
                shell: float | None = None):
    """The fixed tissue mesh that carries the cells' flow: the ellipsoid's surface for a shell, the
    periodic box for a periodic sheet, else the sheet's bounding box plus `padding` of fluid
    around it (default: a quarter of the sheet's larger side). With `volume` (a 3D monolayer in
    its egg), the tetrahedral ellipsoid of the shell's radii, refined to mesh_size / 2 within
    `shell` (a length) under its surface, where the cells are."""
    from morphosim import tissue

    if volume:
        return tissue.ellipsoid_volume_mesh(tuple(sheet.radii), mesh_size, shell=shell)
    if sheet.is_shell:
        return tissue.ellipsoid_surface_mesh(tuple(sheet.radii), mesh_size)
    if sheet.periodic:
        return tissue.rectangle_mesh(sheet.box[0], sheet.box[1], mesh_size, periodic=True)
    lo, hi = sheet.positions[:, :2].min(axis=0), sheet.positions[:, :2].max(axis=0)
    padding = 0.25 * float(max(hi - lo)) if padding is None else padding
    size = hi - lo + 2 * padding
    return tissue.rectangle_mesh(size[0], size[1], mesh_size, origin=tuple(lo - padding))


class FlowCoupling:
    """Solves the tissue flow driven by vertex forces and samples it at vertices and centroids."""

    def __init__(self, flow: StokesBrinkman):
        from morphosim.tissue.meshes import linear_triangles

        self.flow = flow
        self.vertices: PointOperator | None = None
        self.centroids: PointOperator | None = None
        self._centroid_points: np.ndarray | None = None   # where `centroids` was last located
        self.velocity = None   # dolfinx Function of the last solve
        # the output mesh of a planar or surface flow; a volume flow is recorded at the cells
        self.mesh_points = self.mesh_triangles = None
        if flow.mesh.topology.dim == 2:
            self.mesh_points, self.mesh_triangles = linear_triangles(flow.mesh)
        self._mesh_probe: PointOperator | None = None

    @staticmethod
    def _located(operator: PointOperator | None, flow: StokesBrinkman, points: np.ndarray) -> PointOperator:
        if operator is None:
            return flow.point_operator(points)
        operator.update(points)
        return operator

    def _at_centroids(self, points: np.ndarray) -> PointOperator:
        """The centroid operator located at `points`; kept as it is when they are where it was last
        located (a frame samples the strain rate and the velocity at the same centroids)."""
        if self.centroids is None or not np.array_equal(self._centroid_points, points):
            self.centroids = self._located(self.centroids, self.flow, points)
            self._centroid_points = np.array(points)   # a copy: callers update their arrays in place
        return self.centroids

    def vertex_velocity(self, positions: np.ndarray, forces: np.ndarray) -> np.ndarray:
        """B v for the flow driven by b = Bᵀ F: the tissue velocity at every vertex, (Nv, 3)."""
        self.vertices = self._located(self.vertices, self.flow, positions)
        self.velocity, _ = self.flow.solve(load=self.vertices.spread(forces))
        if not np.isfinite(self.velocity.x.array).all():
            raise FloatingPointError("the flow solve returned NaN or inf (singular or ill-posed operator)")
        return self.vertices.interpolate(self.velocity)

    def strain_rate_at(self, points: np.ndarray) -> np.ndarray:
        """ε(v) of the last solve at points, (N, 3, 3); zero before the first solve."""
        if self.velocity is None:
            return np.zeros((len(points), 3, 3))
        return self._at_centroids(points).strain_rate(self.velocity)

    def velocity_at(self, points: np.ndarray) -> np.ndarray:
        """v of the last solve at points, (N, 3); zero before the first solve."""
        if self.velocity is None:
            return np.zeros((len(points), 3))
        return self._at_centroids(points).interpolate(self.velocity)

    def fields_on_mesh(self, transport=None) -> dict[str, np.ndarray]:
        """Velocity (Np, 3) and every morphogen (Np,) at the output mesh points (none for a volume flow)."""
        if self.mesh_points is None:
            return {}
        if self._mesh_probe is None:
            self._mesh_probe = self.flow.point_operator(self.mesh_points)
        velocity = (self._mesh_probe.interpolate(self.velocity) if self.velocity is not None
                    else np.zeros((len(self.mesh_points), 3)))
        fields = {"velocity": velocity}
        if transport is not None:
            fields.update(transport.values_at(self.mesh_points))
        return fields
