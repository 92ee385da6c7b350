"""Cell scale of morphosim: a numba vertex model on planar sheets and curved shells.

    sheet = Sheet.voronoi(200, box=(14, 14), periodic=True, lloyd=3, seed=1)
    model = VertexModel(K=1.0, A0=1.0, Gamma=0.04, Lambda=0.12)
    integrator = Overdamped(model, xi=1.0)
    for step in range(100):
        integrator.step(sheet, dt=0.05)                 # dr/dt = F/xi (+ v_ext)
        events = apply_topology(sheet, t1_length=0.05, division_area=2.0)
        model.carry(events)                             # only needed for per-cell parameter arrays

Layout: :mod:`.sheet` (half-edge arrays, constructors, check), :mod:`.boundary` (the planar,
periodic and shell boundary conditions: displacement, wrapping, projection), :mod:`.geometry`
(areas, perimeters, centroids, shape tensors, adjacency), :mod:`.energy` (energy terms, forces),
:mod:`.planar_polarity` (planar-polarised tension), :mod:`.dynamics` (overdamped integrator, FIRE),
:mod:`.topology` (T1, division, extrusion, lineage).
This package imports no other morphosim scale.

The hot kernels read the mesh through contiguous per-cell rings (:mod:`.rings`, rebuilt only
after topology changes). The forces are gathered, not scattered: passes over the edges, the cells
and the vertices (planar sheets add one over the edges again), each thread writing only its own
share of rows, in one parallel region (:mod:`morphosim.threads`), so the sums do not depend on the
number of threads; sheets under 5,000 vertices run on one thread. An integrator step runs all its
sub-steps in one such region, applying each vertex's force as it is summed. Kernels take their
arrays in named records (``Sheet.mesh()``, ``geometry.SheetArrays``, ``energy.CellCoefficients``, ...),
never more than eight arguments.
"""

from .dynamics import Overdamped, move_vertices, relax
from .bodies import MonolayerBody, SheetBody, TopologyRules
from .energy import AreaElasticity, Coefficients, LineTension, ParameterError, PerimeterContractility, VertexModel
from .planar_polarity import PlanarPolarisedTension
from .monolayer import Monolayer
from .monolayer_energy import (ApicalContractility, ApicalLineTension, MonolayerModel, Squeeze, SurfaceTensions,
                               VitellineMembrane, VolumeElasticity, YolkElasticity)
from .monolayer_dynamics import MonolayerOverdamped, relax_monolayer
from .monolayer_topology import apply_monolayer_topology, monolayer_divide, monolayer_extrude, monolayer_t1
from .geometry import (Geometry, cell_areas, cell_centroids, cell_normals, cell_perimeters, compute_geometry,
                       edge_lengths, edge_vectors, long_axes, neighbours, shape_tensors)
from .sheet import Sheet, SheetError
from .topology import (TopologyEvents, apply_topology, default_extrusion_area, default_t1_length, divide_cell,
                       extrude_cell, t1_swap)

__all__ = [
    "Sheet", "SheetError", "VertexModel", "AreaElasticity", "PerimeterContractility", "LineTension",
    "PlanarPolarisedTension", "Coefficients", "ParameterError", "Overdamped", "move_vertices", "relax", "Geometry", "compute_geometry",
    "cell_areas", "cell_perimeters", "cell_centroids", "cell_normals", "edge_lengths", "edge_vectors",
    "shape_tensors", "long_axes", "neighbours", "TopologyEvents", "apply_topology",
    "t1_swap", "divide_cell", "extrude_cell", "default_t1_length", "default_extrusion_area",
    "Monolayer", "MonolayerModel", "SurfaceTensions", "VolumeElasticity",
    "ApicalContractility", "ApicalLineTension", "YolkElasticity", "VitellineMembrane", "Squeeze",
    "MonolayerOverdamped", "relax_monolayer", "apply_monolayer_topology", "monolayer_t1", "monolayer_divide",
    "monolayer_extrude", "SheetBody", "MonolayerBody", "TopologyRules",
]
