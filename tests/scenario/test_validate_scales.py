"""Validation time grows linearly with the scenario's size, at a modest rate (every scalar used to be
re-serialised and re-parsed to be typed, by a pure-Python YAML parser)."""

import time

from morphosim.cells import Sheet
from morphosim.scenario import load_scenario
from tests.scenario.test_validate_checks import cell_loops


def large_scenario(path, rows: int) -> int:
    """A polygons sheet of rows x rows hexagons, as many morphogen fields and comment lines: the
    parts of a scenario that grow (lists, user-named maps, text). Returns the file's size in bytes."""
    sheet = Sheet.hexagonal(rows, rows)
    vertices = sheet.vertices[: sheet.n_vertices, :2].round(6).tolist()
    lines = ["name: large", "time: {end: 0.02, dt: 0.01}", "cells:", "  geometry:", "    kind: polygons",
             "    vertices:", *(f"      - [{x}, {y}]" for x, y in vertices),
             "    cells:", *(f"      - {loop}" for loop in cell_loops(sheet)),
             "  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.04, Lambda: 0.12}",
             "tissue:", "  flow: {mu: 1.0, mesh_size: 0.5}", "  fields:",
             *(f"    m{i}: {{D: 0.1, k: 0.01}}   # field {i}" for i in range(rows * rows)),
             *(f"# note {i}: " + "x" * 70 for i in range(20 * rows * rows)),
             "output: {path: out.zarr}"]
    path.write_text("\n".join(lines) + "\n")
    return path.stat().st_size


def validation_time(path) -> float:
    """Best of two (the machine is shared)."""
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        load_scenario(path)
        best = min(best, time.perf_counter() - start)
    return best


def test_validation_time_is_linear_in_the_file_size(tmp_path):
    small, large = tmp_path / "small.yaml", tmp_path / "large.yaml"
    small_size, large_size = large_scenario(small, 20), large_scenario(large, 40)
    assert 3.5 < large_size / small_size < 4.5 and large_size > 2_500_000
    validation_time(small)   # imports and first calls out of the way
    small_time, large_time = validation_time(small), validation_time(large)
    # linear: 4x the time for 4x the size; the quadratic parts this replaced gave 16x
    assert large_time / small_time < 7, (small_time, large_time)
    # a generous rate (the figures before and after are in bench/RESULTS.md)
    assert large_time / (large_size / 1e6) < 2.5, large_time
