"""Scenario files: YAML in, a checked dict out (every problem reported with file, line and key path).

    scenario = load_scenario("scenarios/lateral_inhibition.yaml", overrides=["time.end=5"])

Relative paths in the file (genes.model, output.path) resolve against the file's folder.

A variant names the scenario it changes and holds only what differs:

    extends: gastrulation_small.yaml     # in the same folder: relative paths resolve against it
    name: gastrulation_small_squeezed
    cells: {monolayer: {squeeze: {axis: y, fraction: 0.15, start: 2, ramp: 2}}}

Mappings merge key by key (the variant's value wins); a list or a value replaces the base's whole.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from morphosim.errors import InputError

from morphosim.coupling.inputs import INPUTS, find_input, input_source
from morphosim.coupling.outputs import OUTPUTS

from .geometry import geometry_problems
from .keys import GEOMETRY_REQUIRES, MECHANICS_ONLY, MECHANICS_REQUIRES, SCENARIO
from .schema import Context, Problem, ScenarioLoader, compose, file_of, line_of



class ScenarioError(InputError):
    """A scenario with problems; `problems` lists each one, `str()` the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


def problem_at(scenario: dict, root: yaml.Node, key_path: str, message: str) -> Problem:
    """A problem at a key path, with the file and line of that key."""
    return Problem(key_path, file_of(root, key_path) or scenario["_source"]["file"], line_of(root, key_path), message)


def load_scenario(source: str | os.PathLike | Mapping, overrides: Iterable[str] = (), check_model: bool = True,
                  folder: str | os.PathLike | None = None) -> dict[str, Any]:
    """Read, override (`key.path=value`, value in YAML syntax) and check a scenario: a YAML file,
    or a dict checked exactly alike (its problems name key paths; its relative paths resolve
    against `folder`, default the working directory). With check_model, names used in
    genes/tissue are also checked against the SBML model."""
    if isinstance(source, Mapping):
        root, path = _compose_dict(source), Path(folder or os.getcwd()) / DICT_SOURCE
    else:
        path = Path(source)
        root = _compose_file(path)
    context = Context(path.name if path.name == DICT_SOURCE else str(path))
    root = _apply_overrides(root, overrides, context)
    scenario = SCENARIO.check(root, "", context)
    if scenario is not None:
        _check_consistency(scenario, root, path.parent, context)
    if context.problems:
        raise ScenarioError(context.problems)
    scenario["_source"] = {"file": context.source if path.name == DICT_SOURCE else str(path),
                           "folder": str(path.parent.resolve())}
    if check_model and scenario.get("genes"):
        from .build import model_problems

        try:
            problems = model_problems(scenario, root) or solver_problems(scenario, root)
        except InputError as error:
            key = "genes.model" if scenario["genes"].get("model") else "genes.antimony"
            problems = [problem_at(scenario, root, key, str(error).removeprefix(f"{key}: "))]
        if problems:
            raise ScenarioError(problems)
    return scenario


def solver_problems(scenario: dict, root: yaml.Node) -> list[Problem]:
    """The chosen solver's refusal of the model (the one `run` would meet), as a problem at genes.solver."""
    from .build import load_network

    genes = scenario["genes"]
    network = load_network(genes)
    refusal = network.solver_refusal(genes["solver"], genes["method"])
    if refusal is None:
        return []
    if not refusal.startswith(network.name):
        refusal = f"{network.name}: {refusal}"
    return [problem_at(scenario, root, "genes.solver", refusal)]


DICT_SOURCE = "<dict>"   # how problems of a scenario given as a dict name their source


def _compose_file(path: Path, extended_by: tuple[Path, ...] = ()) -> yaml.Node:
    """The node tree of a scenario file, merged onto the file it `extends` (if it names one)."""
    if not path.is_file():
        raise InputError(f"{path}: scenario file not found")
    root = compose(path.read_bytes(), str(path))
    if root is None:
        raise InputError(f"{path}: the scenario file is empty")
    entry = next((pair for pair in root.value if pair[0].value == "extends"), None) \
        if isinstance(root, yaml.MappingNode) else None
    if entry is None:
        return root
    key, value = entry
    where = f"{path}:{key.start_mark.line + 1}: extends"
    if not (isinstance(value, yaml.ScalarNode) and value.tag.endswith(":str") and value.value):
        raise InputError(f"{where}: expected the file name of the scenario this one changes, "
                         "e.g. extends: gastrulation_small.yaml")
    base_path = path.parent / value.value
    if base_path.parent.resolve() != path.parent.resolve():
        raise InputError(f"{where}: {value.value} is not in this file's folder; a variant sits beside "
                         "the scenario it changes (their relative paths resolve against one folder)")
    if base_path.resolve() in {p.resolve() for p in (*extended_by, path)}:
        chain = " -> ".join(p.name for p in (*extended_by, path, base_path))
        raise InputError(f"{where}: the scenarios extend each other in a loop ({chain})")
    if not base_path.is_file():
        raise InputError(f"{where}: {value.value} not found beside {path.name}")
    root.value.remove(entry)
    return _merged(_compose_file(base_path, (*extended_by, path)), root)


def _merged(base: yaml.Node, variant: yaml.Node) -> yaml.Node:
    """`variant` laid over `base`: mappings merge key by key, anything else replaces the base's value."""
    if not (isinstance(base, yaml.MappingNode) and isinstance(variant, yaml.MappingNode)):
        return variant
    merged = list(base.value)
    for key, value in variant.value:
        index = next((i for i, (old, _) in enumerate(merged) if old.value == key.value), None)
        if index is None:
            merged.append((key, value))
        else:
            merged[index] = (key, _merged(merged[index][1], value))
    return yaml.MappingNode(base.tag, merged, base.start_mark, base.end_mark)


def _compose_dict(scenario: Mapping) -> yaml.Node:
    """The YAML node tree of a scenario dict, so that it is checked exactly as a file is."""
    try:
        text = yaml.safe_dump(_plain(scenario), sort_keys=False)
    except yaml.YAMLError as error:
        raise InputError(f"{DICT_SOURCE}: the scenario holds a value that is not a number, string, list or "
                         f"mapping: {error}") from None
    stream = io.StringIO(text)
    stream.name = DICT_SOURCE
    return yaml.compose(stream, Loader=ScenarioLoader)


def _plain(value):
    """Numpy scalars and arrays as Python numbers and lists (what a YAML file would hold)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _apply_overrides(root: yaml.Node, overrides: Iterable[str], context: Context) -> yaml.Node:
    """Replace (or add) the node at each dotted key path by the YAML value after '='."""
    for override in overrides:
        key_path, equals, text = override.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][\w]*(\.[\w]+)*", key_path):
            context.problems.append(Problem(override, "--set", None,
                                            "expected key.path=value, e.g. time.end=5"))
            continue
        try:
            value = compose(text, f"--set {key_path}") or compose("null", "--set")
        except InputError as error:
            reason = re.sub(rf"^--set {re.escape(key_path)}(:\d+)?: ", "", str(error))
            context.problems.append(Problem(key_path, "--set", None, f"not a YAML value: {reason}"))
            continue
        mark = value.start_mark  # a "<unicode string>" mark: problems here are reported as --set
        node = root
        keys = key_path.split(".")
        for depth, key in enumerate(keys):
            if not isinstance(node, yaml.MappingNode):
                context.problems.append(Problem(key_path, "--set", None,
                                                f"{'.'.join(keys[:depth])} is not a mapping"))
                break
            entry = next((pair for pair in node.value if pair[0].value == key), None)
            last = depth == len(keys) - 1
            if entry is None:
                child = value if last else yaml.MappingNode("tag:yaml.org,2002:map", [], mark)
                node.value.append((yaml.ScalarNode("tag:yaml.org,2002:str", key, mark), child))
                node = child
            elif last:
                node.value[node.value.index(entry)] = (entry[0], value)
            else:
                node = entry[1]
    return root


def _check_consistency(scenario: dict, root: yaml.Node, folder: Path, context: Context) -> None:
    """Rules that tie keys together (beyond each key's own type)."""
    def report(key_path: str, message: str) -> None:
        context.problems.append(Problem(key_path, context.source, line_of(root, key_path), message))

    time = scenario.get("time") or {}
    if time.get("end") and time.get("dt") and time["dt"] > time["end"]:
        report("time.dt", f"dt = {time['dt']:g} is longer than time.end = {time['end']:g}")
    if time.get("record_every") and time.get("dt") and time["record_every"] < time["dt"]:
        report("time.record_every", "must be at least time.dt")
    for key in ("end", "record_every"):   # the run steps by dt: anything else would silently stop short
        if time.get(key) and time.get("dt") and time["dt"] <= time[key]:
            steps = time[key] / time["dt"]
            if abs(steps - round(steps)) > 1e-9 * steps:
                report(f"time.{key}", f"{time[key]:g} is not a whole number of steps of time.dt = {time['dt']:g} "
                       f"(it would be {round(steps) * time['dt']:g}); make it a multiple of dt")

    axis = ((scenario.get("cells") or {}).get("division") or {}).get("axis")
    if isinstance(axis, list) and None not in axis and not any(axis):
        report("cells.division.axis", "a zero vector has no direction; give a non-zero 3-vector or long")

    geometry = (scenario.get("cells") or {}).get("geometry") or {}
    missing = [key for key in GEOMETRY_REQUIRES.get(geometry.get("kind"), ()) if key not in geometry]
    for key in missing:
        report(f"cells.geometry.{key}", f"missing (required for kind {geometry['kind']})")
    for key_path, message in geometry_problems(geometry) if not missing else ():
        report(f"cells.geometry.{key_path}", message)

    cells = scenario.get("cells") or {}
    body = "monolayer" if cells.get("monolayer") else "sheet"
    other = "sheet" if body == "monolayer" else "monolayer"
    mechanics = cells.get("mechanics") or {}
    if "mechanics" in cells:
        for key in MECHANICS_REQUIRES[body]:
            if key not in mechanics:
                report(f"cells.mechanics.{key}", f"missing (required for a {body})")
        for key in MECHANICS_ONLY[other]:
            if key in mechanics:
                report(f"cells.mechanics.{key}", f"is a {other}'s parameter; a {body} has "
                       + ", ".join(MECHANICS_REQUIRES[body]) + (" (and V0)" if body == "monolayer" else ""))
    shell = geometry.get("kind") == "ellipsoid_shell"

    def fits_cells(key_path: str, needs: str | None, what: str) -> None:
        if needs == "shell" and not shell:
            report(key_path, f"{what} needs cells on the embryo (cells.geometry.kind: ellipsoid_shell)")
        elif needs in ("sheet", "monolayer") and needs != body:
            report(key_path, f"{what} is for a {needs}" + (", and these cells are a sheet (add cells.monolayer)"
                                                           if needs == "monolayer" else
                                                           ", and these cells are a 3D monolayer"))

    monolayer = (scenario.get("cells") or {}).get("monolayer") or {}
    if monolayer.get("squeeze") and not (shell and monolayer.get("vitelline_stiffness")):
        report("cells.monolayer.squeeze", "presses the vitelline membrane: it needs cells on the embryo "
               "(cells.geometry.kind: ellipsoid_shell) and cells.monolayer.vitelline_stiffness")
    tissue = scenario.get("tissue") or {}
    if body == "monolayer" and tissue.get("flow") and not shell:
        report("tissue.flow", "a monolayer's flow is the egg's volume: it needs cells.geometry.kind: ellipsoid_shell")
    if body == "sheet" and (tissue.get("flow") or {}).get("shell") is not None:
        report("tissue.flow.shell", "is for a monolayer's volume flow (add cells.monolayer)")
    fields = tissue.get("fields") or {}
    if fields and not tissue.get("flow"):
        report("tissue.fields", "morphogen fields need a tissue.flow section (its mesh carries them)")

    mesh_size, dt = (tissue.get("flow") or {}).get("mesh_size"), time.get("dt")
    for name, spec in fields.items() if mesh_size and dt else ():
        if spec and spec.get("D") is not None and spec["D"] * dt / mesh_size**2 > MAX_DIFFUSION_NUMBER:
            report(f"tissue.fields.{name}.D", f"D dt / mesh_size^2 = {spec['D'] * dt / mesh_size**2:.3g} is above "
                   f"{MAX_DIFFUSION_NUMBER:g}: in one step the field would spread over ~10^4 mesh cells, its "
                   f"amount lost in round-off; lower D (at most {MAX_DIFFUSION_NUMBER * mesh_size**2 / dt:.3g} "
                   "here) or time.dt")

    genes = scenario.get("genes")
    for name, spec in fields.items():
        if spec and spec.get("secreted_by") and genes is None:
            report(f"tissue.fields.{name}.secreted_by", "secretion needs a genes section")
    if genes is None:
        return
    if ("model" in genes) == ("antimony" in genes):
        report("genes", "give exactly one of genes.model (an SBML file) or genes.antimony (inline)")
    if genes.get("model"):
        model = (folder / genes["model"]).resolve()
        if not model.is_file():
            report("genes.model", f"SBML file not found: {model}")
        genes["model"] = str(model)
    for parameter, spec in (genes.get("inputs") or {}).items():
        if spec is None:
            continue
        source = input_source(spec)
        found = find_input(source)
        if found is None:
            report(f"genes.inputs.{parameter}", f"unknown input source {source!r}; use one of {', '.join(INPUTS)}")
            continue
        entry, argument = found
        if entry.needs == "tissue.fields" and argument not in fields:
            report(f"genes.inputs.{parameter}",
                   f"no field {argument!r} under tissue.fields (have: {', '.join(fields) or 'none'})")
        elif entry.needs == "tissue.flow" and not tissue.get("flow"):
            report(f"genes.inputs.{parameter}", f"{source} needs a tissue.flow section")
        fits_cells(f"genes.inputs.{parameter}", entry.cells, source)
    for name, spec in (genes.get("initial") or {}).items():
        if isinstance(spec, dict) and "uniform" in spec and None not in spec["uniform"]:
            low, high = spec["uniform"]
            if low > high:
                report(f"genes.initial.{name}.uniform", f"[lo, hi] with lo = {low:g} above hi = {high:g}")
        if isinstance(spec, dict) and "normal" in spec and None not in spec["normal"] and spec["normal"][1] < 0:
            report(f"genes.initial.{name}.normal", f"[mean, sd] with a negative sd = {spec['normal'][1]:g}")
    for target, output in (genes.get("outputs") or {}).items():
        if target not in OUTPUTS:
            report(f"genes.outputs.{target}", "unknown output; use one of " + ", ".join(OUTPUTS))
            continue
        fits_cells(f"genes.outputs.{target}", OUTPUTS[target].cells, target)
        misspelt = any(problem.path.startswith(f"genes.outputs.{target}.") for problem in context.problems)
        if OUTPUTS[target].kind == "trigger" and output and ("above" in output) == ("below" in output) \
                and not misspelt:
            report(f"genes.outputs.{target}", "give exactly one of above or below")


# D dt / h^2 of a morphogen: backward Euler is stable for any value, but above this the mass term of
# (M + dt D K) c = M c_old is below round-off against the stiffness term (tissue.transport)
MAX_DIFFUSION_NUMBER = 1e8


def resolve_output(scenario: dict) -> Path:
    """The store path: `~` is the home folder, relative paths are taken against the scenario's folder."""
    return (Path(scenario["_source"]["folder"]) / Path(scenario["output"]["path"]).expanduser()).resolve()
