"""Compile an SBML model into a numba module: its per-cell math as kernels over blocks of cells (see
kernel_source.py), plus the batched integrators of kernels_template.py.

The generated source is written once to a cache folder under a name derived from its hash, and numba
caches its machine code beside it (`cache=True`), so a second population of the same model, in this
process or a later one, compiles nothing.

State per cell: every species (concentration, or amount when hasOnlySubstanceUnits), then parameters
and compartments that have rate rules, then those that only events change. Per-cell inputs: the other
global parameters without rules, then the compartment sizes nothing in the model changes.

Variable volume (SBML L3V2 sections 4.5 and 4.11.7): a species in concentration units whose compartment
a rule or an event changes keeps its amount n as its state row, since reactions change amounts:
dn/dt = the sum of stoichiometry times rate, and a rate rule d[S]/dt = f on its concentration gives
dn/dt = V f + [S] dV/dt. Its concentration [S] = n / V is computed with the rules, so the math reads it
as everywhere else; an event that resizes the compartment leaves n unchanged, and an event assignment
[S] = x sets n = x V with V the size before the event (the SBML Test Suite's 01779). Not so a species
with an assignment rule (the rule gives [S]), nor one with a rate rule in a compartment that an
assignment rule sizes (dV/dt is not known): those rows hold the concentration.
"""

import hashlib
import importlib.util
import math
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import libsbml
import numpy as np

from morphosim.genes.algebraic import as_assignment_rules
from morphosim.genes.errors import SBMLError, unsupported
from morphosim.genes.fast import fast_reactions, rapid_equilibrium
from morphosim.genes.kernel_source import CellMath, EventMath, module_source
from morphosim.genes.mathml import ExpressionTranslator

TEMPLATE_PATH = Path(__file__).with_name("kernels_template.py")
# SBML's avogadro csymbol: the 2006 CODATA value in both L3V1 and L3V2 (libsbml, libRoadRunner and the
# SBML Test Suite's results agree; the 2019 SI value 6.02214076e23 differs in the sixth digit).
AVOGADRO = 6.02214179e23
# SBML packages that do not change the ODEs (comp is flattened on reading).
PACKAGES_WITHOUT_DYNAMICS = {"comp", "l3v2extendedmath", "layout", "render", "groups", "fbc"}
_loaded_modules = {}


def cache_dir():
    """Folder for generated model modules and numba's cache: $MORPHOSIM_CACHE_DIR or ~/.cache/morphosim."""
    root = os.environ.get("MORPHOSIM_CACHE_DIR") or Path.home() / ".cache" / "morphosim"
    path = Path(root) / "genes"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class CompiledModel:
    state_ids: tuple          # species ids, then rate-rule parameter ids, then event-assigned parameter ids
    n_species: int
    held_rows: tuple          # (row, species id, its row's value from its concentration `value` and v_<id>s) of
                              # the species whose row holds not their concentration (an amount, a pool)
    parameter_ids: tuple      # settable per cell: global parameters without rules, then compartments
    n_global_parameters: int  # the first entries of parameter_ids are global parameters
    initial_state: np.ndarray
    parameter_defaults: np.ndarray
    cell_math: CellMath
    concentration_compartments: np.ndarray  # per species: parameter row of its compartment, -1 if amount-only

    def module(self, per_cell=frozenset()):
        """The generated numba module -- advance_explicit/advance_stiff(...), update_assigned(t, y, p) --
        reading the parameters `per_cell` (ids) per cell, every other parameter a literal at its default
        value. Generated and imported once per set; numba caches the machine code on disk."""
        source = module_source(self.cell_math, per_cell, self.parameter_defaults, TEMPLATE_PATH.read_text())
        return _load_module(source)


def refuse(construct):
    raise unsupported(construct)


def _names_in(node, found):
    """Collect the identifiers an AST refers to."""
    if node is None:
        return found
    if node.getType() == libsbml.AST_NAME:
        found.add(node.getName())
    for i in range(node.getNumChildren()):
        _names_in(node.getChild(i), found)
    return found


def _topological(definitions, what):
    """Order {id: (expression, dependencies)} so every id comes after the ids it depends on."""
    order, done, visiting = [], set(), set()

    def visit(name):
        if name in done or name not in definitions:
            return
        if name in visiting:
            raise SBMLError(f"{what} '{name}' depends on itself through a cycle of rules; break the cycle")
        visiting.add(name)
        for dependency in sorted(definitions[name][1]):
            visit(dependency)
        visiting.discard(name)
        done.add(name)
        order.append(name)

    for name in definitions:
        visit(name)
    return order


def _check_supported(document, model):
    for i in range(document.getNumPlugins()):
        package = document.getPlugin(i).getPackageName()
        if (document.getLevel() >= 3 and package not in PACKAGES_WITHOUT_DYNAMICS
                and document.isPackageEnabled(package) and document.getPackageRequired(package)):
            refuse(f"the required SBML package '{package}'")
    for rule in model.getListOfRules():
        if not rule.isSetMath():
            continue  # L3V2: a rule without math has no effect
        if rule.isAlgebraic():  # what as_assignment_rules leaves
            refuse(f"an algebraic rule ({libsbml.formulaToL3String(rule.getMath())} = 0)")
    for constraint in model.getListOfConstraints():
        refuse(f"constraint ({libsbml.formulaToL3String(constraint.getMath())})")
    for reaction in model.getListOfReactions():
        if not reaction.isSetKineticLaw() or not reaction.getKineticLaw().isSetMath():
            refuse(f"reaction '{reaction.getId()}' without a kinetic law")


def _references(model):
    """Every species reference (reactants and products) of every reaction, with its reaction."""
    return [(reaction, reference) for reaction in model.getListOfReactions()
            for reference in list(reaction.getListOfReactants()) + list(reaction.getListOfProducts())]


def _variable_references(model):
    """Ids of species references whose stoichiometry something sets (rules, initial assignments, events)."""
    targets = {rule.getVariable() for rule in model.getListOfRules() if rule.isSetMath()}
    targets |= {assignment.getSymbol() for assignment in model.getListOfInitialAssignments() if assignment.isSetMath()}
    targets |= _event_targets(model)
    return {reference.getId() for _, reference in _references(model)
            if reference.isSetId() and reference.getId() in targets}


def compile_model(document):
    """Check the model is supported, generate its numba module and compute its initial state."""
    document = document.clone()
    properties = libsbml.ConversionProperties()
    properties.addOption("expandFunctionDefinitions", True)
    if document.getModel().getNumFunctionDefinitions() and \
            document.convert(properties) != libsbml.LIBSBML_OPERATION_SUCCESS:
        refuse("a function definition that libsbml cannot expand")
    model = document.getModel()
    as_assignment_rules(model)
    _check_supported(document, model)

    species = list(model.getListOfSpecies())
    # L3V2 lets rules and initial assignments leave out their math: they then have no effect
    rules = {rule.getVariable(): rule for rule in model.getListOfRules() if rule.isSetMath()}
    # species references whose stoichiometry varies are symbols like parameters
    variable_references = _variable_references(model)
    # compartments that rules or events resize are symbols like parameters too
    variable_compartments = [c.getId() for c in model.getListOfCompartments()
                             if c.getId() in rules or c.getId() in _event_targets(model)]
    variables = [p.getId() for p in model.getListOfParameters()] + [
        reference.getId() for _, reference in _references(model) if reference.getId() in variable_references
    ] + variable_compartments
    # sizes whose rate of change is known: rate rules, and events alone (constant between events)
    sizes_with_known_rate = [c for c in variable_compartments if c not in rules or rules[c].isRate()]
    amounts = {s.getId(): s.getCompartment() for s in species if s.getCompartment() in variable_compartments
               and not s.getHasOnlySubstanceUnits() and (s.getId() not in rules or (
                   rules[s.getId()].isRate() and s.getCompartment() in sizes_with_known_rate))}
    rate_parameters = [v for v in variables if v in rules and rules[v].isRate()]
    # parameters that events change are per-cell state (constant between events), not settable inputs;
    # so are stoichiometries that only an initial assignment or an event sets
    event_parameters = [v for v in variables if v not in rules
                        and (v in _event_targets(model) or v in variable_references)]
    # what a fast reaction's equilibrium cannot hold: species that something else sets
    held_elsewhere = set(rules) | _event_targets(model) | variable_references | {
        s.getId() for s in species if s.getCompartment() in variable_compartments}
    state_ids = tuple([s.getId() for s in species] + rate_parameters + event_parameters)
    global_inputs = [p.getId() for p in model.getListOfParameters()
                     if p.getId() not in rules and p.getId() not in event_parameters]
    parameter_ids = tuple(global_inputs + [c.getId() for c in model.getListOfCompartments()
                                           if c.getId() not in variable_compartments])
    stoichiometry = {reference.getId(): _declared_stoichiometry(reference) for _, reference in _references(model)
                     if reference.isSetId() and reference.getId() not in variable_references}
    symbols = set(state_ids) | set(parameter_ids) | set(rules)

    def global_name(sbml_id):
        if sbml_id in stoichiometry:
            return repr(stoichiometry[sbml_id])
        if sbml_id in symbols:
            return f"v_{sbml_id}"
        if model.getReaction(sbml_id) is not None:  # a reaction's id in math is its rate
            return f"r_{sbml_id}"
        raise KeyError(sbml_id)

    derivatives, equilibrium = {}, None

    def rate_of(sbml_id, where):
        """rateOf(sbml_id): the symbol's derivative as the state equations give it (0 for a constant)."""
        if sbml_id in state_ids and not derivatives:
            refuse(f"rateOf() in the {where}")
        if sbml_id not in symbols:
            raise SBMLError(f"the {where} takes rateOf() of unknown symbol '{sbml_id}'; define it in the model")
        if equilibrium and (sbml_id == equilibrium.solved or sbml_id in equilibrium.ratios):
            refuse(f"rateOf('{sbml_id}') in the {where}, a species of fast reaction '{equilibrium.reaction}'")
        if sbml_id in amounts:  # d(n / V)/dt = (dn/dt - [S] dV/dt) / V
            size = amounts[sbml_id]
            if size not in derivatives:
                refuse(f"rateOf('{sbml_id}') in the {where}, species of compartment '{size}' that an assignment "
                       "rule sizes")
            return f"(({derivatives[sbml_id]}) - v_{sbml_id} * ({derivatives[size]})) / v_{size}"
        return f"({derivatives[sbml_id]})" if sbml_id in derivatives else "0.0"

    translator = ExpressionTranslator(global_name, AVOGADRO, rate_of)
    fast = fast_reactions(model)
    equilibrium = rapid_equilibrium(model, fast[0], translator, held_elsewhere) if fast else None
    derivatives.update(_derivatives(model, rules, rate_parameters, translator, amounts))
    derivatives.update({pid: "0.0" for pid in event_parameters})
    # species row -> (its concentration from the row's local a_<id>, the ids that reads, the row from the
    # concentration `value`)
    held = {sid: (f"a_{sid} / v_{size}", {size}, f"value * v_{size}") for sid, size in amounts.items()}
    equilibrium_rule = {}
    if equilibrium:
        solved = equilibrium.solved
        for sid, ratio in equilibrium.ratios.items():
            derivatives[sid] = f"({derivatives[sid]}) - {ratio} * ({derivatives[solved]})"
            held[sid] = (f"a_{sid} + {ratio} * v_{solved}", {solved} | set(re.findall(r"\bv_(\w+)", ratio)),
                         f"value - {ratio} * v_{solved}")
        derivatives[solved] = "0.0"
        equilibrium_rule[solved] = (equilibrium.expression, equilibrium.reads)
    assignment_rules = {
        target: _with_rates_read(translator.translate(rule.getMath(), f"assignment rule for '{target}'"),
                                 _names_in(rule.getMath(), set()))
        for target, rule in rules.items() if rule.isAssignment()
    }
    rates = _reaction_rates(model, translator, global_name)
    concentrations = {sid: (expression, reads) for sid, (expression, reads, _) in held.items()}
    # rules, concentrations and rates in one dependency order: a rule may read a reaction's rate (its id),
    # a rate a rule
    computed = {**assignment_rules, **equilibrium_rule, **concentrations, **rates}
    order = _topological(computed, "assignment rule or kinetic law of")
    statements = [(f"r_{sid}" if sid in rates else f"v_{sid}", computed[sid][0]) for sid in order]
    uses_time = translator.uses_time  # event math gets the time as an argument: it does not count here
    events = _events(document, model, state_ids, translator, amounts)
    # the statements rules and events need: up to the last rule or concentration, or the last rate event
    # math reads
    needed = set(assignment_rules) | set(equilibrium_rule) | set(held) | (_event_names(model) & set(rates))
    needed |= set().union(*(
        _with_rates_read(expression, set())[1] for event in events
        for expression in [event.trigger, event.delay, event.priority]
        + [part for _, value, factor in event.assignments for part in (value, factor)]))
    n_rules = max([i + 1 for i, sid in enumerate(order) if sid in needed], default=0)
    cell_math = CellMath(state_ids, parameter_ids, frozenset(assignment_rules | equilibrium_rule) & set(state_ids),
                         tuple(statements), n_rules, tuple(derivatives[sid] for sid in state_ids), uses_time, events,
                         frozenset(held))
    rows = {sid: to_row for sid, (_, _, to_row) in held.items()}
    initial_state, defaults = _initial_values(model, state_ids, parameter_ids, computed, set(rates), translator,
                                              variable_references, rows, set(equilibrium_rule))
    # the species a set_parameter on their (constant) compartment dilutes
    compartments = np.array([-1 if s.getHasOnlySubstanceUnits() or s.getCompartment() not in parameter_ids
                             else parameter_ids.index(s.getCompartment()) for s in species], dtype=np.int64)
    return CompiledModel(state_ids, len(species), tuple((state_ids.index(sid), sid, row) for sid, row in rows.items()),
                         parameter_ids, len(global_inputs), initial_state, defaults, cell_math, compartments)


def _declared_stoichiometry(reference):
    return reference.getStoichiometry() if reference.isSetStoichiometry() else 1.0


def _event_name(event):
    return event.getId() or event.getName() or "(unnamed)"


def _event_targets(model):
    """Ids that event assignments set (L3V2: an assignment without math has no effect)."""
    return {assignment.getVariable() for event in model.getListOfEvents()
            for assignment in event.getListOfEventAssignments() if assignment.isSetMath()}


def _events(document, model, state_ids, translator, amounts):
    """EventMath of each event. Level 2 has neither initialValue nor persistent: its triggers must turn
    true after the start, and an event once triggered always executes. An assignment to a species whose
    row is its amount (`amounts`: {species: compartment}) gives a concentration: the row gets it times
    the compartment's size when the event executes (after its delay, whenever its value was computed),
    before any of the event's assignments is made (the SBML Test Suite's 01508 and 01779)."""
    level_3 = document.getLevel() >= 3
    events = []
    for event in model.getListOfEvents():
        name = _event_name(event)
        trigger = event.getTrigger()
        condition = (translator.translate(trigger.getMath(), f"trigger of event '{name}'")
                     if trigger is not None and trigger.isSetMath() else "False")  # L3V2: never fires

        def optional(element, what):
            if element is None or not element.isSetMath():
                return "0.0"
            return translator.translate(element.getMath(), f"{what} of event '{name}'")

        assignments = []
        for assignment in event.getListOfEventAssignments():
            target = assignment.getVariable()
            if assignment.isSetMath():
                value = translator.translate(assignment.getMath(), f"assignment of event '{name}' to '{target}'")
                assignments.append((state_ids.index(target), value,
                                    f"v_{amounts[target]}" if target in amounts else "1.0"))
        events.append(EventMath(
            trigger=condition,
            initial_value=trigger.getInitialValue() if level_3 and trigger is not None else True,
            persistent=trigger.getPersistent() if level_3 and trigger is not None else True,
            delay=optional(event.getDelay() if event.isSetDelay() else None, "delay"),
            priority=optional(event.getPriority() if event.isSetPriority() else None, "priority"),
            use_trigger_values=event.getUseValuesFromTriggerTime() if event.isSetUseValuesFromTriggerTime()
            or level_3 else True,
            assignments=tuple(assignments)))
    return tuple(events)


def _with_rates_read(expression, names):
    """(expression, names plus every id its source reads): rateOf() brings in a derivative's terms --
    reaction rates r_<id>, compartments and conversion factors v_<id> -- that the math does not name."""
    return expression, names | set(re.findall(r"\b[rv]_(\w+)", expression))


def _event_names(model):
    """The ids the math of the model's events reads."""
    names = set()
    for event in model.getListOfEvents():
        for element in [event.getTrigger(), event.getDelay(), event.getPriority(), *event.getListOfEventAssignments()]:
            if element is not None and element.isSetMath():
                _names_in(element.getMath(), names)
    return names


def _reaction_rates(model, translator, global_name):
    """{reaction id: (rate expression, ids it reads)}; local parameters become literals, and their
    rateOf() is 0 (they are constant, whatever a global parameter of the same id does)."""
    rates = {}
    global_rate_of = translator.rate_of
    for reaction in model.getListOfReactions():
        law = reaction.getKineticLaw()
        local = {p.getId(): repr(p.getValue())
                 for p in list(law.getListOfParameters()) + list(law.getListOfLocalParameters())}
        translator.name_of = lambda sbml_id, local=local: local[sbml_id] if sbml_id in local else global_name(sbml_id)
        translator.rate_of = lambda sbml_id, where, local=local: \
            "0.0" if sbml_id in local else global_rate_of(sbml_id, where)
        rates[reaction.getId()] = _with_rates_read(
            translator.translate(law.getMath(), f"kinetic law of reaction '{reaction.getId()}'"),
            _names_in(law.getMath(), set()) - set(local))
    translator.name_of, translator.rate_of = global_name, global_rate_of
    return rates


def _derivatives(model, rules, rate_parameters, translator, amounts):
    """{state id: d/dt expression}. Species: stoichiometry times rates (r_<reaction>), times the
    species' conversion factor (else the model's, if any), divided by the compartment size unless
    amount-only or its row is its amount (`amounts`: {species: compartment}); rate rules as written,
    d(V [S])/dt = V f + [S] dV/dt for an amount row; zero for boundary, constant and assignment-rule
    species."""
    changes = {s.getId(): [] for s in model.getListOfSpecies()}
    variable_references = _variable_references(model)
    for reaction in model.getListOfReactions():
        if reaction.isSetFast() and reaction.getFast():
            continue  # its equilibrium holds its species (fast.py)
        for sign, references in (("- ", reaction.getListOfReactants()), ("+ ", reaction.getListOfProducts())):
            for reference in references:
                rate, term_sign = f"r_{reaction.getId()}", sign
                if reference.getId() in variable_references:  # a symbol (a rule, event or initial assignment sets it)
                    term = f"v_{reference.getId()} * {rate}"
                elif reference.isSetStoichiometryMath():  # Level 2's stoichiometry formula
                    formula = translator.translate(reference.getStoichiometryMath().getMath(),
                                                   f"stoichiometry of '{reference.getSpecies()}' in reaction "
                                                   f"'{reaction.getId()}'")
                    term = f"{formula} * {rate}"
                else:
                    coefficient = _declared_stoichiometry(reference)
                    if coefficient < 0:
                        term_sign, coefficient = "+ " if sign == "- " else "- ", -coefficient
                    term = rate if coefficient == 1.0 else f"{coefficient!r} * {rate}"
                changes[reference.getSpecies()].append(term_sign + term)
    derivatives = {}
    for s in model.getListOfSpecies():
        sid = s.getId()
        if sid in rules:
            derivatives[sid] = (translator.translate(rules[sid].getMath(), f"rate rule for '{sid}'")
                                if rules[sid].isRate() else "0.0")
            if sid in amounts:
                size = amounts[sid]
                size_rate = (translator.translate(rules[size].getMath(), f"rate rule for '{size}'")
                             if size in rules else "0.0")
                derivatives[sid] = f"v_{size} * ({derivatives[sid]}) + v_{sid} * ({size_rate})"
        elif s.getBoundaryCondition() or s.getConstant() or not changes[sid]:
            derivatives[sid] = "0.0"
        else:
            total = "(" + " ".join(changes[sid]).removeprefix("+ ") + ")"
            factor = s.getConversionFactor() if s.isSetConversionFactor() else model.getConversionFactor()
            if factor:
                total = f"(v_{factor} * {total})"
            derivatives[sid] = total if s.getHasOnlySubstanceUnits() or sid in amounts \
                else f"{total} / v_{s.getCompartment()}"
    for pid in rate_parameters:
        derivatives[pid] = translator.translate(rules[pid].getMath(), f"rate rule for '{pid}'")
    return derivatives


def _load_module(source):
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    if digest in _loaded_modules:
        return _loaded_modules[digest]
    path = cache_dir() / f"grn_{digest}.py"
    if not path.exists():
        # never rewrite an existing file: numba's cache is keyed on the source file's timestamp
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(source)
        os.replace(temporary, path)
    name = f"morphosim_grn_{digest}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    _loaded_modules[digest] = module
    return module


def _initial_values(model, state_ids, parameter_ids, computed, reaction_ids, translator, variable_references,
                    rows, equilibrium):
    """Evaluate declared values, initial assignments, assignment rules and the rates they read
    (`computed`: {id: (expression, ids it reads)}) at t = 0, in dependency order; the species of `rows`
    ({id: the row from its concentration `value`}) get that row, and a fast reaction's species (the ids
    `equilibrium` and the pools) start from their declared values (the population equilibrates them).
    Values SBML leaves undefined default as in libRoadRunner: 0 (compartment sizes: 1)."""
    definitions = {reference.getId(): (repr(_declared_stoichiometry(reference)), set())
                   for _, reference in _references(model) if reference.getId() in variable_references}
    for compartment in model.getListOfCompartments():
        definitions[compartment.getId()] = (repr(compartment.getSize()) if compartment.isSetSize() else "1.0", set())
    for parameter in model.getListOfParameters():
        definitions[parameter.getId()] = (repr(parameter.getValue()) if parameter.isSetValue() else "0.0", set())
    for s in model.getListOfSpecies():
        volume = f"v_{s.getCompartment()}"
        if s.isSetInitialConcentration():
            value = repr(s.getInitialConcentration())
            expression = f"{value} * {volume}" if s.getHasOnlySubstanceUnits() else value
        elif s.isSetInitialAmount():
            value = repr(s.getInitialAmount())
            expression = value if s.getHasOnlySubstanceUnits() else f"{value} / {volume}"
        else:
            expression = "0.0"
        definitions[s.getId()] = (expression, {s.getCompartment()})
    for assignment in model.getListOfInitialAssignments():
        symbol = assignment.getSymbol()
        if symbol in definitions and assignment.isSetMath():
            definitions[symbol] = _with_rates_read(  # rateOf() reads reaction rates the math does not name
                translator.translate(assignment.getMath(), f"initial assignment to '{symbol}'"),
                _names_in(assignment.getMath(), set()))
    # rates only where something evaluated here reads them (a kinetic law need not be defined at t = 0)
    definitions.update({sid: value for sid, value in computed.items()
                        if sid not in reaction_ids | set(rows) | equilibrium})
    read = set().union(*(dependencies for _, dependencies in definitions.values()))
    while read & (reaction_ids - set(definitions)):
        for rid in read & (reaction_ids - set(definitions)):
            definitions[rid] = computed[rid]
            read |= computed[rid][1]
    values = {}
    for name in _topological(definitions, "initial value of"):
        try:
            local = f"r_{name}" if name in reaction_ids else f"v_{name}"
            values[local] = float(eval(definitions[name][0], {"math": math, "np": np, "t": 0.0}, values))
        except (ArithmeticError, ValueError, TypeError) as error:
            raise SBMLError(f"the initial value of '{name}' cannot be evaluated: {error}") from None
    return (np.array([eval(rows[i], {"math": math}, {**values, "value": values[f"v_{i}"]}) if i in rows
                      else values[f"v_{i}"] for i in state_ids], dtype=float),
            np.array([values[f"v_{i}"] for i in parameter_ids], dtype=float))
