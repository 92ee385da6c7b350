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

def polygons(vertices: str, cells: str) -> str:
    return GOOD.replace("{kind: hexagonal, rows: 4, cols: 4, periodic: true}",
                        f"{{kind: polygons, vertices: {vertices}, cells: {cells}}}")


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
    # geometry run would refuse (or, for overlapping cells, run as if it were fine)
    "polygon index out of range": (polygons("[[0, 0], [1, 0], [0, 1]]", "[[0, 1, 5]]"), [],
                                   "s.yaml:4: cells.geometry.cells[0][2]: vertex index 5 is outside [0, 3)"),
    "clockwise cell": (polygons("[[0, 0], [1, 0], [0, 1]]", "[[0, 2, 1]]"), [],
                       "s.yaml:4: cells.geometry.cells[0]: is clockwise"),
    "bow-tie cell": (polygons("[[0, 0], [1, 0], [0, 1], [1, 1]]", "[[0, 1, 2, 3]]"), [],
                     "s.yaml:4: cells.geometry.cells[0]: its edges 1 and 3 cross (a bow-tie)"),
    "overlapping cells": (polygons("[[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0], [1.5, 0], [1.5, 1], [0.5, 1]]",
                                   "[[0, 1, 2, 3], [4, 5, 6, 7]]"), [],
                          "s.yaml:4: cells.geometry.cells[0]: overlaps cells[1]"),
    "cell inside another": (polygons("[[0, 0], [3, 0], [3, 3], [0, 3], [1, 1], [2, 1], [2, 2], [1, 2]]",
                                     "[[0, 1, 2, 3], [4, 5, 6, 7]]"), [],
                            "s.yaml:4: cells.geometry.cells[0]: overlaps cells[1]"),
    "pinched polygons": (polygons("[[0, 0], [1, 0], [1, 1], [2, 1], [2, 2], [1, 2]]", "[[0, 1, 2], [2, 3, 4, 5]]"),
                         [], "s.yaml:4: cells.geometry.cells: vertex 2 touches the boundary twice"),
    "shell of 3 cells": (GOOD.replace("{kind: hexagonal, rows: 4, cols: 4, periodic: true}",
                                      "{kind: ellipsoid_shell, n_cells: 3, radii: [1, 1, 1]}"), [],
                         "s.yaml:4: cells.geometry.n_cells: a closed shell needs n_cells >= 4, got 3"),
    "periodic 1x1 sheet": (GOOD.replace("rows: 4, cols: 4", "rows: 1, cols: 1"), [],
                           "s.yaml:4: cells.geometry.rows: a periodic hexagonal sheet needs an even rows >= 4 and "
                           "cols >= 3, got 1 x 1"),
    "periodic voronoi of 4": (GOOD.replace("{kind: hexagonal, rows: 4, cols: 4, periodic: true}",
                                           "{kind: voronoi, n_cells: 4, box: [2, 2], periodic: true}"), [],
                              "s.yaml:4: cells.geometry.n_cells: a periodic voronoi sheet needs n_cells >= 9"),
    # genes
    "misspelt output key": (GOOD.replace("initial: {X: 0.5}", "initial: {X: 0.5}\n  outputs:\n"
                                         "    Lambda: {species: X, gian: 2.0}"), [],
                            "s.yaml:14: genes.outputs.Lambda.gian: unknown key (did you mean gain?); "
                            "allowed here: species, base, gain"),
    "misspelt trigger key": (GOOD.replace("initial: {X: 0.5}", "initial: {X: 0.5}\n  outputs:\n"
                                          "    divide: {species: X, abov: 2.0}"), [],
                             "s.yaml:14: genes.outputs.divide.abov: unknown key (did you mean above?); "
                             "allowed here: species, above, below"),
    "delay under batched": (GOOD.replace("k = 1;", "J1: -> X; delay(X, 0.5)\n      k = 1;"), [],
                            "s.yaml:6: genes.solver: <Antimony text>: delay() in the kineticLaw of reaction 'J1': "
                            "neither solver runs delay differential equations"),
    "delay under tellurium": (GOOD.replace("k = 1;", "J1: -> X; delay(X, 0.5)\n      k = 1;")
                              .replace("initial:", "solver: tellurium\n  initial:"), [],
                              "s.yaml:13: genes.solver: <Antimony text>: delay() in the kineticLaw of reaction 'J1'"),
    "algebraic rule under batched": (GOOD.replace("k = 1;", "species Q\n      0 = Q*Q + X - 2\n      k = 1;"), [],
                                     "s.yaml:6: genes.solver: <Antimony text>: the algebraic rule Q * Q + X - 2 = 0 "
                                     "(it is not affine in Q: a differential-algebraic system) is not supported by "
                                     "the batched solver; use `solver: tellurium`"),
    "diffusion beyond round-off": (GOOD + "tissue:\n  flow: {mu: 1.0, mesh_size: 0.5}\n  fields:\n"
                                   "    m: {D: 1.0e300, k: 0.1}\n", [],
                                   "s.yaml:17: tissue.fields.m.D: D dt / mesh_size^2 = 4e+298 is above 1e+08"),
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
    scenario.write_text(GOOD.replace("dt: 0.01", "dt: 1e-2").replace("end: 0.02", "end: 2.0E-2")
                        .replace("K: 1.0", "K: .1e1"))
    assert main(["validate", str(scenario)]) == 0
    from morphosim.scenario import load_scenario

    scenario = load_scenario(scenario)
    assert (scenario["time"]["dt"], scenario["time"]["end"], scenario["cells"]["mechanics"]["K"]) == (0.01, 0.02, 1.0)


def test_render_refuses_an_impossible_picture_size(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(GOOD)
    assert main(["run", str(scenario), "--quiet"]) == 0
    code = main(["render", str(tmp_path / "out.zarr"), "--out", str(tmp_path / "a.png"), "--size", "100000", "100000"])
    assert code == 2 and "--size 100000 100000: each side must be 16 to 8192 pixels" in capsys.readouterr().err
    assert not (tmp_path / "a.png").exists()
