"""The 3D flagship's small variant: genes -> monolayer mechanics -> yolk flow on a Drosophila-sized egg
(scenarios/gastrulation_small.yaml; µm, min, nN). What it must show, in scaled form (300 cells)."""

import numpy as np
import pytest

from morphosim import Simulation
from morphosim.coupling.inputs import embryo_coordinate

SCENARIO = "scenarios/gastrulation_small.yaml"


def furrow_numbers(simulation: Simulation) -> dict:
    """Mesoderm (Twist > 0.5) against ectoderm in the trunk (|x| < 150 µm): apical areas, apical/basal
    area ratios (wedges), the ventral midline's inward displacement, tissue speeds at the cells."""
    cells = simulation.cells
    table = simulation.body.measures()
    apical, basal = table[:, 0], table[:, 1]
    trunk = np.abs(cells.centroids[:, 0]) < 150.0
    mesoderm = (simulation.species("Twist") > 0.5) & trunk
    ectoderm = ~(simulation.species("Twist") > 0.5) & trunk
    speed = np.linalg.norm(simulation.flow.velocity_at(cells.centroids), axis=1)
    return {"mesoderm": mesoderm, "dv": embryo_coordinate(cells, "dv"),
            "area_ratio": apical[mesoderm].mean() / apical[ectoderm].mean(),
            "wedge_mesoderm": np.mean(apical[mesoderm] / basal[mesoderm]),
            "wedge_ectoderm": np.mean(apical[ectoderm] / basal[ectoderm]),
            "median_speed": float(np.median(speed)), "max_speed": float(speed.max())}


@pytest.fixture(scope="module")
def without_feedback():
    """Mechanosensitivity off: Twist is set by the Dorsal gradient alone."""
    simulation = Simulation.from_scenario(SCENARIO, overrides=["time.end=20", "genes.parameters.mechanosensitivity=0"])
    before = None
    while simulation.time < 20.0 - 1e-9:
        simulation.step()
        if abs(simulation.time - 10.0) < 1e-9:
            before = furrow_numbers(simulation)
    return before, furrow_numbers(simulation)


def test_the_mesoderm_is_a_ventral_band_of_the_right_width(without_feedback):
    """At onset Twist marks a ventral band |dv| < ~0.16 (12-18 of ~90 cells around a real embryo)."""
    onset, end = without_feedback
    for numbers in (onset, end):
        dv = numbers["dv"][numbers["mesoderm"]]
        print(f"mesoderm cells {numbers['mesoderm'].sum()}, dv up to {dv.max():.3f}")
        assert numbers["mesoderm"].sum() >= 6
        assert dv.max() < 0.25          # confined to the band without the feedback


def test_mesoderm_cells_constrict_apically_into_wedges_at_tissue_speeds(without_feedback):
    """Ten minutes after onset the mesoderm's apical areas are at most half the ectoderm's and its cells
    are wedges (apical/basal area below the ectoderm's), and the tissue moves at µm/min (measured in the
    furrow: ~0.5-3 µm/min, He et al. 2014)."""
    onset, end = without_feedback
    print({key: round(value, 3) for key, value in end.items() if np.isscalar(value)})
    assert onset["area_ratio"] > 0.5           # not constricted before onset
    assert end["area_ratio"] < 0.5
    assert end["wedge_mesoderm"] < 0.7 * end["wedge_ectoderm"]
    assert 0.1 < end["median_speed"] < 10.0
