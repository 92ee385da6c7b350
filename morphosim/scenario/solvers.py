"""Whether the chosen gene solver can run the model: checked by `validate`, before anything is built.

The batched solver's refusals come from translating the model (cheap: no machine code is made);
delay() is refused by both solvers (libRoadRunner has no delay differential equations either).
"""

from __future__ import annotations

from pathlib import Path

from morphosim.genes.errors import UnsupportedSBMLError
from morphosim.genes.sbml import delay_refusal, delayed_math


def solver_problem(network, solver: str) -> str | None:
    """What stops `solver` running the model (naming the model file, and the line in an SBML file), or None."""
    model = network.document.getModel()
    refusal = delay_refusal(model)
    if refusal is not None:
        return f"{_where(network, delayed_math(model)[0])}: {refusal}"
    if solver == "batched":
        try:
            network.compile()
        except UnsupportedSBMLError as error:
            return f"{network.name}: {error}"
    return None


def _where(network, element) -> str:
    """The model file, with the element's line when the file is the SBML itself (not Antimony)."""
    path = Path(network.name)
    if path.is_file() and path.read_text() == network.sbml and element.getLine():
        return f"{path}:{element.getLine()}"
    return network.name
