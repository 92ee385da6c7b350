"""A scenario variant (`extends: base.yaml`) is the base with the variant's keys laid over it: the
same checked scenario as the base with the equivalent --set overrides, problems named in the file
that holds the key, and bad `extends` values refused in one line."""

import pytest

from morphosim.cli import main
from morphosim.errors import InputError
from morphosim.scenario import ScenarioError, load_scenario
from tests.scenario.test_hostile_input import GOOD

VARIANT = """\
extends: base.yaml
name: variant
time: {end: 0.05}
cells:
  mechanics: {Lambda: 0.2}
genes:
  initial: {X: 0.25}
"""


def test_a_variant_is_its_base_with_the_same_overrides(tmp_path):
    (tmp_path / "base.yaml").write_text(GOOD)
    (tmp_path / "variant.yaml").write_text(VARIANT)
    variant = load_scenario(tmp_path / "variant.yaml")
    overridden = load_scenario(tmp_path / "base.yaml", overrides=[
        "name=variant", "time.end=0.05", "cells.mechanics.Lambda=0.2", "genes.initial={X: 0.25}"])
    for scenario in (variant, overridden):
        scenario.pop("_source")
    assert variant == overridden
    assert variant["time"]["dt"] == 0.01 and variant["cells"]["mechanics"]["K"] == 1.0   # kept from the base
    assert variant["cells"]["mechanics"]["Lambda"] == 0.2


def test_a_variant_of_a_variant_and_problems_named_where_the_key_is(tmp_path):
    (tmp_path / "base.yaml").write_text(GOOD.replace("K: 1.0", "K: -1.0"))
    (tmp_path / "variant.yaml").write_text(VARIANT)
    (tmp_path / "again.yaml").write_text("extends: variant.yaml\ntime: {dt: 0.5}\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(tmp_path / "again.yaml")
    problems = {problem.path: (problem.source, problem.line) for problem in caught.value.problems}
    assert problems["cells.mechanics.K"] == (str(tmp_path / "base.yaml"), 5)       # the line in the base
    assert problems["time.dt"] == (str(tmp_path / "again.yaml"), 2)               # dt 0.5 > end 0.05


@pytest.mark.parametrize("extends, expected", [
    ("missing.yaml", "extends: missing.yaml not found beside variant.yaml"),
    ("variant.yaml", "extend each other in a loop (variant.yaml -> variant.yaml)"),
    ("../base.yaml", "is not in this file's folder"),
    ("[base.yaml]", "expected the file name of the scenario this one changes"),
])
def test_a_bad_extends_is_one_line_and_exit_2(tmp_path, capsys, extends, expected):
    (tmp_path / "variant.yaml").write_text(VARIANT.replace("extends: base.yaml", f"extends: {extends}"))
    with pytest.raises(InputError, match=r"variant\.yaml:1: extends: "):
        load_scenario(tmp_path / "variant.yaml")
    assert main(["validate", str(tmp_path / "variant.yaml")]) == 2
    error = capsys.readouterr().err.strip()
    assert expected in error and "\n" not in error and "Traceback" not in error


def test_the_squeezed_gastrulation_is_the_small_one_pressed():
    from pathlib import Path

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    squeezed = load_scenario(scenarios / "gastrulation_small_squeezed.yaml", check_model=False)
    small = load_scenario(scenarios / "gastrulation_small.yaml", check_model=False)
    assert squeezed["cells"]["monolayer"]["squeeze"] == {"axis": "y", "fraction": 0.15, "start": 2.0, "ramp": 2.0}
    assert squeezed["output"]["path"] != small["output"]["path"]
    squeezed["cells"]["monolayer"].pop("squeeze")
    for scenario in (squeezed, small):
        for key in ("_source", "name", "output"):
            scenario.pop(key)
    assert squeezed == small
