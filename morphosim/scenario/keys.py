"""Every key a scenario file may hold (the README's key reference follows this file)."""

from __future__ import annotations

from morphosim.coupling.outputs import OUTPUTS

from .schema import (Boolean, Choice, Dictionary, Either, ListOf, Mapping, Number, Text)

POSITIVE = Number(minimum=0.0, exclusive_minimum=True)
NON_NEGATIVE = Number(minimum=0.0)
COUNT = Number(minimum=1, integer=True)

GEOMETRY = Mapping(
    {
        "kind": Choice(("hexagonal", "voronoi", "polygons", "ellipsoid_shell")),
        "rows": COUNT, "cols": COUNT,                          # hexagonal
        "n_cells": COUNT,                                      # voronoi, ellipsoid_shell
        "box": ListOf(POSITIVE, length=2),                     # voronoi
        "lloyd": Number(minimum=0, integer=True, default=2),   # voronoi
        "radii": ListOf(POSITIVE, length=3),                   # ellipsoid_shell
        "seeds": Choice(("random", "even"), default="random"),  # ellipsoid_shell: "even" = equal areas (spheroid)
        # ellipsoid_shell: Voronoi cells on the unit sphere scaled onto the ellipsoid, or on the ellipsoid itself
        "tessellation": Choice(("sphere", "surface"), default="sphere"),
        "periodic": Boolean(default=False),
        "cell_area": POSITIVE,
        "vertices": ListOf(ListOf(Number(), min_length=2)),    # polygons
        "cells": ListOf(ListOf(Number(minimum=0, integer=True), min_length=3)),
    },
    required=("kind",),
)

# Which geometry keys each kind needs.
GEOMETRY_REQUIRES = {
    "hexagonal": ("rows", "cols"),
    "voronoi": ("n_cells", "box"),
    "polygons": ("vertices", "cells"),
    "ellipsoid_shell": ("n_cells", "radii"),
}

MECHANICS = Mapping(
    {
        "K": NON_NEGATIVE,          # sheet: area stiffness
        "A0": NON_NEGATIVE,         # sheet: target area
        "apical_tension": Number(),     # monolayer: surface tensions of the apical, basal, lateral faces
        "basal_tension": Number(),
        "lateral_tension": Number(),
        "volume_stiffness": POSITIVE,   # monolayer: K_V
        "V0": POSITIVE,                 # monolayer: target volume (default: each cell's initial volume)
        "Gamma": NON_NEGATIVE,      # (apical) perimeter contractility
        "Lambda": Number(),         # (apical) line tension (may be negative: adhesion)
        "Lambda_planar": Number(),  # planar-polarised tension on junctions across planar_axis
        "planar_axis": ListOf(Number(), length=3),
        "planar_basal": Boolean(),  # monolayer: Lambda_planar on the basal sides too (default false)
        "xi": POSITIVE,             # vertex friction
        "t1_length": POSITIVE,      # T1 swap threshold
    },
)

# Which mechanics keys each cell body needs (and may have).
MECHANICS_REQUIRES = {
    "sheet": ("K", "A0", "Gamma", "Lambda"),
    "monolayer": ("apical_tension", "basal_tension", "lateral_tension", "volume_stiffness"),
}
MECHANICS_ONLY = {"sheet": ("K", "A0"), "monolayer": ("apical_tension", "basal_tension", "lateral_tension",
                                                      "volume_stiffness", "V0", "planar_basal")}

# A 3D monolayer: the geometry's cells become the apical faces, extruded inward (apical: out) by height
# (on a shell, at most 0.7 of the local radius of curvature: shorter cells at the poles of an egg).
MONOLAYER = Mapping(
    {
        "height": POSITIVE,
        "apical": Choice(("out", "in"), default="out"),
        "yolk_stiffness": NON_NEGATIVE,        # K_Y of the volume inside the basal surface (a shell)
        "vitelline_stiffness": NON_NEGATIVE,   # the membrane at the geometry's radii (a shell)
        "relax_steps": Number(minimum=0, integer=True),   # L-BFGS steps towards rest before t = 0
        # the egg pressed along one axis: the membrane's radius shrinks by fraction over ramp from start
        "squeeze": Mapping({"axis": Choice(("x", "y", "z")), "fraction": Number(minimum=0.0, maximum=0.5),
                            "start": NON_NEGATIVE, "ramp": POSITIVE},
                           required=("axis", "fraction", "start", "ramp")),
    },
    required=("height",),
)

CELLS = Mapping(
    {
        "geometry": GEOMETRY,
        "mechanics": MECHANICS,
        "monolayer": MONOLAYER,
        "division": Mapping({"area": POSITIVE, "axis": Either((Choice(("long",)),
                                                               ListOf(Number(), length=3)))}),
        "extrusion": Mapping({"area": POSITIVE, "volume": POSITIVE}),   # a sheet's area, a monolayer's volume
    },
    required=("geometry", "mechanics"),
)

# Initial gene states: a number, or a distribution.
INITIAL_VALUE = Either((
    Number(),
    Mapping({"uniform": ListOf(Number(), length=2)}, required=("uniform",)),
    Mapping({"normal": ListOf(Number(), length=2)}, required=("normal",)),
), label="a number, {uniform: [lo, hi]} or {normal: [mean, sd]}")

# A species mapped onto a per-cell mechanical parameter.
PARAMETER_OUTPUT = Mapping(
    {
        "species": Text(),
        "base": Number(default=0.0),
        "gain": Number(default=1.0),
        "law": Choice(("linear", "hill"), default="linear"),
        "half": POSITIVE,          # Hill: half-saturation level
        "hill_n": POSITIVE,        # Hill coefficient
    },
    required=("species",),
)

TRIGGER = Mapping(
    {"species": Text(), "above": Number(), "below": Number()},
    required=("species",),
)

# A gene input: a source name, or scale · source + offset.
INPUT = Either((
    Text(),
    Mapping({"source": Text(), "scale": Number(default=1.0), "offset": Number(default=0.0)}, required=("source",)),
), label="an input source name or {source, scale, offset}")

def output_spec(target: str) -> Mapping | None:
    """A known output's own spec (so a misspelt key inside it is named), None for an unknown one."""
    if target not in OUTPUTS:
        return None
    return TRIGGER if OUTPUTS[target].kind == "trigger" else PARAMETER_OUTPUT


GENES = Mapping(
    {
        "model": Text(),            # SBML file, relative to the scenario file
        "antimony": Text(),         # or an inline Antimony model
        "solver": Choice(("batched", "tellurium"), default="batched"),
        "method": Choice(("explicit", "stiff"), default="explicit"),   # batched integrator
        "rtol": POSITIVE, "atol": POSITIVE,
        "initial": Dictionary(INITIAL_VALUE, default={}),
        "parameters": Dictionary(Number(), default={}),   # SBML parameter values for every cell
        "inputs": Dictionary(INPUT, default={}),
        "outputs": Dictionary(Either((PARAMETER_OUTPUT, TRIGGER)), default={}, value_for=output_spec),
    },
)

FLOW = Mapping(
    {
        "mu": POSITIVE,
        "gamma": NON_NEGATIVE,
        "mesh_size": POSITIVE,
        "compressible": Boolean(default=False),
        "bulk_viscosity": POSITIVE,  # λ of σ = 2μ ε + λ tr ε I (compressible); a sheet's ζ = λ + μ
        "boundary": Choice(("noslip", "free", "slip"), default="free"),
        "padding": NON_NEGATIVE,     # planar: margin of fluid around the sheet
        "shell": POSITIVE,           # monolayer: layer under the egg's surface meshed at mesh_size / 2
    },
    required=("mu", "mesh_size"),
)

FIELD = Mapping(
    {"D": NON_NEGATIVE, "k": NON_NEGATIVE, "secreted_by": Text(), "initial": Number(default=0.0)},
    required=("D", "k"),
)

TISSUE = Mapping({"flow": FLOW, "fields": Dictionary(FIELD, default={})})

TIME = Mapping(
    {"end": POSITIVE, "dt": POSITIVE, "record_every": POSITIVE,
     "cell_substeps": Number(minimum=1, integer=True, default=1)},
    required=("end", "dt"),
)

SCENARIO = Mapping(
    {
        "name": Text(),
        "seed": Number(minimum=0, integer=True, default=0),
        # the names of the units the numbers are in; a scenario without them is non-dimensional
        "units": Mapping({"length": Text(), "time": Text(), "force": Text()},
                         required=("length", "time", "force"), default=None),
        "time": TIME,
        "cells": CELLS,
        "genes": GENES,
        "tissue": TISSUE,
        # checkpoint_every: frames between checkpoints (a resumed run restarts from the last one)
        "output": Mapping({"path": Text(), "checkpoint_every": Number(minimum=1, integer=True, default=1)},
                          required=("path",)),
    },
    required=("name", "time", "cells", "output"),
)
