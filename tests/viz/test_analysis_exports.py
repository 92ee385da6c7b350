"""Runs as tables for analysis: run.to_pandas(), run.to_xarray() and the lineage as a geff graph,
each checked value by value against the store's frames (a run whose cells divide, with a field)."""

import numpy as np
import pytest

import morphosim
from morphosim.cli import main
from viz.export import lineage_graph
from viz.lineage import Lineage


def test_to_pandas_has_one_row_per_cell_per_frame_with_the_frames_values(planar_store):
    run = morphosim.open_run(planar_store.path)
    table = run.to_pandas()
    assert len(table) == sum(len(run.frame(k).cell_ids) for k in range(len(run)))
    for k in range(len(run)):
        frame, rows = run.frame(k), table[table["frame"] == k]
        np.testing.assert_array_equal(rows["cell_id"], frame.cell_ids)
        np.testing.assert_array_equal(rows["parent_id"], frame.parent_ids)
        assert (rows["time"] == frame.time).all()
        for name, values in {**frame.species, "area": frame.cell_data["area"], "A0": frame.cell_data["A0"]}.items():
            np.testing.assert_array_equal(rows[name], values)
        np.testing.assert_array_equal(rows[["x", "y", "z"]].to_numpy(), frame.cell_data["centroid"])
    assert table.attrs["units"] == {}        # a non-dimensional run


def test_to_xarray_puts_every_cell_id_on_one_axis_nan_where_absent(planar_store):
    run = morphosim.open_run(planar_store.path)
    data = run.to_xarray()
    every_id = sorted(set().union(*(run.frame(k).cell_ids.tolist() for k in range(len(run)))))
    assert data["cell_id"].values.tolist() == every_id and data.sizes["time"] == len(run)
    divided = 0
    for k in range(len(run)):
        frame = run.frame(k)
        present = data["D"].isel(time=k).sel(cell_id=frame.cell_ids).values
        np.testing.assert_array_equal(present, frame.species["D"])
        absent = np.setdiff1d(every_id, frame.cell_ids)
        assert np.isnan(data["D"].isel(time=k).sel(cell_id=absent).values).all()
        divided += len(absent)
        np.testing.assert_array_equal(data["field_bmp"].isel(time=k).values, frame.fields["bmp"])
        np.testing.assert_array_equal(data["field_velocity"].isel(time=k).values, frame.fields["velocity"])
    assert divided > 0                        # mothers leave, daughters arrive: NaN holes exist
    parents = dict(zip(data["cell_id"].values.tolist(), data["parent_id"].values.tolist()))
    assert parents == Lineage.from_run(run).parent_of
    np.testing.assert_array_equal(data["divisions"].values, run.events["divisions"])
    np.testing.assert_array_equal(data["mesh_points"].values, run.frame(0).mesh_points)
    assert data.attrs["units"] == "dimensionless"


def test_the_lineage_graph_links_tracks_and_divisions(planar_store):
    run = morphosim.open_run(planar_store.path)
    graph = lineage_graph(run)
    table = run.to_pandas()
    assert graph.number_of_nodes() == len(table)
    lineage = Lineage.from_run(run)
    n_track_edges = n_division_edges = 0
    for source, target in graph.edges:
        a, b = graph.nodes[source], graph.nodes[target]
        assert b["t"] > a["t"]
        if a["cell_id"] == b["cell_id"]:
            assert b["t"] == a["t"] + 1       # a track steps one recorded frame
            n_track_edges += 1
        else:                                 # a division: the mother (or an ancestor) to a daughter
            assert a["cell_id"] in lineage.ancestors(b["cell_id"])
            n_division_edges += 1
    # a cell's track has one edge fewer than its frames; every daughter has one incoming edge
    frames_per_cell = table.groupby("cell_id").size()
    assert n_track_edges == int((frames_per_cell - 1).sum())
    daughters = [cell for cell in frames_per_cell.index if lineage.parent_of[cell] >= 0]
    assert n_division_edges == len(daughters) > 0
    first_node = {cell: rows[0] for cell, rows in table.groupby("cell_id").indices.items()}
    assert all(graph.in_degree(first_node[cell]) == 1 for cell in daughters)
    node = graph.nodes[0]
    assert node["D"] == run.frame(0).species["D"][0] and node["cell_id"] == run.frame(0).cell_ids[0]


def test_export_writes_a_geff_that_geff_reads_back(planar_store, tmp_path, capsys):
    import geff

    out = tmp_path / "lineage.geff"
    assert main(["export", planar_store.path, "--geff", str(out), "--vtk", str(tmp_path / "vtk")]) == 0
    assert (tmp_path / "vtk" / "cells.pvd").is_file()
    graph, metadata = geff.read(out)
    expected = lineage_graph(morphosim.open_run(planar_store.path))
    assert graph.number_of_nodes() == expected.number_of_nodes()
    assert sorted(graph.edges) == sorted(expected.edges)
    assert [axis.name for axis in metadata.axes] == ["t", "z", "y", "x"]
    for node in (0, expected.number_of_nodes() - 1):
        assert graph.nodes[node]["x"] == pytest.approx(expected.nodes[node]["x"])
        assert graph.nodes[node]["N"] == pytest.approx(expected.nodes[node]["N"])
    # the same rule as every output: an existing export is replaced only with --overwrite
    capsys.readouterr()
    assert main(["export", planar_store.path, "--geff", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert main(["export", planar_store.path, "--geff", str(out), "--overwrite"]) == 0
