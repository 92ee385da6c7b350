"""`morphosim inspect MODEL`: what the model holds, and which solver runs it, exactly as `run` finds."""

from pathlib import Path

import pytest

from morphosim.cli import main
from tests.scenario.test_hostile_models import DELAY, LOCAL_ONLY

ROOT = Path(__file__).resolve().parents[1]
# a rule on a compartment (variable volume) and an event: both solvers run it
VARIABLE_VOLUME = ROOT / "tests/data/sbml-test-suite/cases/00946/00946-sbml-l3v2.xml"


def inspect(model, capsys):
    assert main(["inspect", str(model)]) == 0
    return capsys.readouterr().out.splitlines()


def test_inspect_lists_species_parameters_and_solvers(capsys):
    lines = inspect(ROOT / "models/collier_notch_delta.xml", capsys)
    assert "species (2):" in lines and "  N  in default_compartment  initial 0.1" in lines
    assert "global parameters (4):" in lines and "  D_nbr = 0.5" in lines and "  b = 100" in lines
    assert "rules: none" in lines and "events: none" in lines
    assert ("settable per cell by genes.inputs or genes.parameters (batched): D_nbr, a, v, b, default_compartment"
            in lines)
    assert lines[-3:] == ["  batched, method explicit: runs it", "  batched, method stiff: runs it",
                          "  tellurium: runs it"]


def test_inspect_marks_rules_and_events(capsys):
    lines = inspect(VARIABLE_VOLUME, capsys)
    assert "  assignment  C = fakeC" in lines
    assert "  event1: when S1 > 2.1: fakeC = 10" in lines
    assert "  batched, method explicit: runs it" in lines
    assert lines[-1] == "  tellurium: runs it"
    lines = inspect(ROOT / "models/excitable_myosin.ant", capsys)
    assert "  stretch  set by an assignment rule" in lines and "  strain = 0" in lines
    settable = next(line for line in lines if line.startswith("settable per cell")).split(": ")[1].split(", ")
    assert "strain" in settable and "stretch" not in settable and "pacemaker" not in settable


def test_a_model_with_only_local_parameters_says_so(tmp_path, capsys):
    model = tmp_path / "local.xml"
    model.write_text(LOCAL_ONLY)
    lines = inspect(model, capsys)
    assert lines[lines.index("local parameters (per reaction) (1):") + 1] == "  decay: k = 0.3"
    only = next(line for line in lines if line.startswith("global parameters"))
    assert only.startswith("global parameters: none (every parameter of this model is local to a reaction")
    assert "settable per cell by genes.inputs or genes.parameters (batched): c" in lines


SCENARIO = """\
name: x
time: {{end: 0.02, dt: 0.01}}
cells:
  geometry: {{kind: hexagonal, rows: 2, cols: 2}}
  mechanics: {{K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}}
genes: {{model: {model}, solver: {solver}}}
output: {{path: out_{solver}.zarr}}
"""


@pytest.mark.parametrize("name, text", [("delay.ant", DELAY), ("variable_volume.xml", VARIABLE_VOLUME.read_text())])
def test_the_solver_verdict_is_what_run_meets(name, text, tmp_path, capsys):
    model = tmp_path / name
    model.write_text(text)
    verdicts = {line.split(":")[0].strip(): line.split(": ", 1)[1] for line in inspect(model, capsys)
                if line.startswith(("  batched, method explicit", "  tellurium"))}
    for solver, label in (("batched", "batched, method explicit"), ("tellurium", "tellurium")):
        scenario = tmp_path / f"{solver}.yaml"
        scenario.write_text(SCENARIO.format(model=name, solver=solver))
        code = main(["run", str(scenario), "--quiet"])
        err = capsys.readouterr().err
        if verdicts[label] == "runs it":
            assert code == 0 and (tmp_path / f"out_{solver}.zarr").is_dir()
        else:
            assert code == 2 and verdicts[label].removeprefix("refuses it: ") in err


def test_inspect_of_a_missing_or_binary_file_is_one_line_exit_2(tmp_path, capsys):
    (tmp_path / "b.xml").write_bytes(bytes(range(256)))
    for model in (tmp_path / "none.xml", tmp_path / "b.xml"):
        assert main(["inspect", str(model)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and str(model) in err[0]
