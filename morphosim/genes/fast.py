"""A fast SBML reaction as a rapid equilibrium: its kinetic law held at zero, the slow reactions moving
the pools it leaves unchanged.

A fast reaction J with kinetic law L changes each of its species S_i (not boundary, not constant) by
e_i dxi in the state's units, e_i = nu_i f_i / V_i (net stoichiometry, conversion factor, compartment
size; V_i = 1 for an amount-only species). In the limit of an infinitely fast J, L = 0 at all times and
J's extent xi is whatever keeps it so. Choosing the first species S_p, the pools

    y_i = S_i - r_i S_p,   r_i = e_i / e_p   (i != p)

are what J does not change: they are the state (their rows), moved by the slow reactions alone,
dy_i/dt = dS_i/dt - r_i dS_p/dt. With L affine in the species of J, L = sum_i a_i S_i + b (a_i, b free
of them), substituting S_i = y_i + r_i S_p gives

    S_p = -(sum_{i != p} a_i y_i + b) / (a_p + sum_{i != p} a_i r_i)

and S_i = y_i + r_i S_p: both computed with the rules, S_p's row holding it as an assignment-rule
target. The initial pools come from the declared initial values, which need not satisfy L = 0: the
species start equilibrated (SBML's fast reactions reach their equilibrium instantly).

Refused, naming the reaction: a second fast reaction; a law not affine in the reaction's species, or
whose coefficients a_i read what rules or events change (where a_i vanishes, the equilibrium does: a rate
constant that an event sets to 0 switches the reaction off); species that rules, events or a variable
volume change; a variable stoichiometry.
"""

from dataclasses import dataclass

from morphosim.genes.algebraic import _names, _number, affine_parts
from morphosim.genes.errors import UnsupportedSBMLError


@dataclass
class Equilibrium:
    reaction: str
    solved: str            # the species S_p the constraint gives
    expression: str        # S_p's value from the pools' locals a_<id>
    reads: set             # the SBML ids that expression reads (besides the pools)
    ratios: dict           # {pool species i: r_i expression}


def refuse_fast(reaction, why):
    """The refusal of a fast reaction: libRoadRunner refuses fast reactions too, so it points elsewhere."""
    return UnsupportedSBMLError(
        f"fast reaction '{reaction.getId()}' ({why}) is not supported by the batched solver, nor by `solver: "
        "tellurium` (libRoadRunner refuses fast reactions); set fast=\"false\", or write its equilibrium as an "
        "algebraic rule")


def fast_reactions(model):
    return [reaction for reaction in model.getListOfReactions() if reaction.isSetFast() and reaction.getFast()]


def rapid_equilibrium(model, reaction, translator, held_elsewhere):
    """The Equilibrium of fast `reaction`; held_elsewhere: ids that rules, events or a variable volume set,
    or variable stoichiometries (any of them in the reaction refuses it)."""
    if len(fast_reactions(model)) > 1:
        raise refuse_fast(reaction, "one of several fast reactions")
    stoichiometry = {}
    for sign, references in ((-1.0, reaction.getListOfReactants()), (1.0, reaction.getListOfProducts())):
        for reference in references:
            species = model.getSpecies(reference.getSpecies())
            if (reference.isSetId() and reference.getId() in held_elsewhere) or reference.isSetStoichiometryMath():
                raise refuse_fast(reaction, f"the stoichiometry of '{species.getId()}' varies")
            if species.getBoundaryCondition() or species.getConstant():
                continue
            coefficient = reference.getStoichiometry() if reference.isSetStoichiometry() else 1.0
            stoichiometry[species.getId()] = stoichiometry.get(species.getId(), 0.0) + sign * coefficient
    moving = [sid for sid, nu in stoichiometry.items() if nu != 0.0]
    if not moving:
        raise refuse_fast(reaction, "it changes no species")
    for sid in moving:
        if sid in held_elsewhere:
            raise refuse_fast(reaction, f"a rule, an event or a variable volume also changes '{sid}'")
    change = {sid: _change(model, sid, stoichiometry[sid]) for sid in moving}
    solved, pools = moving[0], moving[1:]
    ratios = {sid: f"({change[sid]}) / ({change[solved]})" for sid in pools}
    law = reaction.getKineticLaw()
    math = law.getMath().deepCopy()
    for local in list(law.getListOfParameters()) + list(law.getListOfLocalParameters()):
        math.replaceArgument(local.getId(), _number(local.getValue()))
    where = f"the kinetic law of fast reaction '{reaction.getId()}'"
    coefficients, rest = {}, math
    for sid in moving:
        parts = affine_parts(rest, sid) if rest is not None else (None, None)
        if parts is None or (parts[0] is not None and _names(parts[0]) & set(moving)):
            raise refuse_fast(reaction, f"its kinetic law is not affine in '{sid}'")
        coefficient, rest = parts
        if coefficient is not None:
            changing = sorted(_names(coefficient) & held_elsewhere)
            if changing:  # the equilibrium would vanish where the coefficient does (a rate constant set to 0)
                raise refuse_fast(reaction, f"its kinetic law's coefficient of '{sid}' reads '{changing[0]}', which "
                                  "rules or events change")
            coefficients[sid] = translator.translate(coefficient, where)
    reads = _names(math) - set(moving)
    offset = translator.translate(rest, where) if rest is not None else "0.0"
    numerator = " + ".join([f"({coefficients[sid]}) * a_{sid}" for sid in pools if sid in coefficients] + [offset])
    denominator = " + ".join([f"({coefficients[solved]})" if solved in coefficients else "0.0"]
                             + [f"({coefficients[sid]}) * {ratios[sid]}" for sid in pools if sid in coefficients])
    return Equilibrium(reaction.getId(), solved, f"-({numerator}) / ({denominator})", reads, ratios)


def _change(model, sid, nu):
    """e_i: how much species sid's state value changes per unit of the fast reaction's extent."""
    species = model.getSpecies(sid)
    factor = species.getConversionFactor() if species.isSetConversionFactor() else model.getConversionFactor()
    change = repr(nu) + (f" * v_{factor}" if factor else "")
    return change if species.getHasOnlySubstanceUnits() else f"{change} / v_{species.getCompartment()}"
