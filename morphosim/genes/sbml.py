"""Reading gene circuits: SBML (Level 2 or 3) or Antimony text, validated by libsbml."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

import libsbml

from morphosim.genes.errors import SBMLError

ANTIMONY_SUFFIXES = (".ant", ".antimony", ".txt")
SBML_SUFFIXES = (".xml", ".sbml")


@dataclass(frozen=True)
class Species:
    """A species as declared. `initial_value` is a concentration, or an amount when
    `amount_only` (SBML hasOnlySubstanceUnits); it is NaN when only an initial assignment sets it."""

    id: str
    compartment: str
    initial_value: float
    amount_only: bool
    boundary: bool
    constant: bool


@dataclass(frozen=True)
class Parameter:
    """A global parameter as declared; `rule` is None, "assignment" or "rate"."""

    id: str
    value: float
    constant: bool
    rule: str | None


@dataclass(frozen=True)
class Compartment:
    id: str
    size: float
    constant: bool


def one_line(text):
    """Collapse libsbml/antimony multi-line messages into one line."""
    return re.sub(r"\s+", " ", text).strip()


def read_sbml_text(source):
    """Return (sbml_text, source_name) for an SBML/Antimony file path, SBML text or Antimony text.
    A file is SBML when named .xml/.sbml or when its text is SBML, whatever its suffix (model.xml.bak);
    any other file is Antimony."""
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source and (
            Path(source).suffix.lower() in SBML_SUFFIXES + ANTIMONY_SUFFIXES or os.path.isfile(source))):
        path = Path(source)
        if not path.is_file():
            raise SBMLError(f"{path}: no such model file; give an SBML (.xml) or Antimony (.ant) file")
        text = read_text_file(path)
        if path.suffix.lower() in SBML_SUFFIXES or is_sbml(text):
            return text, str(path)
        return antimony_to_sbml(text, str(path)), str(path)
    if not isinstance(source, str):
        raise SBMLError(f"model source must be a file path, SBML text or Antimony text, not {type(source).__name__}")
    if is_sbml(source):
        return source, "<SBML text>"
    return antimony_to_sbml(source, "<Antimony text>"), "<Antimony text>"


def read_text_file(path):
    """The file's text; a binary or non-UTF-8 file is an SBMLError naming the first bad byte."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SBMLError(f"{path}: not an SBML or Antimony text file (byte 0x{data[error.start]:02x} at offset "
                        f"{error.start} is not UTF-8 text); give an SBML (.xml) or Antimony (.ant) file") from None


def is_sbml(text: str) -> bool:
    """XML text with an <sbml> element (Antimony text never starts with '<')."""
    return text.lstrip("\ufeff \t\r\n").startswith("<") and re.search(r"<([\w.-]+:)?sbml[\s/>]", text) is not None


def antimony_to_sbml(text, name):
    import antimony

    antimony.clearPreviousLoads()
    if antimony.loadAntimonyString(text) < 0:
        raise SBMLError(f"{name}: {one_line(antimony.getLastError())}")
    return antimony.getSBMLString(antimony.getMainModuleName())


def read_document(sbml_text, name):
    """Parse and validate with libsbml (units and modelling-practice checks are advisory, so off).
    Raises SBMLError naming the line and the element for the first error."""
    document = libsbml.readSBMLFromString(sbml_text)
    _raise_first_error(document, name)
    if document.getModel() is None:
        raise SBMLError(f"{name}: the SBML document has no <model>")
    if document.isPackageEnabled("comp"):
        properties = libsbml.ConversionProperties()
        properties.addOption("flatten comp", True)
        if document.convert(properties) != libsbml.LIBSBML_OPERATION_SUCCESS:
            _raise_first_error(document, name)
            raise SBMLError(f"{name}: could not flatten the hierarchical (comp) model")
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_UNITS_CONSISTENCY, False)
    document.setConsistencyChecks(libsbml.LIBSBML_CAT_MODELING_PRACTICE, False)
    document.checkConsistency()
    _raise_first_error(document, name)
    return document


# Unit-definition problems do not change the dynamics (libRoadRunner accepts them too):
# 10313 "dangling reference to a unit" is reported even with unit checks off.
IGNORED_ERROR_IDS = {libsbml.DanglingUnitReference, libsbml.DanglingUnitSIdRef}


def _raise_first_error(document, name):
    for i in range(document.getNumErrors()):
        error = document.getError(i)
        if (error.isError() or error.isFatal()) and error.getErrorId() not in IGNORED_ERROR_IDS:
            line = f"line {error.getLine()}: " if error.getLine() > 0 else ""
            raise SBMLError(f"{name}: {line}{one_line(error.getShortMessage())}: {one_line(error.getMessage())}")


def rule_kinds(model) -> dict[str, str]:
    """{symbol id: "assignment" or "rate"}: the kind of rule that sets each ruled symbol."""
    return {rule.getVariable(): "assignment" if rule.isAssignment() else "rate"
            for rule in model.getListOfRules() if rule.isAssignment() or rule.isRate()}


def describe(model):
    """(species, parameters, compartments): dicts id -> record, in SBML order."""
    rule_kind = rule_kinds(model)
    compartments = {
        c.getId(): Compartment(c.getId(), c.getSize() if c.isSetSize() else float("nan"), c.getConstant())
        for c in model.getListOfCompartments()
    }
    species = {}
    for s in model.getListOfSpecies():
        volume = compartments[s.getCompartment()].size
        amount_only = s.getHasOnlySubstanceUnits()
        if s.isSetInitialConcentration():
            value = s.getInitialConcentration() * (volume if amount_only else 1.0)
        elif s.isSetInitialAmount():
            value = s.getInitialAmount() / (1.0 if amount_only else volume)
        else:
            value = float("nan")
        species[s.getId()] = Species(s.getId(), s.getCompartment(), value, amount_only,
                                     s.getBoundaryCondition(), s.getConstant())
    parameters = {
        p.getId(): Parameter(p.getId(), p.getValue() if p.isSetValue() else float("nan"), p.getConstant(),
                             rule_kind.get(p.getId()))
        for p in model.getListOfParameters()
    }
    return species, parameters, compartments


def delayed_math(model):
    """The first element whose math calls delay() (neither solver runs delay differential equations:
    the batched solver refuses them, libRoadRunner too), as (element, "the kinetic law of reaction 'J0'"),
    or None."""
    for element in model.getListOfAllElements():
        if not (hasattr(element, "isSetMath") and element.isSetMath()):
            continue
        if _calls_delay(element.getMath()):
            return element, _element_name(element)
    return None


def delay_refusal(model) -> str | None:
    """Why neither solver runs the model, when its math calls delay() (one line), or None."""
    delayed = delayed_math(model)
    if delayed is None:
        return None
    return (f"delay() in {delayed[1]}: neither solver runs delay differential equations (the batched solver "
            "refuses them, libRoadRunner too); replace the delay, e.g. by a chain of intermediate species")


def _calls_delay(node):
    return node.getType() == libsbml.AST_FUNCTION_DELAY or any(
        _calls_delay(node.getChild(i)) for i in range(node.getNumChildren()))


def _element_name(element):
    """How a message names an element: "the trigger of event 'E1'", "the assignmentRule for 'x'"."""
    own = next((getter() for getter in (getattr(element, name, None) for name in ("getId", "getVariable", "getSymbol"))
                if getter is not None and getter()), None)
    if own:
        return f"the {element.getElementName()} '{own}'"
    owner = element.getParentSBMLObject()
    while owner is not None and not owner.getId():
        owner = owner.getParentSBMLObject()
    return f"the {element.getElementName()} of {_element_name(owner)[4:]}" if owner is not None \
        else f"the {element.getElementName()}"
