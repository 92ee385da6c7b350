"""One division for every two: a code-generation pass over the straight-line code of one cell.

Divisions bound the batched explicit integrator: a vector division of 4 doubles (AVX2 vdivpd) occupies
the divider for ~5 cycles, while the two FMA pipes finish a multiplication every half cycle. Two
divisions by a and b share one reciprocal,

    r = 1 / (a b),    1/a = r b,    1/b = r a,

one division and three multiplications instead of two divisions; the quotients x/a and y/b become
x (r b) and y (r a). They differ from x/a and y/b by a few rounding errors (ulps), far below any
integrator tolerance.

What pairing changes besides rounding, all where a, b or their product is extreme:
- a b overflows (|a|, |b| > ~1e154 both): r = 0, and both quotients come out 0 instead of tiny;
- a b underflows to 0 (|a|, |b| < ~1e-154 both): r = inf;
- a = 0 or a = inf (or NaN): the partner's quotient y/b is NaN as well, where y/b alone was finite.
In each of these cases a b or r is 0, inf or NaN. `pair_divisions` returns both names per pair, so
that the caller can tell: the integrator step (kernel_source.py) adds 0 (a b + r) to each cell's
error, which turns any of these cases into a NaN error, and retakes such a step with plain divisions.
So a step's result is the plain one up to rounding, and NaN and inf reject a step as before.

Only divisions that are always evaluated are paired: not those inside a conditional expression or a
short-circuit `and`/`or` (their denominator may be zero exactly when the branch is not taken), nor
those whose denominator holds a division or a conditional, nor those by a constant (LLVM folds them).
"""

import ast


def pair_divisions(lines, prefix, constants=()):
    """Rewrite straight-line code so that divisions share reciprocals in pairs.

    lines: Python statements of one cell, `target = expression` (each local name assigned once) or
    comments.
    prefix: start of the new local names (unique per call within one function).
    constants: names bound to numeric literals before these lines (a division by them is left to LLVM).
    Returns (lines, pairs): the new lines, and per pair the names of its product a b and of r = 1 / (a b)."""
    statements = [_assignment(line) for line in lines]
    assigned = {i: s.targets[0].id for i, s in enumerate(statements)
                if s is not None and isinstance(s.targets[0], ast.Name)}
    constants = set(constants) | constant_names(lines)
    defined_at = {name: i for i, name in assigned.items()}
    denominators = {}  # ast.dump of a denominator -> [expression, first line using it, earliest line]
    for i, statement in enumerate(statements):
        if statement is not None:
            for division in _divisions(statement.value, constants):
                key = ast.dump(division.right)
                if key not in denominators:
                    ready = max((defined_at[name] + 1 for name in _names(division.right)
                                 if name in defined_at), default=0)
                    denominators[key] = [division.right, i, ready]
    pairs, waiting = [], []
    for key, (_, use, ready) in denominators.items():  # in order of first use
        partner = next((other for other in waiting if ready <= denominators[other][1]), None)
        if partner is None:
            waiting.append(key)
        else:
            waiting.remove(partner)
            pairs.append((partner, key))

    reciprocal, inserted, names = {}, {}, []
    for k, (first, second) in enumerate(pairs):
        a, b, product, shared = f"{prefix}den{2 * k}", f"{prefix}den{2 * k + 1}", f"{prefix}product{k}", \
            f"{prefix}shared{k}"
        reciprocal[first], reciprocal[second] = f"{prefix}inv{2 * k}", f"{prefix}inv{2 * k + 1}"
        position = max(denominators[first][2], denominators[second][2])
        inserted.setdefault(position, []).extend([
            f"{a} = {ast.unparse(denominators[first][0])}",
            f"{b} = {ast.unparse(denominators[second][0])}",
            f"{product} = {a} * {b}",
            f"{shared} = 1.0 / {product}",
            f"{reciprocal[first]} = {shared} * {b}",
            f"{reciprocal[second]} = {shared} * {a}",
        ])
        names.append((product, shared))
    rewritten = []
    for i, (line, statement) in enumerate(zip(lines, statements)):
        rewritten += inserted.get(i, [])
        if statement is None:
            rewritten.append(line)
        else:
            value = _Multiply(reciprocal, constants).visit(statement.value)
            rewritten.append(f"{ast.unparse(statement.targets[0])} = {ast.unparse(value)}")
    return rewritten, names


def constant_names(lines):
    """The names that lines of `name = expression` bind to numeric literals."""
    statements = [_assignment(line) for line in lines]
    return {s.targets[0].id for s in statements
            if s is not None and isinstance(s.targets[0], ast.Name) and _is_constant(s.value, set())}


def _assignment(line):
    """The ast.Assign of `target = expression`, None for a comment."""
    body = ast.parse(line.strip()).body
    if not body:
        return None
    statement = body[0]
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1):
        raise ValueError(f"not a single assignment: {line!r}")
    return statement


def _names(node):
    """Local names an expression reads (not the module `math` of math.exp(...))."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id != "math"}


def _is_constant(node, constants):
    return _names(node) <= constants


def _is_pairable(division, constants):
    return not (_is_constant(division.right, constants) or any(
        isinstance(n, (ast.IfExp, ast.BoolOp)) or (isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div))
        for n in ast.walk(division.right)))


def _divisions(node, constants):
    """The pairable divisions an expression always evaluates (not inside a conditional)."""
    if isinstance(node, (ast.IfExp, ast.BoolOp)):
        return []
    found = []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _is_pairable(node, constants):
        found.append(node)
    for child in ast.iter_child_nodes(node):
        found += _divisions(child, constants)
    return found


class _Multiply(ast.NodeTransformer):
    """x / a -> x * reciprocal of a, for the paired denominators a outside conditionals."""

    def __init__(self, reciprocal, constants):
        self.reciprocal, self.constants = reciprocal, constants

    def visit_IfExp(self, node):
        return node

    def visit_BoolOp(self, node):
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Div) and _is_pairable(node, self.constants):
            name = self.reciprocal.get(ast.dump(node.right))
            if name is not None:
                return ast.BinOp(node.left, ast.Mult(), ast.Name(name, ast.Load()))
        return node
