"""Scenario files: YAML in, a checked dict out (every problem reported with file, line and key path).

    scenario = load_scenario("scenarios/lateral_inhibition.yaml", overrides=["time.end=5"])

Relative paths in the file (genes.model, output.path) resolve against the file's folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from morphosim.errors import InputError

from .keys import GEOMETRY_REQUIRES, SCENARIO
from .schema import Context, Problem, line_of

# Per-cell quantities a scenario may map onto SBML input parameters (DESIGN.md, tissue -> genes).
INPUT_SOURCES = ("strain.areal", "strain.anisotropy", "strain_rate.trace",
                 "strain_rate.anisotropy", "strain.accumulated", "position.x", "position.y", "position.z")
INPUT_PREFIXES = ("field.", "neighbours.mean.", "neighbours.contact_mean.")
# Gene outputs: species mapped onto per-cell mechanics, or triggers of division and death.
PARAMETER_OUTPUTS = ("K", "A0", "Gamma", "Lambda", "Lambda_planar")
TRIGGER_OUTPUTS = ("divide", "die")


class ScenarioError(InputError):
    """A scenario with problems; `problems` lists each one, `str()` the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")


def problem_at(scenario: dict, root: yaml.Node, key_path: str, message: str) -> Problem:
    """A problem at a key path, with the line of that key in the scenario file."""
    return Problem(key_path, scenario["_source"]["file"], line_of(root, key_path), message)


def load_scenario(path: str | os.PathLike, overrides: Iterable[str] = (), check_model: bool = True) -> dict[str, Any]:
    """Read, override (`key.path=value`, value in YAML syntax) and check a scenario file.
    With check_model, names used in genes/tissue are also checked against the SBML model."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: scenario file not found")
    try:
        with open(path, encoding="utf-8") as stream:
            root = yaml.compose(stream)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise InputError(f"{where}: malformed YAML: {getattr(error, 'problem', error)}") from None
    if root is None:
        raise InputError(f"{path}: the scenario file is empty")
    context = Context(str(path))
    root = _apply_overrides(root, overrides, context)
    scenario = SCENARIO.check(root, "", context)
    if scenario is not None:
        _check_consistency(scenario, root, path.parent, context)
    if context.problems:
        raise ScenarioError(context.problems)
    scenario["_source"] = {"file": str(path), "folder": str(path.parent.resolve())}
    if check_model and scenario.get("genes"):
        from .build import model_problems

        try:
            problems = model_problems(scenario, root)
        except InputError as error:
            key = "genes.model" if scenario["genes"].get("model") else "genes.antimony"
            problems = [problem_at(scenario, root, key, str(error).removeprefix(f"{key}: "))]
        if problems:
            raise ScenarioError(problems)
    return scenario


def _apply_overrides(root: yaml.Node, overrides: Iterable[str], context: Context) -> yaml.Node:
    """Replace (or add) the node at each dotted key path by the YAML value after '='."""
    for override in overrides:
        key_path, equals, text = override.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][\w]*(\.[\w]+)*", key_path):
            context.problems.append(Problem(override, "--set", None,
                                            "expected key.path=value, e.g. time.end=5"))
            continue
        value = yaml.compose(text) or yaml.compose("null")
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

    geometry = (scenario.get("cells") or {}).get("geometry") or {}
    for key in GEOMETRY_REQUIRES.get(geometry.get("kind"), ()):
        if key not in geometry:
            report(f"cells.geometry.{key}", f"missing (required for kind {geometry['kind']})")

    tissue = scenario.get("tissue") or {}
    fields = tissue.get("fields") or {}
    if fields and not tissue.get("flow"):
        report("tissue.fields", "morphogen fields need a tissue.flow section (its mesh carries them)")

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
    for parameter, source in (genes.get("inputs") or {}).items():
        if source is None:
            continue
        if not (source in INPUT_SOURCES or source.startswith(INPUT_PREFIXES)):
            report(f"genes.inputs.{parameter}",
                   f"unknown input source {source!r}; use one of {', '.join(INPUT_SOURCES)}, "
                   f"field.<name>, neighbours.mean.<species>, neighbours.contact_mean.<species>")
        elif source.startswith("field.") and source[len("field."):] not in fields:
            report(f"genes.inputs.{parameter}",
                   f"no field {source[6:]!r} under tissue.fields (have: {', '.join(fields) or 'none'})")
        elif source.startswith("strain_rate.") or source == "strain.accumulated":
            if not tissue.get("flow"):
                report(f"genes.inputs.{parameter}", f"{source} needs a tissue.flow section")
    for target, output in (genes.get("outputs") or {}).items():
        if target not in PARAMETER_OUTPUTS + TRIGGER_OUTPUTS:
            report(f"genes.outputs.{target}", "unknown output; use one of "
                   + ", ".join(PARAMETER_OUTPUTS + TRIGGER_OUTPUTS))
        elif target in TRIGGER_OUTPUTS and output and ("above" in output) == ("below" in output):
            report(f"genes.outputs.{target}", "give exactly one of above or below")


def resolve_output(scenario: dict) -> Path:
    """The store path: `~` is the home folder, relative paths are taken against the scenario's folder."""
    return (Path(scenario["_source"]["folder"]) / Path(scenario["output"]["path"]).expanduser()).resolve()
