"""Every key a scenario file may hold (the README's key reference follows this file)."""

from __future__ import annotations

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
        "K": NON_NEGATIVE,          # area stiffness
        "A0": NON_NEGATIVE,         # target area
        "Gamma": NON_NEGATIVE,      # perimeter contractility
        "Lambda": Number(),         # line tension (may be negative: adhesion)
        "Lambda_planar": Number(),  # planar-polarised tension on junctions across planar_axis
        "planar_axis": ListOf(Number(), length=3),
        "xi": POSITIVE,             # vertex friction
        "t1_length": POSITIVE,      # T1 swap threshold
    },
    required=("K", "A0", "Gamma", "Lambda"),
)

CELLS = Mapping(
    {
        "geometry": GEOMETRY,
        "mechanics": MECHANICS,
        "division": Mapping({"area": POSITIVE, "axis": Either((Choice(("long",)),
                                                               ListOf(Number(), length=3)))}),
        "extrusion": Mapping({"area": POSITIVE}),
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

GENES = Mapping(
    {
        "model": Text(),            # SBML file, relative to the scenario file
        "antimony": Text(),         # or an inline Antimony model
        "solver": Choice(("batched", "tellurium"), default="batched"),
        "method": Choice(("explicit", "stiff"), default="explicit"),   # batched integrator
        "rtol": POSITIVE, "atol": POSITIVE,
        "initial": Dictionary(INITIAL_VALUE, default={}),
        "parameters": Dictionary(Number(), default={}),   # SBML parameter values for every cell
        "inputs": Dictionary(Text(), default={}),
        "outputs": Dictionary(Either((PARAMETER_OUTPUT, TRIGGER)), default={}),
    },
)

FLOW = Mapping(
    {
        "mu": POSITIVE,
        "gamma": NON_NEGATIVE,
        "mesh_size": POSITIVE,
        "compressible": Boolean(default=False),
        "bulk_viscosity": POSITIVE,
        "boundary": Choice(("noslip", "free", "slip"), default="free"),
        "padding": NON_NEGATIVE,     # planar: margin of fluid around the sheet
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
