"""A small declarative schema for scenario files, checked against the YAML node tree so
every problem can name its key path and the line it sits on.

A spec is one of the classes below; `check(spec, node, path)` returns the plain Python value
with defaults filled in and appends a `Problem` for each thing that is wrong, so a user sees
all problems at once.
"""

from __future__ import annotations

import difflib
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from morphosim.errors import InputError


# ---------------------------------------------------------------------- reading YAML safely
class ScenarioLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML 1.1 as PyYAML reads it, plus the YAML 1.2 floats that 1.1 reads as strings (1e-2, 5E3,
    1.0e300); parsed by libyaml when PyYAML has it (large scenarios)."""


ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"))

# the only tags a scenario may hold (plain YAML data: no objects, no custom types)
PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq")}
MAX_VALUES = 100_000   # values in a document once its aliases are expanded (an alias bomb stops here)


def compose(text: str | bytes, source: str) -> yaml.Node | None:
    """The node tree of a YAML document, refused with an InputError (one line naming `source` and
    the line) when it is not UTF-8, not YAML, uses a tag other than plain data, a mapping or list
    as a key, a key twice in one mapping, or expands to more than MAX_VALUES values."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            line = text[: error.start].count(b"\n") + 1
            raise InputError(f"{source}:{line}: not UTF-8 text (byte 0x{text[error.start]:02x}); "
                             "save the file as UTF-8") from None
    stream = io.StringIO(text)
    stream.name = source   # marks (and so problems) name the file; a --set value keeps "<unicode string>"
    try:
        root = yaml.compose(stream if not source.startswith("--set") else text, Loader=ScenarioLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise InputError(f"{where}: malformed YAML: {getattr(error, 'problem', None) or error}") from None
    if root is not None:
        _check_nodes(root, source)
    return root


def _check_nodes(root: yaml.Node, source: str) -> None:
    sizes: dict[int, int] = {}

    def where(node):
        return f"{source}:{node.start_mark.line + 1}"

    def size(node, depth=0) -> int:   # values once aliases are expanded (shared nodes counted each time)
        if id(node) in sizes:
            return sizes[id(node)]
        if depth > 200:
            raise InputError(f"{where(node)}: the document nests deeper than 200 levels")
        if node.tag not in PLAIN_TAGS:
            raise InputError(f"{where(node)}: the tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not "
                             "allowed; a scenario holds plain numbers, strings, lists and mappings")
        total = 1
        if isinstance(node, yaml.MappingNode):
            first_line = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    raise InputError(f"{where(key)}: a {'mapping' if isinstance(key, yaml.MappingNode) else 'list'} "
                                     "cannot be a key; keys are names")
                if key.value in first_line:
                    raise InputError(f"{where(key)}: key {key.value!r} given twice (first at line "
                                     f"{first_line[key.value]}); keep one")
                first_line[key.value] = key.start_mark.line + 1
                total += size(key, depth + 1) + size(value, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item, depth + 1) for item in node.value)
        sizes[id(node)] = total
        if total > MAX_VALUES:
            raise InputError(f"{source}: the document expands to more than {MAX_VALUES:,} values (YAML aliases "
                             "repeating each other?); a scenario is far smaller")
        return total

    size(root)


@dataclass(frozen=True)
class Problem:
    path: str          # dotted key path, e.g. "cells.mechanics.K"
    source: str        # the scenario file, or "--set" for a command-line override
    line: int | None   # 1-based line in that source, when known
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.path}: {self.message}"


class Context:
    """Collects problems while a document is checked."""

    def __init__(self, source: str = "<scenario>") -> None:
        self.problems: list[Problem] = []
        self.source = source

    def report(self, path: str, node: yaml.Node | None, message: str) -> None:
        mark = getattr(node, "start_mark", None)
        if mark is None:
            source, line = self.source, None
        elif mark.name == "<unicode string>":  # composed from a string: a --set override
            source, line = "--set", None
        elif mark.name.startswith("<"):  # a scenario given as a dict: key paths, no lines
            source, line = mark.name, None
        else:
            source, line = mark.name, mark.line + 1
        self.problems.append(Problem(path or "<top>", source, line, message))


_MISSING = object()


class Spec:
    description = "a value"

    def check(self, node: yaml.Node, path: str, context: Context) -> Any:
        raise NotImplementedError


_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.Node) -> Any:
    """The Python value of a YAML scalar node, as the tag YAML's resolver gave it says (constructed
    directly: each value costs the same whatever the document's size)."""
    if node is None:
        return None
    return _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)


@dataclass
class Number(Spec):
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    exclusive_minimum: bool = False
    default: Any = _MISSING

    @property
    def description(self) -> str:
        kind = "an integer" if self.integer else "a number"
        if self.minimum is not None:
            kind += f" {'>' if self.exclusive_minimum else '>='} {self.minimum:g}"
        if self.maximum is not None:
            kind += f" <= {self.maximum:g}"
        return kind

    def check(self, node, path, context):
        value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
        wrong_type = isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)
        if not wrong_type and self.integer and not isinstance(value, int):
            wrong_type = True
        too_small = not wrong_type and self.minimum is not None and (
            value <= self.minimum if self.exclusive_minimum else value < self.minimum)
        too_large = not wrong_type and self.maximum is not None and value > self.maximum
        if wrong_type or too_small or too_large:
            shown = value if isinstance(node, yaml.ScalarNode) else f"a {node.id}"
            context.report(path, node, f"expected {self.description}, got {shown!r}")
            return None
        return float(value) if not self.integer else value


@dataclass
class Scalar(Spec):
    """A YAML scalar of one Python type (see Boolean and Text)."""

    kind: type
    description: str
    default: Any = _MISSING

    def check(self, node, path, context):
        value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(value, self.kind):
            context.report(path, node, f"expected {self.description}, got {_shown(node)}")
            return None
        return value


def Boolean(default: Any = _MISSING) -> Scalar:
    return Scalar(bool, "true or false", default)


def Text(default: Any = _MISSING) -> Scalar:
    return Scalar(str, "a string", default)


@dataclass
class Choice(Spec):
    options: tuple[str, ...]
    default: Any = _MISSING

    @property
    def description(self) -> str:
        return "one of " + ", ".join(self.options)

    def check(self, node, path, context):
        value = _scalar(node) if isinstance(node, yaml.ScalarNode) else None
        if value not in self.options:
            context.report(path, node, f"expected {self.description}, got {_shown(node)}")
            return None
        return value


@dataclass
class ListOf(Spec):
    item: Spec
    length: int | None = None
    min_length: int = 0
    default: Any = _MISSING

    @property
    def description(self) -> str:
        count = f"{self.length} " if self.length is not None else ""
        return f"a list of {count}{self.item.description}s"

    def check(self, node, path, context):
        if not isinstance(node, yaml.SequenceNode):
            context.report(path, node, f"expected {self.description}, got {_shown(node)}")
            return None
        items = node.value
        if (self.length is not None and len(items) != self.length) or len(items) < self.min_length:
            context.report(path, node, f"expected {self.description}, got {len(items)} items")
            return None
        return [self.item.check(item, f"{path}[{i}]", context) for i, item in enumerate(items)]


@dataclass
class Either(Spec):
    """The first of several specs that accepts the value (for 'a number or a list', ...)."""

    options: tuple[Spec, ...]
    default: Any = _MISSING
    label: str | None = None      # what to call the accepted values (default: the options' descriptions)

    @property
    def description(self) -> str:
        return self.label or " or ".join(option.description for option in self.options)

    def check(self, node, path, context):
        for option in self.options:
            trial = Context()
            value = option.check(node, path, trial)
            if not trial.problems:
                return value
        context.report(path, node, f"expected {self.description}, got {_shown(node)}")
        return None


@dataclass
class Mapping(Spec):
    """A mapping with known keys. `required` names keys that must be there; keys with a
    spec default are filled in; any other key is reported with the list of allowed keys."""

    keys: dict[str, Spec]
    required: tuple[str, ...] = ()
    default: Any = _MISSING
    description = "a mapping"

    def check(self, node, path, context):
        if not isinstance(node, yaml.MappingNode):
            context.report(path, node, f"expected a mapping with keys {', '.join(self.keys)}, "
                                       f"got {_shown(node)}")
            return None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            key_path = f"{path}.{key}" if path else str(key)
            if key not in self.keys:
                close = difflib.get_close_matches(str(key), self.keys, n=1)
                context.report(key_path, key_node, (f"unknown key (did you mean {close[0]}?); " if close else
                                                    "unknown key; ") + f"allowed here: {', '.join(self.keys)}")
                continue
            if key in result:
                context.report(key_path, key_node, "key given twice")
            result[key] = self.keys[key].check(value_node, key_path, context)
        for key in self.required:
            if key not in result:
                context.report(f"{path}.{key}" if path else key, node,
                               f"missing (required: {self.keys[key].description})")
        for key, spec in self.keys.items():
            if key not in result and spec.default is not _MISSING:
                result[key] = spec.default
        return result


@dataclass
class Dictionary(Spec):
    """A mapping from user-chosen names (species, fields, parameters) to values of one spec."""

    value: Spec
    default: Any = _MISSING
    description = "a mapping of names"
    value_for: Callable[[str], Spec | None] | None = None   # a name's own spec, when the name decides it

    def check(self, node, path, context):
        if not isinstance(node, yaml.MappingNode):
            context.report(path, node, f"expected a mapping of names, got {_shown(node)}")
            return None
        result = {}
        for key_node, value_node in node.value:
            key = str(_scalar(key_node))
            spec = (self.value_for(key) if self.value_for else None) or self.value
            result[key] = spec.check(value_node, f"{path}.{key}", context)
        return result


def _shown(node: yaml.Node) -> str:
    if isinstance(node, yaml.ScalarNode):
        return repr(_scalar(node))
    return "a list" if isinstance(node, yaml.SequenceNode) else "a mapping"


def line_of(root: yaml.Node, path: str) -> int | None:
    """Line of the key (or list item) at a key path such as `cells.geometry.cells[3][1]` in a composed
    YAML document (for later checks, e.g. an SBML name that does not exist), or the line of the
    deepest part of the path that is in the file; None when none is."""
    node = node_at(root, path)
    return None if node is None else _line(node)


def file_of(root: yaml.Node, path: str) -> str | None:
    """The file the key at `path` (or the deepest part of it there) was read from: a scenario that
    `extends` another holds nodes of both files."""
    node = node_at(root, path)
    mark = None if node is None else node.start_mark
    return mark.name if mark is not None and not mark.name.startswith("<") else None


def node_at(root: yaml.Node, path: str) -> yaml.Node | None:
    """The key node (or list item) at a key path, or that of the deepest part of the path in the
    document; None when none is."""
    node, found = root, None
    for key, indices in re.findall(r"([^.\[\]]+)((?:\[\d+\])*)", path):
        if not isinstance(node, yaml.MappingNode):
            return found
        for key_node, value_node in node.value:
            if _scalar(key_node) == key:
                found, node = key_node, value_node
                break
        else:
            return found
        for index in re.findall(r"\d+", indices):
            if not isinstance(node, yaml.SequenceNode) or int(index) >= len(node.value):
                return found
            node = found = node.value[int(index)]
    return found


def _line(node: yaml.Node) -> int | None:
    mark = node.start_mark
    return mark.line + 1 if mark is not None and not mark.name.startswith("<") else None
