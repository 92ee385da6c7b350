"""A gene network loaded from SBML or Antimony, and the populations of cells that run it."""

from morphosim.genes.errors import UnsupportedSBMLError
from morphosim.genes.populations import BatchedPopulation, TelluriumPopulation
from morphosim.genes.sbml import delay_refusal, describe, read_document, read_sbml_text, rule_kinds


class GeneNetwork:
    """A validated SBML model.

    species, parameters, compartments: dicts id -> record (Species, Parameter, Compartment) in SBML
    order, with the values as declared (before initial assignments).
    sbml: the SBML text (what the tellurium solver loads).
    """

    def __init__(self, sbml_text, name):
        self.sbml = sbml_text
        self.name = name
        self.document = read_document(sbml_text, name)
        model = self.document.getModel()
        self.species, self.parameters, self.compartments = describe(model)
        self.reaction_ids = [reaction.getId() for reaction in model.getListOfReactions()]
        self._rules = rule_kinds(model)
        self._compiled = None

    def __repr__(self):
        return (f"GeneNetwork({self.name!r}: {len(self.species)} species, {len(self.parameters)} parameters, "
                f"{len(self.compartments)} compartments)")

    def rule_of(self, sbml_id):
        """"assignment", "rate" or None: the kind of rule that sets this symbol."""
        return self._rules.get(sbml_id)

    def compile(self):
        """The batched solver's compiled model (generated and compiled on first use, then cached).
        Raises UnsupportedSBMLError for constructs it cannot compile."""
        if self._compiled is None:
            from morphosim.genes.codegen import compile_model

            self._compiled = compile_model(self.document)
        return self._compiled

    def population(self, n_cells, solver="batched", method="explicit", rtol=1e-6, atol=1e-10, **options):
        """n_cells copies of the network, all starting from the model's initial state.

        solver: "batched" (compiled, all cells at once; method "explicit" or "stiff") or
        "tellurium" (one libRoadRunner/CVODE instance per cell, the reference).
        options: block_size, max_steps for the batched solver.
        """
        if solver == "batched":
            return BatchedPopulation(self.compile(), n_cells, method=method, rtol=rtol, atol=atol, **options)
        if solver == "tellurium":
            return TelluriumPopulation(self, n_cells, rtol=rtol, atol=atol, **options)
        raise ValueError(f"solver must be 'batched' or 'tellurium', got {solver!r}")


    def solver_refusal(self, solver="batched", method="explicit"):
        """Why `population(..., solver=solver, method=method)` refuses this model (the refusal's one-line
        message), or None when it runs it. Builds an empty population, so the answer is exactly what a
        run would get (the batched kernels' numba typing is checked only when they first run)."""
        delayed = delay_refusal(self.document.getModel())
        if delayed is not None:
            return delayed
        try:
            self.population(0, solver=solver, **({"method": method} if solver == "batched" else {}))
        except UnsupportedSBMLError as refusal:
            return str(refusal)
        return None

    @property
    def local_parameters(self):
        """{reaction id: {parameter id: value}}: the parameters local to each reaction's kinetic law
        (not settable per cell: only global parameters are)."""
        found = {}
        for reaction in self.document.getModel().getListOfReactions():
            law = reaction.getKineticLaw()
            if law is not None and law.getNumParameters():
                found[reaction.getId()] = {p.getId(): p.getValue() for p in law.getListOfParameters()}
        return found


def load(source):
    """Load a gene network from an SBML file (Level 2 or 3), an Antimony file (.ant), or SBML/Antimony text.
    Raises SBMLError (one line: where, and what is wrong) for invalid models."""
    sbml_text, name = read_sbml_text(source)
    return GeneNetwork(sbml_text, name)
