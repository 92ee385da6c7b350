"""Loading SBML/Antimony: descriptions of the model, and one-line errors that say where and what."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from morphosim.genes import SBMLError, load
from morphosim.genes.codegen import cache_dir
from tests.genes.conftest import MODELS

BROKEN_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="broken">
    <listOfCompartments>
      <compartment id="cell" size="1" constant="true"/>
    </listOfCompartments>
    <listOfSpecies>
      <species id="A" compartment="nucleus" initialConcentration="1" hasOnlySubstanceUnits="false"
               boundaryCondition="false" constant="false"/>
    </listOfSpecies>
  </model>
</sbml>
"""


def _build_script():
    spec = importlib.util.spec_from_file_location("build_sbml", MODELS / "build_sbml.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("source", sorted(MODELS.glob("*.ant")), ids=lambda p: p.stem)
def test_models_sbml_is_in_sync_with_antimony_and_documented(source):
    xml = source.with_suffix(".xml")
    assert xml.read_text() == _build_script().sbml_from_antimony(source), \
        f"{xml.name} is stale: run .venv/bin/python models/build_sbml.py"
    header = xml.read_text().split("-->")[0]
    for field in ("Inputs:", "Outputs:", "Source:"):
        assert field in header
    # the SBML file and its Antimony source load to the same model
    from_xml, from_ant = load(xml), load(source)
    assert list(from_xml.species) == list(from_ant.species)
    assert list(from_xml.parameters) == list(from_ant.parameters)


def test_description_of_a_model():
    net = load(MODELS / "mechanosensitive_myosin.xml")
    assert list(net.species) == ["Rho", "myosin"]
    assert net.parameters["strain"].value == 0.0 and net.parameters["strain"].rule is None
    assert net.parameters["stretch_signal"].rule == "assignment"
    assert net.compartments["default_compartment"].size == 1.0
    assert "strain" in net.population(1).parameter_names
    assert "stretch_signal" not in net.population(1).parameter_names


def test_strain_raises_myosin():
    """The mechanosensitive circuit's output rises with its input, and compression does nothing."""
    net = load(MODELS / "mechanosensitive_myosin.xml")
    population = net.population(3, rtol=1e-8, atol=1e-10)
    population.set_parameter("strain", [-0.5, 0.0, 0.5])
    population.advance(20.0)
    myosin = population.state[:, population.species_names.index("myosin")]
    assert myosin[0] == pytest.approx(myosin[1], rel=1e-9)
    assert myosin[2] > 2 * myosin[1]


def test_french_flag_reads_three_fates():
    net = load(MODELS / "french_flag.xml")
    population = net.population(3, rtol=1e-8, atol=1e-10)
    population.set_parameter("morphogen", [0.9, 0.5, 0.1])
    population.advance(10.0)
    fates = np.array(population.species_names)[np.argmax(population.state, axis=1)]
    assert list(fates) == ["Blue", "White", "Red"]


def test_invalid_sbml_names_line_and_element():
    with pytest.raises(SBMLError) as caught:
        load(BROKEN_SBML)
    message = str(caught.value)
    assert "line 8" in message and "'A'" in message and "nucleus" in message
    assert "\n" not in message


def test_antimony_syntax_error_names_the_line():
    with pytest.raises(SBMLError, match=r"line 3"):
        load("model bad\n  J0: -> S; k\n  J1: S -> ; k * * S\nend\n")


def test_missing_file_is_named():
    with pytest.raises(SBMLError, match=r"nowhere\.xml: no such model file"):
        load("models/nowhere.xml")


def test_second_population_reuses_the_compiled_module():
    net = load(MODELS / "toggle_switch.xml")
    first = net.population(2)
    again = load(MODELS / "toggle_switch.ant").population(3)
    assert again.module is first.module
    assert Path(first.module.__file__).parent == cache_dir()


def test_numba_cache_serves_a_new_process():
    """A fresh interpreter loads the machine code from numba's cache: nothing is recompiled."""
    load(MODELS / "toggle_switch.xml").population(2).advance(0.1)  # make sure the cache is filled
    script = (
        "from morphosim.genes import load\n"
        f"population = load({str(MODELS / 'toggle_switch.xml')!r}).population(2)\n"
        "population.advance(0.1)\n"
        "kernel = population.module.explicit_blocks  # what one thread runs\n"
        "print(sum(kernel.stats.cache_hits.values()), sum(kernel.stats.cache_misses.values()))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    hits, misses = map(int, result.stdout.split()[-2:])
    assert hits >= 1 and misses == 0
