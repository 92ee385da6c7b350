"""Build a Simulation from a checked scenario (see morphosim.scenario.load_scenario).

Name checks that need the SBML model (inputs, outputs, initial states, secretion) run in
`model_problems`, so `morphosim validate` reports them too, before any work is done.
"""

from __future__ import annotations

import numpy as np

from morphosim.cells import (ApicalContractility, ApicalLineTension, AreaElasticity, LineTension, Monolayer,
                             MonolayerModel, PerimeterContractility, PlanarPolarisedTension, Sheet, VertexModel,
                             Squeeze, VitellineMembrane, relax_monolayer, default_extrusion_area, default_t1_length)
from morphosim.cells.bodies import MonolayerBody, SheetBody, TopologyRules
from morphosim.cells.ellipsoid import smallest_curvature_radius
from morphosim.cells.monolayer_planar import MonolayerPlanarTension
from morphosim.coupling.flow import FlowCoupling, tissue_mesh
from morphosim.coupling.inputs import input_source
from morphosim.coupling.outputs import outputs_from_scenario
from morphosim.coupling.simulation import GeneCoupling, Simulation
from morphosim.errors import InputError

from . import ScenarioError, problem_at
from .solvers import solver_problem


def load_network(genes: dict):
    from morphosim import genes as gene_scale

    source = genes.get("model") or genes.get("antimony")
    try:
        return gene_scale.load(source)
    except InputError as error:
        key = "genes.model" if genes.get("model") else "genes.antimony"
        raise InputError(f"{key}: {error}") from None


def model_problems(scenario: dict, root) -> list:
    """Names in the scenario that the SBML model does not have (each a Problem)."""
    genes = scenario.get("genes")
    if not genes:
        return []
    network = load_network(genes)
    species, parameters = list(network.species), list(network.parameters)
    problems = []

    def check(key_path: str, name: str, known: list[str], what: str) -> None:
        if name not in known:
            has = f"it has: {', '.join(known)}" if known else "it has none"
            if not known and what == "a parameter" and network.local_parameters:
                has = (f"it has no global parameter, only parameters local to reactions "
                       f"{', '.join(network.local_parameters)}, which cells cannot set; "
                       f"declare {name!r} at model level")
            problems.append(problem_at(scenario, root, key_path, f"{name!r} is not {what} of the model; {has}"))

    for parameter, spec in genes["inputs"].items():
        check(f"genes.inputs.{parameter}", parameter, parameters, "a parameter")
        source = input_source(spec)
        if source.startswith("neighbours."):
            check(f"genes.inputs.{parameter}", source.split(".", 2)[2], species, "a species")
    for target, output in genes["outputs"].items():
        check(f"genes.outputs.{target}.species", output["species"], species, "a species")
    for name in genes["initial"]:
        check(f"genes.initial.{name}", name, species, "a species")
    for name in genes["parameters"]:
        key_path = f"genes.parameters.{name}"
        check(key_path, name, parameters, "a parameter")
        if network.rule_of(name):
            problems.append(problem_at(scenario, root, key_path, f"{name!r} is set by an {network.rule_of(name)} "
                                       "rule of the model; give a value to the parameters the rule reads"))
        if name in genes["inputs"]:
            problems.append(problem_at(scenario, root, key_path, f"{name!r} is also in genes.inputs, which sets "
                                       "it every step; remove it from one of the two"))
    for name, spec in ((scenario.get("tissue") or {}).get("fields") or {}).items():
        if spec.get("secreted_by"):
            check(f"tissue.fields.{name}.secreted_by", spec["secreted_by"], species, "a species")
    refused = solver_problem(network, genes["solver"])
    if refused:
        problems.append(problem_at(scenario, root, "genes.solver", refused))
    return problems


def build_sheet(scenario: dict) -> Sheet:
    geometry = scenario["cells"]["geometry"]
    kind, seed = geometry["kind"], scenario["seed"]
    area = geometry.get("cell_area", scenario["cells"]["mechanics"].get("A0") or 1.0)
    try:
        if kind == "hexagonal":
            return Sheet.hexagonal(geometry["rows"], geometry["cols"], periodic=geometry["periodic"],
                                   cell_area=area)
        if kind == "voronoi":
            return Sheet.voronoi(geometry["n_cells"], box=tuple(geometry["box"]), periodic=geometry["periodic"],
                                 lloyd=geometry["lloyd"], seed=seed)
        if kind == "polygons":
            return Sheet.from_polygons(np.asarray(geometry["vertices"], float), geometry["cells"])
        return Sheet.ellipsoid_shell(geometry["n_cells"], radii=tuple(geometry["radii"]), seed=seed,
                                     seeds=geometry["seeds"], tessellation=geometry["tessellation"])
    except ValueError as error:
        raise InputError(f"cells.geometry: {error}") from None


def initial_gene_states(population, initial: dict, rng: np.random.Generator) -> None:
    """Set species from numbers or distributions, in the scenario's order (deterministic)."""
    n = len(population)
    values = {}
    for name, spec in initial.items():
        if isinstance(spec, dict) and "uniform" in spec:
            values[name] = rng.uniform(*spec["uniform"], size=n)
        elif isinstance(spec, dict):
            values[name] = rng.normal(*spec["normal"], size=n)
        else:
            values[name] = np.full(n, float(spec))
    if values:
        population.set_state(values)


def build_tissue(scenario: dict, sheet: Sheet, volume: bool = False):
    """(FlowCoupling, Transport or None) for the scenario's tissue section, or (None, None)."""
    flow_spec = (scenario.get("tissue") or {}).get("flow")
    if not flow_spec:
        return None, None
    from morphosim import tissue

    mesh = tissue_mesh(sheet, flow_spec["mesh_size"], flow_spec.get("padding"), volume=volume,
                       shell=flow_spec.get("shell"))
    flow = tissue.StokesBrinkman(mesh, mu=flow_spec["mu"], gamma=flow_spec.get("gamma", 0.0),
                                 compressible=flow_spec["compressible"],
                                 bulk_viscosity=flow_spec.get("bulk_viscosity", 0.0),
                                 boundary=flow_spec["boundary"])
    fields = scenario["tissue"]["fields"]
    transport = None
    if fields:
        transport = tissue.Transport(mesh, {name: {"D": spec["D"], "k": spec["k"]} for name, spec in fields.items()},
                                     flow.velocity_space)
        for name, spec in fields.items():
            transport.set_concentration(name, spec["initial"])
    return FlowCoupling(flow), transport


def build_model(scenario: dict, n_cells: int) -> VertexModel:
    """The standard vertex energy with per-cell parameters, plus planar-polarised tension when the
    scenario sets it (cells.mechanics.Lambda_planar or a gene output onto it)."""
    mechanics = scenario["cells"]["mechanics"]
    per_cell = lambda name: np.full(n_cells, float(mechanics.get(name, 0.0)))  # noqa: E731
    terms = [AreaElasticity(per_cell("K"), per_cell("A0")), PerimeterContractility(per_cell("Gamma")),
             LineTension(per_cell("Lambda"))]
    outputs = (scenario.get("genes") or {}).get("outputs") or {}
    if "Lambda_planar" in mechanics or "Lambda_planar" in outputs:
        terms.append(PlanarPolarisedTension(per_cell("Lambda_planar"), mechanics.get("planar_axis", (1.0, 0.0, 0.0))))
    return VertexModel(terms=terms)


# cells no taller than this fraction of the egg's smallest radius of curvature, so that their basal
# faces stay the right way round (cells.ellipsoid)
POLE_HEIGHT_FRACTION = 0.7


def build_monolayer(scenario: dict, sheet: Sheet) -> tuple[Monolayer, MonolayerModel]:
    """The sheet extruded into a 3D monolayer (cells.monolayer), and its energy: surface tensions,
    volume elasticity (V0 by default each cell's initial volume), apical contractility and line
    tension, planar-polarised tension, yolk and vitelline membrane where the scenario sets them (or a
    gene output drives them)."""
    spec, mechanics = scenario["cells"]["monolayer"], scenario["cells"]["mechanics"]
    outputs = (scenario.get("genes") or {}).get("outputs") or {}
    height = spec["height"]
    if sheet.is_shell:   # where the egg curves more tightly than the cells are tall (its poles)
        height = np.minimum(height, POLE_HEIGHT_FRACTION * smallest_curvature_radius(sheet.positions, sheet.radii))
    try:
        monolayer = Monolayer.from_sheet(sheet, height, apical=spec["apical"])
    except ValueError as error:
        raise InputError(f"cells.monolayer: {error}") from None
    n = monolayer.n_cells
    per_cell = lambda name: np.full(n, float(mechanics.get(name, 0.0)))  # noqa: E731
    wanted = lambda name: name in mechanics or name in outputs  # noqa: E731
    terms = [term(**{name: per_cell(name)}) for name, term in (("Gamma", ApicalContractility),
                                                              ("Lambda", ApicalLineTension)) if wanted(name)]
    if wanted("Lambda_planar"):
        terms.append(MonolayerPlanarTension(per_cell("Lambda_planar"), mechanics.get("planar_axis", (1.0, 0.0, 0.0)),
                                            basal=mechanics.get("planar_basal", False)))
    if spec.get("vitelline_stiffness") is not None and sheet.is_shell:
        squeeze = spec.get("squeeze")
        if squeeze:
            squeeze = Squeeze("xyz".index(squeeze["axis"]), squeeze["fraction"], squeeze["start"], squeeze["ramp"])
        terms.append(VitellineMembrane(sheet.radii, spec["vitelline_stiffness"], squeeze=squeeze or None))
    model = MonolayerModel(
        apical_tension=per_cell("apical_tension"), basal_tension=per_cell("basal_tension"),
        lateral_tension=per_cell("lateral_tension"), volume_stiffness=per_cell("volume_stiffness"),
        V0=per_cell("V0") if "V0" in mechanics else monolayer.volumes(),
        yolk_stiffness=spec.get("yolk_stiffness") if sheet.is_shell else None, terms=terms)
    if spec.get("relax_steps"):   # start near rest: strains (gene inputs) are measured from here
        relax_monolayer(monolayer, model, max_steps=spec["relax_steps"])
    return monolayer, model


def build_body(scenario: dict, sheet: Sheet, dies: bool) -> SheetBody | MonolayerBody:
    """The cells as the coupling steps them: a sheet, or the 3D monolayer of cells.monolayer."""
    cells = scenario["cells"]
    mechanics = cells["mechanics"]
    extrusion = cells.get("extrusion") or {}
    if cells.get("monolayer"):
        monolayer, model = build_monolayer(scenario, sheet)
        # the T1 default scales with the mean apical area, as a sheet's with A0; a dying cell
        # (V0 -> 0) leaves at 5 % of the mean volume, as a sheet's at 5 % of A0
        typical_area = float(monolayer.apical_areas().mean())
        extrusion_volume = extrusion.get("volume", 0.05 * float(monolayer.volumes().mean()) if dies else None)
        extrusion_area = None
    else:
        model, typical_area = build_model(scenario, sheet.n_cells), mechanics["A0"]
        extrusion_area = extrusion.get("area", default_extrusion_area(typical_area) if dies else None)
        extrusion_volume = None
    division = cells.get("division") or {}
    axis = division.get("axis", "long")
    rules = TopologyRules(
        t1_length=mechanics.get("t1_length", default_t1_length(typical_area)),
        division_area=division.get("area"),
        division_axis=None if axis == "long" else np.asarray(axis, float),
        extrusion_area=extrusion_area,
        extrusion_volume=extrusion_volume,
    )
    if cells.get("monolayer"):
        return MonolayerBody(monolayer, model, mechanics.get("xi", 1.0), rules)
    return SheetBody(sheet, model, mechanics.get("xi", 1.0), rules)


def build_simulation(scenario: dict) -> Simulation:
    sheet = build_sheet(scenario)
    n = sheet.n_cells
    rng = np.random.default_rng(scenario["seed"])
    genes = None
    if scenario.get("genes"):
        spec = scenario["genes"]
        tolerances = {key: spec[key] for key in ("rtol", "atol") if key in spec}
        if spec["solver"] == "batched":
            tolerances["method"] = spec["method"]
        population = load_network(spec).population(n, solver=spec["solver"], **tolerances)
        for name, value in spec["parameters"].items():
            population.set_parameter(name, value)
        initial_gene_states(population, spec["initial"], rng)
        parameter_maps, triggers = outputs_from_scenario(spec["outputs"])
        secretion = {name: field["secreted_by"] for name, field in
                     ((scenario.get("tissue") or {}).get("fields") or {}).items() if field.get("secreted_by")}
        genes = GeneCoupling(population, dict(spec["inputs"]), parameter_maps, triggers, secretion)
    dies = genes is not None and any(trigger.target == "die" for trigger in genes.triggers)
    body = build_body(scenario, sheet, dies)
    flow, transport = build_tissue(scenario, sheet, volume=body.kind == "monolayer")
    return Simulation(body, genes=genes, flow=flow, transport=transport, cell_substeps=scenario["time"]["cell_substeps"], dt=scenario["time"]["dt"],
                      scenario=scenario)
