"""`validate` finds what `run` would refuse: the polygon checks against sheets known to be good,
SBML files recognised by their content, solver refusals naming the model file and line."""

import numpy as np
import pytest

from morphosim import genes
from morphosim.cells import Sheet
from morphosim.cli import main
from morphosim.scenario import MAX_DIFFUSION_NUMBER
from morphosim.scenario.geometry import polygon_problems

from tests.scenario.test_hostile_input import GOOD


def cell_loops(sheet: Sheet) -> list[list[int]]:
    """Each cell's vertex indices in order around it."""
    loops = []
    for cell in range(sheet.n_cells):
        first = edge = int(sheet.cell_edge[cell])
        loop = []
        while True:
            loop.append(int(sheet.origin[edge]))
            edge = int(sheet.next[edge])
            if edge == first:
                break
        loops.append(loop)
    return loops


@pytest.mark.parametrize("sheet", [Sheet.hexagonal(6, 6), Sheet.voronoi(60, box=(5.0, 5.0), lloyd=1, seed=3)],
                         ids=["hexagonal", "voronoi"])
def test_good_sheets_pass_and_a_shifted_copy_of_one_cell_is_an_overlap(sheet):
    vertices = sheet.vertices[: sheet.n_vertices, :2]
    loops = cell_loops(sheet)
    assert polygon_problems(vertices.tolist(), loops) == []
    middle = len(loops) // 2
    for shift in ((0.0, 0.0), (0.3, 0.1), (0.05, -0.02)):   # the same cell again, then partly over it
        moved = vertices[loops[middle]] + shift
        problems = polygon_problems(np.concatenate([vertices, moved]).tolist(),
                                    loops + [list(range(len(vertices), len(vertices) + len(moved)))])
        assert len(problems) == 1 and problems[0][1].startswith(f"overlaps cells[{len(loops)}];"), shift
        if shift == (0.0, 0.0):   # an exact copy overlaps only the cell it copies
            assert problems[0][0] == f"cells[{middle}]"


def test_cells_touching_along_part_of_an_edge_do_not_overlap():
    # a T-junction: the right cell's corner (1, 0.5) sits on the left cell's right edge
    vertices = [[0, 0], [1, 0], [1, 1], [0, 1], [2, 0], [2, 1], [1, 0.5]]
    assert polygon_problems(vertices, [[0, 1, 6, 2, 3], [1, 4, 5, 2, 6]]) == []


def test_a_square_in_the_notch_of_an_l_shaped_cell_does_not_overlap_it():
    # the L's corner average (4/3, 4/3) lies in its notch, inside the square: not a sample of the L
    vertices = [[0, 0], [3, 0], [3, 1], [1, 1], [1, 3], [0, 3], [3, 3]]
    cells = [[0, 1, 2, 3, 4, 5], [3, 2, 6, 4]]
    assert polygon_problems(vertices, cells) == []
    assert polygon_problems(vertices + [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8]],
                            cells + [[7, 8, 9, 10]]) == [("cells[0]", "overlaps cells[2]; cells may share edges "
                                                          "and corners, not area")]


DELAYED = "model m\n  J0: -> X; k\n  J1: -> X; delay(X, 0.5)\n  k = 1; X = 0\nend\n"


def scenario_with_model(tmp_path, model_name: str, model_text: str, solver: str = "batched"):
    (tmp_path / model_name).write_text(model_text)
    text = GOOD.replace("  antimony: |\n    model m\n      J0: -> X; k\n      k = 1; X = 0\n    end\n",
                        f"  model: {model_name}\n  solver: {solver}\n")
    (tmp_path / "s.yaml").write_text(text)
    return tmp_path / "s.yaml"


def test_an_sbml_file_without_an_sbml_suffix_is_read_as_sbml(tmp_path, capsys):
    sbml = genes.load("model m\n  J0: -> X; k\n  k = 1; X = 0\nend\n").sbml
    scenario = scenario_with_model(tmp_path, "model.xml.bak", sbml)
    assert main(["validate", str(scenario)]) == 0, capsys.readouterr().err
    assert list(genes.load(str(tmp_path / "model.xml.bak")).species) == ["X"]
    # an Antimony file under any name is still Antimony
    (tmp_path / "model.txt.bak").write_text("model m\n  J0: -> Y; k\n  k = 1; Y = 0\nend\n")
    assert list(genes.load(str(tmp_path / "model.txt.bak")).species) == ["Y"]


@pytest.mark.parametrize("solver", ["batched", "tellurium"])
def test_delay_is_reported_with_the_model_file_and_line(tmp_path, capsys, solver):
    sbml = genes.load(DELAYED).sbml
    line = next(number for number, text in enumerate(sbml.splitlines(), 1)
                if "<kineticLaw" in text and "delay" in "".join(sbml.splitlines()[number:number + 12]))
    scenario = scenario_with_model(tmp_path, "delayed.xml", sbml, solver)
    for command in ("validate", "run"):
        assert main([command, str(scenario)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and f"s.yaml:8: genes.solver: {tmp_path / 'delayed.xml'}:{line}: delay() in the " \
            "kineticLaw of reaction 'J1': neither solver runs delay differential equations" in lines[0], lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["delayed.xml", "s.yaml"]


def test_the_diffusion_bound_is_where_one_step_stops_conserving_the_amount():
    """Backward Euler, no decay, no flow: one step keeps the amount to round-off times D dt / h^2;
    at validate's bound that is below 1e-6, four decades above it already 1e-5 (1e300: all of it)."""
    from morphosim.tissue.meshes import rectangle_mesh
    from morphosim.tissue.transport import Transport

    mesh_size, dt = 0.5, 0.1
    mesh = rectangle_mesh(4.0, 4.0, mesh_size)
    errors = {}
    for number in (MAX_DIFFUSION_NUMBER, 1e4 * MAX_DIFFUSION_NUMBER):
        transport = Transport(mesh, {"m": {"D": number * mesh_size**2 / dt, "k": 0.0}})
        x = transport.space.tabulate_dof_coordinates()
        transport.set_concentration("m", np.exp(-((x[:, 0] - 1.0) ** 2)))
        before = transport.total_amount("m")
        transport.step(dt)
        errors[number] = abs(transport.total_amount("m") / before - 1.0)
    assert errors[MAX_DIFFUSION_NUMBER] < 1e-6 and errors[1e4 * MAX_DIFFUSION_NUMBER] > 1e-5, errors
