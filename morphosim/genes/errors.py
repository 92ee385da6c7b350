"""Errors of the gene scale: bad SBML, and SBML the batched solver cannot compile."""

from morphosim.errors import InputError


class SBMLError(InputError):
    """The model is not valid SBML/Antimony, or a name given for it does not exist.
    The message is one line naming the element id (and line, when known) and the problem."""


class UnsupportedSBMLError(SBMLError):
    """Valid SBML using a construct the batched solver does not compile (events, delays, algebraic
    rules, ...). The message names the construct and the element, and suggests `solver: tellurium`."""


def unsupported(construct):
    """The error for a construct the batched solver does not compile (raise it)."""
    return UnsupportedSBMLError(
        f"{construct} is not supported by the batched solver; use `solver: tellurium` for this model")


class GeneSolverError(RuntimeError):
    """The batched integrator failed for a block of cells (step limit, a step too small, an event
    cascade); `rows` = (first, last): the population rows first..last - 1 it was integrating."""

    def __init__(self, message, rows):
        super().__init__(message)
        self.rows = rows
