"""Each kind of bad input: one clear line naming the place, exit code 2, no traceback, no store."""

import pytest

from tests.coupling.stores import run_cli

MODELS = __import__("pathlib").Path(__file__).resolve().parents[2] / "models"

GOOD = f"""\
name: notch
time: {{end: 0.2, dt: 0.1}}
cells:
  geometry: {{kind: hexagonal, rows: 4, cols: 4, periodic: true}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}}
genes:
  model: {MODELS / "collier_notch_delta.xml"}
  initial: {{D: {{uniform: [0.9, 1.0]}}}}
  inputs: {{D_nbr: neighbours.mean.D}}
  outputs: {{Lambda: {{species: N, base: 0.12, gain: 0.1}}}}
output: {{path: out.zarr}}
"""

INVALID_SBML = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version1/core" level="3" version="1">
  <model id="broken">
    <listOfSpecies>
      <species id="A" compartment="nowhere" initialConcentration="1" hasOnlySubstanceUnits="false"
               boundaryCondition="false" constant="false"/>
    </listOfSpecies>
  </model>
</sbml>
"""

CASES = {
    "malformed YAML": (GOOD.replace("time: {end: 0.2, dt: 0.1}", "time: {end: 0.2, dt: 0.1"),
                       "malformed YAML"),
    "unknown key": (GOOD.replace("name: notch", "name: notch\ncolour: red"),
                    "scenario.yaml:2: colour: unknown key; allowed here: name, seed"),
    "wrong type": (GOOD.replace("rows: 4", "rows: four"),
                   "scenario.yaml:4: cells.geometry.rows: expected an integer >= 1, got 'four'"),
    "missing SBML file": (GOOD.replace("collier_notch_delta.xml", "no_such_model.xml"),
                          "scenario.yaml:7: genes.model: SBML file not found"),
    "invalid SBML": (GOOD.replace(str(MODELS / "collier_notch_delta.xml"), "broken.xml"),
                     "scenario.yaml:7: genes.model: "),
    "unknown species": (GOOD.replace("species: N,", "species: Notch,"),
                        "scenario.yaml:10: genes.outputs.Lambda.species: 'Notch' is not a species of the model"),
    "unknown parameter": (GOOD.replace("D_nbr: neighbours", "delta_in: neighbours"),
                          "scenario.yaml:9: genes.inputs.delta_in: 'delta_in' is not a parameter of the model"),
    "unknown parameter value": (GOOD.replace("  inputs:", "  parameters: {k_delta: 2.0}\n  inputs:"),
                                "scenario.yaml:9: genes.parameters.k_delta: 'k_delta' is not a parameter of the model"),
    "parameter value of an input": (GOOD.replace("  inputs:", "  parameters: {D_nbr: 2.0}\n  inputs:"),
                                    "scenario.yaml:9: genes.parameters.D_nbr: 'D_nbr' is also in genes.inputs"),
    "unknown input source": (GOOD.replace("neighbours.mean.D", "neighbours.median.D"),
                             "scenario.yaml:9: genes.inputs.D_nbr: unknown input source 'neighbours.median.D'"),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_exit_code_2(case, tmp_path):
    text, expected = CASES[case]
    (tmp_path / "scenario.yaml").write_text(text)
    (tmp_path / "broken.xml").write_text(INVALID_SBML)
    for command in ("validate", "run"):
        result = run_cli(command, "scenario.yaml", cwd=tmp_path)
        assert result.returncode == 2, (case, command, result.stderr)
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert expected in lines[0], lines[0]
    assert not (tmp_path / "out.zarr").exists()
    if case == "invalid SBML":
        assert "broken.xml: line 3:" in lines[0] and "compartment" in lines[0]


def test_the_good_scenario_runs(tmp_path):
    (tmp_path / "scenario.yaml").write_text(GOOD)
    result = run_cli("run", "scenario.yaml", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.zarr" / "zarr.json").is_file()
