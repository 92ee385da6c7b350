"""Scenario files: every problem found at once, named by file, line and key path."""

import textwrap

import pytest

from morphosim.errors import InputError
from morphosim.scenario import ScenarioError, load_scenario, resolve_output

GOOD = """\
name: sheet
seed: 4
time: {end: 2.0, dt: 0.1}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: true}
  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}
genes:
  model: models/circuit.xml
  inputs: {strain_in: strain.areal, D_nbr: neighbours.mean.D}
  outputs: {Lambda: {species: M, base: 0.1, gain: 0.5}, divide: {species: C, above: 2}}
output: {path: out/run.zarr}
"""


def write(tmp_path, text, model=True):
    if model:
        (tmp_path / "models").mkdir(exist_ok=True)
        (tmp_path / "models" / "circuit.xml").write_text("<sbml/>")
    path = tmp_path / "scenario.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_good_scenario_gets_defaults_and_resolved_paths(tmp_path):
    scenario = load_scenario(write(tmp_path, GOOD), check_model=False)
    assert scenario["seed"] == 4 and scenario["genes"]["solver"] == "batched"
    assert scenario["cells"]["geometry"]["lloyd"] == 2
    assert scenario["units"] is None           # no units key: a non-dimensional scenario, labelled so
    assert scenario["genes"]["model"] == str((tmp_path / "models" / "circuit.xml").resolve())
    assert resolve_output(scenario) == (tmp_path / "out" / "run.zarr").resolve()
    assert scenario["genes"]["outputs"]["Lambda"]["law"] == "linear"


def test_all_problems_are_reported_with_lines(tmp_path):
    bad = GOOD.replace("seed: 4", "seed: -1").replace("K: 1.0", "K: big") \
              .replace("strain.areal", "strain.sideways").replace("rows: 4", "rowz: 4")
    with pytest.raises(ScenarioError) as error:
        load_scenario(write(tmp_path, bad))
    messages = [str(problem) for problem in error.value.problems]
    path = tmp_path / "scenario.yaml"
    assert f"{path}:2: seed: expected an integer >= 0, got -1" in messages
    assert f"{path}:6: cells.mechanics.K: expected a number >= 0, got 'big'" in messages
    assert any(m.startswith(f"{path}:5: cells.geometry.rowz: unknown key") for m in messages)
    assert any("cells.geometry.rows: missing (required for kind hexagonal)" in m for m in messages)
    assert any("genes.inputs.strain_in: unknown input source 'strain.sideways'" in m for m in messages)
    assert len(messages) == 5


def test_missing_model_file_and_flow_only_inputs(tmp_path):
    bad = GOOD.replace("strain.areal", "strain_rate.trace")
    with pytest.raises(ScenarioError) as error:
        load_scenario(write(tmp_path, bad, model=False))
    messages = [str(problem) for problem in error.value.problems]
    assert any(":8: genes.model: SBML file not found" in m for m in messages)
    assert any("strain_rate.trace needs a tissue.flow section" in m for m in messages)


def test_overrides_change_values_and_report_as_set(tmp_path):
    path = write(tmp_path, GOOD)
    scenario = load_scenario(path, ["time.end=5", "cells.mechanics.xi=2.5", "output.path=elsewhere.zarr"],
                             check_model=False)
    assert scenario["time"]["end"] == 5.0 and scenario["cells"]["mechanics"]["xi"] == 2.5
    with pytest.raises(ScenarioError, match=r"^--set: time.dt: expected a number > 0, got 'x'"):
        load_scenario(path, ["time.dt=x"])
    with pytest.raises(ScenarioError, match="expected key.path=value"):
        load_scenario(path, ["time.dt"])


def test_malformed_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "name: a\ntime: {end: 1\n")
    with pytest.raises(InputError, match=r"scenario.yaml:3: malformed YAML"):
        load_scenario(path)
