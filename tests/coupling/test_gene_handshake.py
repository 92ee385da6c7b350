"""Genes <-> cells <-> tissue: inputs reach the SBML parameters, outputs reach the mechanics."""

import numpy as np

from morphosim.cells import Sheet, cell_areas, cell_perimeters, neighbours
from morphosim import Simulation
from morphosim.coupling.inputs import neighbour_mean

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "models"

STRETCH_LOOP = f"""\
name: stretch_loop
seed: 2
time: {{end: 1.0, dt: 0.05}}
cells:
  geometry: {{kind: voronoi, n_cells: 36, box: [6, 6], periodic: true, lloyd: 2}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.05, xi: 1.0, t1_length: 0.01}}
genes:
  model: {MODELS / "mechanosensitive_myosin.xml"}
  inputs: {{strain: strain.accumulated}}
  outputs: {{Lambda: {{species: myosin, base: 0.05, gain: 0.4}}}}
tissue:
  flow: {{mu: 1.0, gamma: 0.5, mesh_size: 0.6, compressible: true, bulk_viscosity: 0.5}}
output: {{path: out.zarr}}
"""


def build(tmp_path, text, *overrides):
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return Simulation.from_scenario(path, overrides)


def test_flow_strain_switches_genes_and_genes_set_tension(tmp_path):
    """Cells given a larger target area expand; the flow's strain rate, integrated along their
    paths, activates myosin there; myosin raises their line tension, which changes the flow."""
    sim = build(tmp_path, STRETCH_LOOP)
    expanding = sim.sheet.ids % 3 == 0
    sim.base["A0"][expanding] = 1.6
    sim.update_mechanics()
    for _ in range(40):
        sim.step(0.05)
    myosin = sim.genes.species("myosin")
    strained = sim.accumulated_strain > 0.02
    assert strained.sum() >= 5 and (~strained).sum() >= 5
    # tissue -> cells: the compressible flow expands the cells that push outwards
    assert sim.accumulated_strain[expanding].mean() > 0.04 and sim.accumulated_strain[~expanding].mean() < 0
    # strain -> genes: stretched cells hold more myosin than the others (the rest stay near
    # the circuit's resting level 0.1)
    assert myosin[strained].mean() > 1.5 * myosin[~strained].mean()
    # genes -> cells: line tension is base + gain * myosin, cell by cell
    np.testing.assert_allclose(sim.model.Lambda, 0.05 + 0.4 * myosin, rtol=1e-12)

    # cells -> tissue: without the gene output the same configuration flows differently
    forces_with_genes = sim.model.forces(sim.sheet).copy()
    velocity_with_genes = sim.flow.vertex_velocity(sim.sheet.positions, forces_with_genes)
    sim.model.set_parameters(Lambda=np.full(sim.sheet.n_cells, 0.05))
    velocity_without = sim.flow.vertex_velocity(sim.sheet.positions, sim.model.forces(sim.sheet))
    assert np.abs(velocity_with_genes - velocity_without).max() > 0.1 * np.abs(velocity_without).max()


def test_areal_strain_reaches_each_cell_parameter(tmp_path):
    """strain.areal = A/A0 - 1 is what each cell's SBML parameter holds during the gene step."""
    sim = build(tmp_path, STRETCH_LOOP, "genes.inputs.strain=strain.areal")
    sim.base["A0"][:] = np.linspace(0.7, 1.3, sim.sheet.n_cells)
    sim.update_mechanics()
    expected = cell_areas(sim.sheet) / sim.model.A0 - 1.0
    sim.step(0.05)                 # the genes read their inputs first
    np.testing.assert_allclose(sim.genes.population.get_parameter("strain"), expected, rtol=1e-12)
    assert expected.max() > 0.2 and expected.min() < -0.2


def test_neighbour_means_match_a_direct_count():
    sheet = Sheet.voronoi(30, box=(5.5, 5.5), periodic=True, lloyd=1, seed=9)
    values = np.random.default_rng(1).uniform(size=sheet.n_cells)
    indptr, indices, contact = neighbours(sheet)
    plain = neighbour_mean(indptr, indices, contact, values, False)
    weighted = neighbour_mean(indptr, indices, contact, values, True)
    for cell in range(sheet.n_cells):
        around = indices[indptr[cell]:indptr[cell + 1]]
        lengths = contact[indptr[cell]:indptr[cell + 1]]
        assert len(around) >= 3 and np.all(lengths > 0)
        assert np.isclose(plain[cell], values[around].mean(), rtol=1e-14)
        assert np.isclose(weighted[cell], np.dot(lengths, values[around]) / lengths.sum(), rtol=1e-14)
    # contact lengths add up to the perimeters (a periodic sheet has no outside)
    np.testing.assert_allclose(np.add.reduceat(contact, indptr[:-1]), cell_perimeters(sheet), rtol=1e-12)


def test_scenario_parameter_values_replace_the_models(tmp_path):
    """genes.parameters sets an SBML parameter in every cell:
    dX/dt = k - X from X = 0 gives X(t) = k (1 - exp(-t))."""
    text = """\
name: constant_production
time: {end: 1.0, dt: 0.1}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: true}
  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}
genes:
  antimony: |
    model production
      J0: -> X; k
      J1: X -> ; X
      k = 1; X = 0
    end
  parameters: {k: 3.5}
output: {path: out.zarr}
"""
    sim = build(tmp_path, text)
    for _ in range(10):
        sim.step(0.1)
    np.testing.assert_allclose(sim.genes.species("X"), 3.5 * (1 - np.exp(-1.0)), rtol=1e-5)


def test_a_species_sets_planar_polarised_tension(tmp_path):
    """genes.outputs.Lambda_planar adds the planar-polarised term with the scenario's axis and sets
    its per-cell tension from the species; its forces reach the vertices."""
    text = STRETCH_LOOP.replace("t1_length: 0.01}", "t1_length: 0.01, planar_axis: [0, 1, 0]}").replace(
        "outputs: {Lambda:", "outputs: {Lambda_planar: {species: myosin, base: 0.1, gain: 2.0}, Lambda:")
    sim = build(tmp_path, text)
    planar = sim.model.edge_terms[0]
    np.testing.assert_allclose(planar.axis, [0, 1, 0])
    np.testing.assert_allclose(sim.model.Lambda_planar, 0.1 + 2.0 * sim.genes.species("myosin"), rtol=1e-12)
    with_planar = sim.model.forces(sim.sheet).copy()
    sim.model.set_parameters(Lambda_planar=np.zeros(sim.sheet.n_cells))
    assert np.abs(with_planar - sim.model.forces(sim.sheet)).max() > 0.05
