"""Broken or unrunnable gene models behind a good scenario: `validate` and `run` both refuse them with
one line naming the scenario line, the key and the model file, exit code 2, nothing written."""

import pytest

from morphosim.cli import main

SCENARIO = """\
name: x
time: {{end: 0.02, dt: 0.01}}
cells:
  geometry: {{kind: hexagonal, rows: 4, cols: 4, periodic: true}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}}
genes:
  model: {model}
  solver: {solver}
output: {{path: out.zarr}}
"""

DELAY = "model m\n  J0: -> X; k * delay(X, 0.1) + 0.1\n  k = 0.5; X = 1\nend\n"
LOCAL_ONLY = """<?xml version="1.0" encoding="UTF-8"?>
<sbml xmlns="http://www.sbml.org/sbml/level3/version2/core" level="3" version="2">
  <model id="local_only">
    <listOfCompartments><compartment id="c" size="1" constant="true"/></listOfCompartments>
    <listOfSpecies>
      <species id="X" compartment="c" initialConcentration="1" hasOnlySubstanceUnits="false"
               boundaryCondition="false" constant="false"/>
    </listOfSpecies>
    <listOfReactions>
      <reaction id="decay" reversible="false">
        <listOfReactants><speciesReference species="X" stoichiometry="1" constant="true"/></listOfReactants>
        <kineticLaw>
          <math xmlns="http://www.w3.org/1998/Math/MathML"><apply><times/><ci>k</ci><ci>X</ci></apply></math>
          <listOfLocalParameters><localParameter id="k" value="0.3"/></listOfLocalParameters>
        </kineticLaw>
      </reaction>
    </listOfReactions>
  </model>
</sbml>
"""

CASES = {   # name: (model file name, its bytes, solver, --set overrides, expected in the one line)
    "binary model": ("m.xml", bytes(range(256)) * 8, "batched", [],
                     "s.yaml:7: genes.model: {folder}/m.xml: not an SBML or Antimony text file (byte 0x80 at offset 128"),
    "binary Antimony": ("m.ant", b"\x89PNG\r\n\x1a\n" + bytes(200), "batched", [],
                        "s.yaml:7: genes.model: {folder}/m.ant: not an SBML or Antimony text file (byte 0x89 at offset 0"),
    "junk XML": ("m.xml", b"<sbml><<<>>>\x01", "batched", [], "s.yaml:7: genes.model: {folder}/m.xml: line 2: Badly formed XML"),
    "delay under batched": ("m.ant", DELAY.encode(), "batched", [],
                            "s.yaml:8: genes.solver: {folder}/m.ant: delay() in the kineticLaw of reaction 'J0': "
                            "neither solver runs delay differential equations"),
    "delay under tellurium": ("m.ant", DELAY.encode(), "tellurium", [],
                              "s.yaml:8: genes.solver: {folder}/m.ant: delay() in the kineticLaw of reaction 'J0': "
                              "neither solver runs delay differential equations"),
    "local parameter as input": ("m.xml", LOCAL_ONLY.encode(), "batched", ["genes.inputs.k=position.x"],
                                 "genes.inputs.k: 'k' is not a parameter of the model; it has no global parameter, "
                                 "only parameters local to reactions decay, which cells cannot set; declare 'k' at "
                                 "model level"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_model_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys):
    name, data, solver, overrides, expected = CASES[case]
    (tmp_path / name).write_bytes(data)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO.format(model=name, solver=solver))
    for command in ("validate", "run"):
        code = main([command, str(scenario), *[part for o in overrides for part in ("--set", o)]])
        err = capsys.readouterr().err
        assert code == 2, (case, command, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and expected.format(folder=tmp_path) in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "s.yaml"])
