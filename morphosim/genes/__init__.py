"""Gene scale: SBML gene circuits in every cell.

    net = morphosim.genes.load("models/collier_notch_delta.xml")   # or Antimony text
    pop = net.population(10_000, solver="batched", rtol=1e-6, atol=1e-10)
    pop.set_parameter("D_nbr", neighbour_mean_delta)              # per-cell inputs
    pop.advance(0.1)
    pop.state                                                     # (n_cells, n_species)

solver="tellurium" runs one libRoadRunner per cell (the reference, and the fallback for models the
batched solver refuses: events, delays, algebraic rules, ...).
"""

from morphosim.genes.errors import SBMLError, UnsupportedSBMLError
from morphosim.genes.network import GeneNetwork, load
from morphosim.genes.populations import BatchedPopulation, Population, TelluriumPopulation
from morphosim.genes.sbml import Compartment, Parameter, Species

__all__ = [
    "BatchedPopulation", "Compartment", "GeneNetwork", "Parameter", "Population", "SBMLError", "Species",
    "TelluriumPopulation", "UnsupportedSBMLError", "load",
]
