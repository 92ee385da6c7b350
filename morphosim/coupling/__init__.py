"""The handshakes between scales: the only package that knows more than one scale.

Read this page first. Three scales run concurrently (docs/DESIGN.md), and every exchange between them
lives here, once:

    genes ──(outputs.py: species → mechanics, triggers, secretion)──► cells
    cells ──(flow.py: b = Bᵀ F)──► tissue ──(flow.py: dr/dt = B v + F/ξ)──► cells
    cells, tissue ──(inputs.py: strain, strain rate, fields, neighbours → SBML parameters)──► genes

- `inputs.INPUTS` — cells/tissue → genes. The table of input sources a scenario's `genes.inputs`
  may name: `strain.areal`, `strain.anisotropy`, `strain_rate.trace`, `strain_rate.anisotropy`,
  `strain.accumulated`, `position.<axis>`, `field.<name>`, `neighbours.mean.<species>`,
  `neighbours.contact_mean.<species>`. Each entry is a function of the step's `CellState` with a
  one-line docstring giving what it computes and its units. Add a source: one function, one entry.
- `outputs.OUTPUTS` — genes → cells/tissue. The targets of `genes.outputs`: the coefficients `K`,
  `A0`, `Gamma`, `Lambda`, `Lambda_planar` (linear or Hill maps of a species) and the triggers
  `divide` and `die`; `apoptosis` (a dying cell's A0 → 0) and `secretion_rates` (species →
  morphogen sources) are the other two handshake functions there.
- `flow.FlowCoupling` — cells ↔ tissue: vertex forces load the flow once (b = Bᵀ F) and vertices
  move with it (dr/dt = B v + F/ξ) through the same point operator B, so power balances and a
  tissue at equilibrium drives no flow; `flow.tissue_mesh` picks the mesh that carries a sheet.
- `cell_state.CellState` — what every handshake reads: the cells' geometry, normals, shape tensors
  and adjacency, computed at most once per step after motion and topology, and the strain rates
  with the time they were sampled (the end of the previous step's motion, when the genes read them).
- `simulation.Simulation` — the stepper: its docstring is the step order.

The scenario validator and the README's key table take the names from `INPUTS` and `OUTPUTS`.
"""

from .cell_state import CellState
from .flow import FlowCoupling, tissue_mesh
from .inputs import INPUTS, InputSource, find_input, input_value
from .outputs import OUTPUTS, GeneOutput, ParameterMap, Trigger
from .simulation import GeneCoupling, Simulation, SimulationFailure



def handshake_tables() -> str:
    """The README's tables of gene inputs and outputs, written from INPUTS and OUTPUTS."""
    def only(cells: str | None) -> str:
        return {None: "", "sheet": " (sheets only)", "monolayer": " (3D monolayers only)",
                "shell": " (cells on the embryo's ellipsoid)"}[cells]

    lines = ["| `genes.inputs` source | per cell |", "| --- | --- |"]
    lines += [f"| `{name}` | {entry.doc}{only(entry.cells)} |" for name, entry in INPUTS.items()]
    lines += ["", "| `genes.outputs` target | kind | per cell |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {entry.kind} | {entry.doc}{only(entry.cells)} |" for name, entry in OUTPUTS.items()]
    return "\n".join(lines) + "\n"


__all__ = [
    "CellState", "FlowCoupling", "GeneCoupling", "GeneOutput", "INPUTS", "InputSource", "OUTPUTS", "ParameterMap",
    "Simulation", "SimulationFailure", "Trigger", "find_input", "handshake_tables", "input_value",
    "tissue_mesh",
]
