"""SBML algebraic rules 0 = f(...) that are assignment rules in disguise.

A rule whose f is affine in exactly one variable that nothing else determines,

    f = a x + b,   a and b free of x   =>   x = -b / a,

becomes the assignment rule x = -b / a (libsbml ASTs, on the compiler's copy of the document), which the
batched solver compiles like any other. The variable x is a non-constant species that no reaction
changes (a boundary species, or one in no reaction), parameter, compartment or species reference that
no rate or assignment rule sets, nor another algebraic rule. Rules are matched to their variables one at
a time: a rule with a single candidate takes it, which may leave another rule with one. Any other rule
(a differential-algebraic system: f nonlinear in its variable, its variable a reacting species, or no
single variable) is refused with the rule named.
"""

import libsbml

from morphosim.genes.errors import unsupported


def _names(node, found=None):
    found = set() if found is None else found
    if node.getType() == libsbml.AST_NAME:
        found.add(node.getName())
    for i in range(node.getNumChildren()):
        _names(node.getChild(i), found)
    return found


def _number(value):
    node = libsbml.ASTNode(libsbml.AST_REAL)
    node.setValue(float(value))
    return node


def _apply(kind, *children):
    node = libsbml.ASTNode(kind)
    for child in children:
        node.addChild(child.deepCopy())
    return node


# affine parts: None is zero
def _plus(a, b):
    return b if a is None else a if b is None else _apply(libsbml.AST_PLUS, a, b)


def _negative(a):
    if a is None:
        return None
    if a.getType() == libsbml.AST_MINUS and a.getNumChildren() == 1:
        return a.getChild(0).deepCopy()
    return _number(-a.getValue()) if a.isNumber() else _apply(libsbml.AST_MINUS, a)


def _times(a, factor):
    if a is None:
        return None
    return factor.deepCopy() if _is_number(a, 1.0) else _apply(libsbml.AST_TIMES, a, factor)


def _over(a, divisor):
    return None if a is None else _apply(libsbml.AST_DIVIDE, a, divisor)


def affine_parts(node, x):
    """(a, b) with node = a x + b and a, b free of x (None for zero), or None if node is not affine in x."""
    if x not in _names(node):
        return None, node
    kind, children = node.getType(), [node.getChild(i) for i in range(node.getNumChildren())]
    if kind == libsbml.AST_NAME:
        return _number(1.0), None
    parts = [affine_parts(child, x) for child in children]
    if any(part is None for part in parts):
        return None
    if kind == libsbml.AST_PLUS:
        a = b = None
        for part_a, part_b in parts:
            a, b = _plus(a, part_a), _plus(b, part_b)
        return a, b
    if kind == libsbml.AST_MINUS and len(parts) == 1:
        return _negative(parts[0][0]), _negative(parts[0][1])
    if kind == libsbml.AST_MINUS and len(parts) == 2:
        return _plus(parts[0][0], _negative(parts[1][0])), _plus(parts[0][1], _negative(parts[1][1]))
    if kind == libsbml.AST_TIMES:
        with_x = [i for i, (a, _) in enumerate(parts) if a is not None]
        if len(with_x) != 1:  # x x is not affine
            return None
        a, b = parts[with_x[0]]
        for i, child in enumerate(children):
            if i != with_x[0]:
                a, b = _times(a, child), _times(b, child)
        return a, b
    if kind == libsbml.AST_DIVIDE and parts[1][0] is None:
        return _over(parts[0][0], children[1]), _over(parts[0][1], children[1])
    return None  # x inside a power, a function, a piecewise, a relation, or a denominator


def _solved(math, x):
    """The math of x from 0 = math, or None if math is not affine in x with a nonzero coefficient."""
    parts = affine_parts(math, x)
    if parts is None or parts[0] is None:
        return None
    a, b = parts
    if b is None:
        return _number(0.0)
    if _is_number(a, 1.0):
        return _negative(b)
    return b if _is_number(a, -1.0) else _apply(libsbml.AST_DIVIDE, _negative(b), a)


def _is_number(node, value):
    return node.isNumber() and node.getValue() == value


def _free_variables(model):
    """Ids an algebraic rule may determine: non-constant, set by no rate or assignment rule, and no
    species that a reaction changes."""
    ruled = {rule.getVariable() for rule in model.getListOfRules() if not rule.isAlgebraic()}
    reacting = {reference.getSpecies() for reaction in model.getListOfReactions()
                for reference in list(reaction.getListOfReactants()) + list(reaction.getListOfProducts())
                if not model.getSpecies(reference.getSpecies()).getBoundaryCondition()}
    free = {element.getId() for element in list(model.getListOfParameters()) + list(model.getListOfCompartments())
            + list(model.getListOfSpecies()) if not element.getConstant()}
    if model.getLevel() >= 3:
        free |= {reference.getId() for reaction in model.getListOfReactions()
                 for reference in list(reaction.getListOfReactants()) + list(reaction.getListOfProducts())
                 if reference.isSetId() and not reference.getConstant()}
    return free - ruled - reacting


def as_assignment_rules(model):
    """Replace every algebraic rule of `model` (changed in place) by the assignment rule it amounts to;
    raise UnsupportedSBMLError naming the first rule that is none."""
    pending = [rule for rule in model.getListOfRules() if rule.isAlgebraic() and rule.isSetMath()]
    free = _free_variables(model)
    while pending:
        for rule in pending:
            candidates = sorted(_names(rule.getMath()) & free)
            solved = _solved(rule.getMath(), candidates[0]) if len(candidates) == 1 else None
            if solved is not None:
                break
        else:
            rule = pending[0]
            candidates = sorted(_names(rule.getMath()) & free)
            why = (f"it is not affine in {candidates[0]}" if len(candidates) == 1 else
                   f"it has no single variable to solve for (candidates: {', '.join(candidates) or 'none'})")
            raise unsupported(f"the algebraic rule {libsbml.formulaToL3String(rule.getMath())} = 0 ({why}: a "
                              "differential-algebraic system)")
        assignment = model.createAssignmentRule()
        assignment.setVariable(candidates[0])
        assignment.setMath(solved)
        free.discard(candidates[0])
        pending.remove(rule)
        model.removeRule(next(i for i in range(model.getNumRules()) if model.getRule(i) == rule))
