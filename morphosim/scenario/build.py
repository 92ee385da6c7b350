"""Build a Simulation from a checked scenario (see morphosim.scenario.load_scenario).

Name checks that need the SBML model (inputs, outputs, initial states, secretion) run in
`model_problems`, so `morphosim validate` reports them too, before any work is done.
"""

from __future__ import annotations

import numpy as np

from morphosim.cells import (AreaElasticity, LineTension, PerimeterContractility, PlanarPolarisedTension, Sheet,
                             VertexModel, default_extrusion_area, default_t1_length)
from morphosim.coupling.flow import FlowCoupling, tissue_mesh
from morphosim.coupling.outputs import outputs_from_scenario
from morphosim.coupling.simulation import GeneCoupling, Simulation, TopologyRules
from morphosim.errors import InputError

from . import ScenarioError, problem_at


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
            problems.append(problem_at(scenario, root, key_path,
                                       f"{name!r} is not {what} of the model; it has: {', '.join(known)}"))

    for parameter, source in genes["inputs"].items():
        check(f"genes.inputs.{parameter}", parameter, parameters, "a parameter")
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
    return problems


def build_sheet(scenario: dict) -> Sheet:
    geometry = scenario["cells"]["geometry"]
    kind, seed = geometry["kind"], scenario["seed"]
    area = geometry.get("cell_area", scenario["cells"]["mechanics"]["A0"] or 1.0)
    try:
        if kind == "hexagonal":
            return Sheet.hexagonal(geometry["rows"], geometry["cols"], periodic=geometry["periodic"],
                                   cell_area=area)
        if kind == "voronoi":
            return Sheet.voronoi(geometry["n_cells"], box=tuple(geometry["box"]), periodic=geometry["periodic"],
                                 lloyd=geometry["lloyd"], seed=seed)
        if kind == "polygons":
            return Sheet.from_polygons(np.asarray(geometry["vertices"], float), geometry["cells"])
        return Sheet.ellipsoid_shell(geometry["n_cells"], radii=tuple(geometry["radii"]), seed=seed)
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


def build_tissue(scenario: dict, sheet: Sheet):
    """(FlowCoupling, Transport or None) for the scenario's tissue section, or (None, None)."""
    flow_spec = (scenario.get("tissue") or {}).get("flow")
    if not flow_spec:
        return None, None
    from morphosim import tissue

    mesh = tissue_mesh(sheet, flow_spec["mesh_size"], flow_spec.get("padding"))
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


def build_simulation(scenario: dict) -> Simulation:
    sheet = build_sheet(scenario)
    cells = scenario["cells"]
    mechanics = cells["mechanics"]
    n = sheet.n_cells
    model = build_model(scenario, n)
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
    flow, transport = build_tissue(scenario, sheet)
    dies = genes is not None and any(trigger.target == "die" for trigger in genes.triggers)
    extrusion = (cells.get("extrusion") or {}).get("area", default_extrusion_area(mechanics["A0"]) if dies else None)
    division = cells.get("division") or {}
    axis = division.get("axis", "long")
    topology = TopologyRules(
        t1_length=mechanics.get("t1_length", default_t1_length(mechanics["A0"])),
        division_area=division.get("area"),
        division_axis=None if axis == "long" else np.asarray(axis, float),
        extrusion_area=extrusion,
    )
    return Simulation(sheet, model, mechanics.get("xi", 1.0), genes=genes, flow=flow, transport=transport,
                      topology=topology, cell_substeps=scenario["time"]["cell_substeps"], dt=scenario["time"]["dt"],
                      scenario=scenario)
