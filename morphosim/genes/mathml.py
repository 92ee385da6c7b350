"""Translate libsbml math (ASTNode trees) into Python expression source.

The expressions are valid both in plain Python (used once, to evaluate initial values; modules math and
numpy as np in scope) and in numba (the batched right-hand side). Symbols are looked up through a caller-supplied `name_of` function so
the same translator serves kinetic laws (with local parameters), rules and initial assignments.
"""

import math

import libsbml

from morphosim.genes.errors import SBMLError, unsupported

# One-argument MathML functions and their Python spelling (module `math` is imported in generated code).
_UNARY = {
    libsbml.AST_FUNCTION_EXP: "math.exp",
    libsbml.AST_FUNCTION_LN: "math.log",
    libsbml.AST_FUNCTION_ABS: "abs",
    libsbml.AST_FUNCTION_FLOOR: "math.floor",
    libsbml.AST_FUNCTION_CEILING: "math.ceil",
    libsbml.AST_FUNCTION_SIN: "math.sin",
    libsbml.AST_FUNCTION_COS: "math.cos",
    libsbml.AST_FUNCTION_TAN: "math.tan",
    libsbml.AST_FUNCTION_ARCSIN: "math.asin",
    libsbml.AST_FUNCTION_ARCCOS: "math.acos",
    libsbml.AST_FUNCTION_ARCTAN: "math.atan",
    libsbml.AST_FUNCTION_SINH: "math.sinh",
    libsbml.AST_FUNCTION_COSH: "math.cosh",
    libsbml.AST_FUNCTION_TANH: "math.tanh",
    libsbml.AST_FUNCTION_ARCSINH: "math.asinh",
    libsbml.AST_FUNCTION_ARCCOSH: "math.acosh",
    libsbml.AST_FUNCTION_ARCTANH: "math.atanh",
}
# Reciprocal trigonometric functions: 1 / f(x).
_RECIPROCAL = {
    libsbml.AST_FUNCTION_SEC: "math.cos",
    libsbml.AST_FUNCTION_CSC: "math.sin",
    libsbml.AST_FUNCTION_COT: "math.tan",
    libsbml.AST_FUNCTION_SECH: "math.cosh",
    libsbml.AST_FUNCTION_CSCH: "math.sinh",
    libsbml.AST_FUNCTION_COTH: "math.tanh",
}
# Inverse reciprocal functions: arcsec(x) = arccos(1 / x), and so on.
_INVERSE_RECIPROCAL = {
    libsbml.AST_FUNCTION_ARCSEC: "math.acos",
    libsbml.AST_FUNCTION_ARCCSC: "math.asin",
    libsbml.AST_FUNCTION_ARCCOT: "math.atan",
    libsbml.AST_FUNCTION_ARCSECH: "math.acosh",
    libsbml.AST_FUNCTION_ARCCSCH: "math.asinh",
    libsbml.AST_FUNCTION_ARCCOTH: "math.atanh",
}
_RELATIONAL = {
    libsbml.AST_RELATIONAL_EQ: "==",
    libsbml.AST_RELATIONAL_NEQ: "!=",
    libsbml.AST_RELATIONAL_GT: ">",
    libsbml.AST_RELATIONAL_LT: "<",
    libsbml.AST_RELATIONAL_GEQ: ">=",
    libsbml.AST_RELATIONAL_LEQ: "<=",
}
_NUMBERS = (libsbml.AST_INTEGER, libsbml.AST_REAL, libsbml.AST_REAL_E, libsbml.AST_RATIONAL)
# Powers with these integer exponents become products: exact, and vectorizable (no pow call).
_EXPANDED_POWERS = (2, 3, 4)


def literal(value):
    """A float literal; repr round-trips exactly. inf/nan go through module math."""
    if math.isnan(value):
        return "math.nan"
    if math.isinf(value):
        return "math.inf" if value > 0 else "(-math.inf)"
    return repr(float(value))


def as_float(expression):
    """The expression as a float, booleans included: float(True) does not compile in numba, True + 0.0 does."""
    return f"({expression} + 0.0)"


class ExpressionTranslator:
    """Turns an ASTNode into Python source.

    name_of(sbml_id) -> Python source for that symbol (raise KeyError for unknown ids).
    where: text naming the element the math belongs to, for error messages.
    avogadro: the value of the avogadro csymbol.
    """

    def __init__(self, name_of, avogadro, rate_of=None):
        self.name_of = name_of
        self.avogadro = avogadro
        self.rate_of = rate_of  # rate_of(sbml_id) -> source of that symbol's time derivative (rateOf)
        self.uses_time = False

    def translate(self, node, where):
        if node is None:
            raise SBMLError(f"the {where} has no math; give it a formula")
        self.where = where
        return self._expr(node)

    def _refuse(self, construct):
        raise unsupported(f"{construct} in the {self.where}")

    def _children(self, node):
        return [self._expr(node.getChild(i)) for i in range(node.getNumChildren())]

    def _expr(self, node):
        kind = node.getType()
        if kind in _NUMBERS:
            return literal(node.getValue())
        if kind == libsbml.AST_NAME:
            try:
                return self.name_of(node.getName())
            except KeyError:
                raise SBMLError(
                    f"the {self.where} refers to unknown symbol '{node.getName()}'; define it in the model"
                ) from None
        if kind == libsbml.AST_NAME_TIME:
            self.uses_time = True
            return "t"
        if kind == libsbml.AST_NAME_AVOGADRO:
            return literal(self.avogadro)
        if kind == libsbml.AST_CONSTANT_E:
            return "math.e"
        if kind == libsbml.AST_CONSTANT_PI:
            return "math.pi"
        if kind == libsbml.AST_CONSTANT_TRUE:
            return "True"
        if kind == libsbml.AST_CONSTANT_FALSE:
            return "False"

        if kind == libsbml.AST_FUNCTION_RATE_OF:
            if self.rate_of is None or node.getNumChildren() != 1 or node.getChild(0).getType() != libsbml.AST_NAME:
                self._refuse("rateOf()")
            return self.rate_of(node.getChild(0).getName(), self.where)
        args = self._children(node)
        if kind == libsbml.AST_PLUS:
            return "(" + " + ".join(args) + ")" if args else "0.0"
        if kind == libsbml.AST_TIMES:
            return "(" + " * ".join(args) + ")" if args else "1.0"
        if kind == libsbml.AST_MINUS:
            return f"(-{args[0]})" if len(args) == 1 else f"({args[0]} - {args[1]})"
        if kind == libsbml.AST_DIVIDE:
            return f"({args[0]} / {args[1]})"
        if kind in (libsbml.AST_POWER, libsbml.AST_FUNCTION_POWER):
            return self._power(node, args)
        if kind in _UNARY:
            return f"{_UNARY[kind]}({args[0]})"
        if kind in _RECIPROCAL:
            return f"(1.0 / {_RECIPROCAL[kind]}({args[0]}))"
        if kind in _INVERSE_RECIPROCAL:
            return f"{_INVERSE_RECIPROCAL[kind]}(1.0 / {args[0]})"
        if kind == libsbml.AST_FUNCTION_LOG:
            # log with a <logbase> child has two children: base, value; without, base 10.
            if len(args) == 1:
                return f"math.log10({args[0]})"
            return f"(math.log({args[1]}) / math.log({args[0]}))"
        if kind == libsbml.AST_FUNCTION_ROOT:
            if len(args) == 1:
                return f"math.sqrt({args[0]})"
            return f"({args[1]} ** (1.0 / {args[0]}))"
        if kind == libsbml.AST_FUNCTION_FACTORIAL:
            return f"math.gamma({args[0]} + 1.0)"
        if kind in (libsbml.AST_FUNCTION_MAX, libsbml.AST_FUNCTION_MIN):
            # one argument is that argument (Python's max/min would iterate over it)
            function = "max" if kind == libsbml.AST_FUNCTION_MAX else "min"
            if not args:
                self._refuse(f"{function}() without arguments")
            return as_float(args[0]) if len(args) == 1 else f"{function}(" + ", ".join(map(as_float, args)) + ")"
        if kind == libsbml.AST_FUNCTION_REM:
            return f"np.fmod({args[0]}, {args[1]})"  # numba has no math.fmod
        if kind == libsbml.AST_FUNCTION_QUOTIENT:
            return as_float(f"math.trunc({args[0]} / {args[1]})")
        if kind in _RELATIONAL:
            # n-ary relations are chains: a < b < c means a < b and b < c (Python's chaining agrees).
            return "(" + f" {_RELATIONAL[kind]} ".join(args) + ")"
        if kind == libsbml.AST_LOGICAL_AND:
            return "(" + " and ".join(args) + ")" if args else "True"
        if kind == libsbml.AST_LOGICAL_OR:
            return "(" + " or ".join(args) + ")" if args else "False"
        if kind == libsbml.AST_LOGICAL_XOR:
            expression = "False"
            for arg in args:
                expression = f"({expression} != bool({arg}))"
            return expression
        if kind == libsbml.AST_LOGICAL_NOT:
            return f"(not {args[0]})"
        if kind == libsbml.AST_LOGICAL_IMPLIES:  # L3V2; binary only
            if len(args) != 2:
                self._refuse(f"implies() with {len(args)} arguments (it takes two)")
            return f"((not {args[0]}) or {args[1]})"
        if kind == libsbml.AST_FUNCTION_PIECEWISE:
            return self._piecewise(args)
        if kind == libsbml.AST_FUNCTION_DELAY:
            self._refuse("delay()")
        if kind == libsbml.AST_FUNCTION:
            self._refuse(f"function '{node.getName()}' (not a function definition of this model)")
        self._refuse(f"the MathML construct '{node.getName() or libsbml.formulaToL3String(node)}'")

    def _power(self, node, args):
        exponent = node.getChild(1)
        if exponent.getType() in _NUMBERS and exponent.getValue() in _EXPANDED_POWERS:
            return "(" + " * ".join([args[0]] * int(exponent.getValue())) + ")"
        return f"({args[0]} ** {args[1]})"

    @staticmethod
    def _piecewise(args):
        # piecewise(value1, condition1, value2, condition2, ..., [otherwise]); no match and no
        # otherwise is undefined in SBML: NaN makes that visible instead of guessing.
        otherwise = args[-1] if len(args) % 2 == 1 else "math.nan"
        expression = otherwise
        for value, condition in reversed(list(zip(args[0::2], args[1::2]))):
            expression = f"({as_float(value)} if {condition} else {as_float(expression)})"
        return expression
