"""Hostile or broken scenario files: one line naming the file, line and key, exit code 2, no
traceback, nothing written; never a hang."""

import pytest

from morphosim.cli import main

GOOD = """\
name: x
time: {end: 0.02, dt: 0.01}
cells:
  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: true}
  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}
genes:
  antimony: |
    model m
      J0: -> X; k
      k = 1; X = 0
    end
  initial: {X: 0.5}
output: {path: out.zarr}
"""

BOMB = "".join(f"{chr(97 + i)}: &{chr(97 + i)} [{', '.join([f'*{chr(96 + i)}'] * 9 if i else ['lol'] * 9)}]\n"
               for i in range(9))

CASES = {   # name: (file contents, --set overrides, expected in the one line)
    "not UTF-8": (GOOD.encode().replace(b"name: x", b"name: \xff\xfe"), [], "s.yaml:1: not UTF-8 text (byte 0xff)"),
    "python tag": (GOOD.replace("name: x", "name: !!python/object/apply:os.system [ls]"), [],
                   "s.yaml:1: the tag !!python/object/apply:os.system is not allowed"),
    "custom tag": (GOOD.replace("K: 1.0", "K: !stiff 1.0"), [], "s.yaml:5: the tag !stiff is not allowed"),
    "mapping as key": (GOOD.replace("name: x", "name: x\n? {a: 1}\n: 2"), [], "s.yaml:2: a mapping cannot be a key"),
    "list as key": (GOOD.replace("name: x", "name: x\n? [a, b]\n: 2"), [], "s.yaml:2: a list cannot be a key"),
    "duplicate key": (GOOD + "name: y\n", [], "s.yaml:14: key 'name' given twice (first at line 1)"),
    "duplicate species": (GOOD.replace("initial: {X: 0.5}", "initial: {X: 0.5, X: 0.7}"), [],
                          "s.yaml:12: key 'X' given twice (first at line 12)"),
    "alias bomb": (GOOD + BOMB, [], "expands to more than 100,000 values"),
    "NaN dt": (GOOD.replace("dt: 0.01", "dt: .nan"), [], "s.yaml:2: time.dt: expected a number > 0, got nan"),
    "infinite K": (GOOD.replace("K: 1.0", "K: .inf"), [], "s.yaml:5: cells.mechanics.K: expected a number >= 0, got inf"),
    "NaN initial state": (GOOD.replace("X: 0.5", "X: .NaN"), [], "s.yaml:12: genes.initial.X: expected a number, {uniform: [lo, hi]} or {normal: [mean, sd]}, got nan"),
    "negative sd": (GOOD.replace("X: 0.5", "X: {normal: [1.0, -0.2]}"), [],
                    "s.yaml:12: genes.initial.X.normal: [mean, sd] with a negative sd = -0.2"),
    "uniform upside down": (GOOD.replace("X: 0.5", "X: {uniform: [2, 1]}"), [],
                            "s.yaml:12: genes.initial.X.uniform: [lo, hi] with lo = 2 above hi = 1"),
    "NaN polygon vertex": (GOOD.replace("{kind: hexagonal, rows: 4, cols: 4, periodic: true}",
                                        "{kind: polygons, vertices: [[0, 0], [1, .nan], [0, 1]], cells: [[0, 1, 2]]}"),
                           [], "s.yaml:4: cells.geometry.vertices[1][1]: expected a number, got nan"),
    "end not a multiple of dt": (GOOD.replace("end: 0.02, dt: 0.01", "end: 1.0, dt: 0.3"), [],
                                 "s.yaml:2: time.end: 1 is not a whole number of steps of time.dt = 0.3 (it would be 0.9)"),
    "zero division axis": (GOOD.replace("  mechanics:", "  division: {area: 2.0, axis: [0, 0, 0]}\n  mechanics:"), [],
                           "s.yaml:5: cells.division.axis: a zero vector has no direction"),
    "--set not YAML": (GOOD, ["time.dt=[0.1,"], "--set: time.dt: not a YAML value: malformed YAML"),
    "--set python tag": (GOOD, ["name=!!python/name:os.system"], "--set: name: not a YAML value: the tag"),
    "--set NaN": (GOOD, ["cells.mechanics.Lambda=-.inf"], "--set: cells.mechanics.Lambda: expected a number"),
}


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, capsys):
    text, overrides, expected = CASES[case]
    scenario = tmp_path / "s.yaml"
    scenario.write_bytes(text if isinstance(text, bytes) else text.encode())
    for command in ("validate", "run"):
        code = main([command, str(scenario), *[part for o in overrides for part in ("--set", o)]])
        err = capsys.readouterr().err
        assert code == 2, (case, command, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and expected in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_yaml_1_2_floats_are_numbers(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(GOOD.replace("dt: 0.01", "dt: 1e-2").replace("end: 0.02", "end: 2E-2"))
    assert main(["validate", str(scenario)]) == 0


def test_render_refuses_an_impossible_picture_size(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(GOOD)
    assert main(["run", str(scenario), "--quiet"]) == 0
    code = main(["render", str(tmp_path / "out.zarr"), "--out", str(tmp_path / "a.png"), "--size", "100000", "100000"])
    assert code == 2 and "--size 100000 100000: each side must be 16 to 8192 pixels" in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists()
