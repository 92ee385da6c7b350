"""The run store: ragged frames append, reopen, survive an interrupted frame."""

import numpy as np
import pytest
import zarr

import morphosim
from morphosim.errors import InputError
from morphosim.io import StoreWriter


def square_frame(n_cells: int, shift: float):
    """n_cells unit squares in a row (sharing no vertices: enough for the store)."""
    corners = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], float)
    vertices = np.concatenate([corners + [i + shift, 0, 0] for i in range(n_cells)])
    return {
        "vertices": vertices,
        "cell_vertex_counts": np.full(n_cells, 4),
        "cell_vertices": np.arange(4 * n_cells),
        "cell_ids": np.arange(n_cells),
        "parent_ids": np.full(n_cells, -1),
        "species/D": np.linspace(0, 1, n_cells),
        "cell_data/area": np.ones(n_cells),
    }


def test_frames_of_changing_size_read_back(tmp_path):
    writer = StoreWriter(tmp_path / "run.zarr", {"seed": 3, "scenario": {"name": "t"}})
    writer.set_static("mesh_points", np.zeros((5, 3)))
    writer.set_static("mesh_cells", np.array([[0, 1, 2], [2, 3, 4]]))
    for k, n in enumerate([2, 3, 5]):
        writer.append_frame(0.5 * k, square_frame(n, k), {"fields/bmp": np.full(5, k, float)})

    run = morphosim.open_run(tmp_path / "run.zarr")
    np.testing.assert_array_equal(run.times, [0.0, 0.5, 1.0])
    assert run.scenario == {"name": "t"} and run.seed == 3
    last = run.frame(-1)
    assert len(last.cells) == 5 and last.vertices.shape == (20, 3)
    np.testing.assert_array_equal(last.cells[4], [16, 17, 18, 19])
    np.testing.assert_array_equal(last.species["D"], np.linspace(0, 1, 5))
    assert last.vertices[0, 0] == 2.0            # frame 2 was shifted by 2
    np.testing.assert_array_equal(run.frame(1).fields["bmp"], np.ones(5))
    assert run.frame(0).mesh_cells.shape == (2, 3)
    with pytest.raises(IndexError):
        run.frame(3)


def test_interrupted_frame_is_invisible_and_overwritten_on_resume(tmp_path):
    path = tmp_path / "run.zarr"
    writer = StoreWriter(path, {"seed": 0})
    writer.append_frame(0.0, square_frame(2, 0))
    # A crash after frame 1's arrays but before its commit: simulate by writing the arrays only.
    group = zarr.open_group(path, mode="r+")
    for kind, dtype in (("float", float), ("int", np.int64)):
        group.create_array(f"frames/{kind}/1", data=np.full(300, 99, dtype))
    assert len(morphosim.open_run(path)) == 1

    resumed = StoreWriter(path, resume=True)
    resumed.append_frame(1.0, square_frame(3, 1))
    run = morphosim.open_run(path)
    assert len(run) == 2
    assert run.frame(1).vertices.shape == (12, 3)
    assert (run.frame(1).vertices < 99).all()


def test_not_a_store_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not a morphosim run store"):
        morphosim.open_run(tmp_path)


def test_a_format_2_store_still_reads_and_is_not_continued(tmp_path):
    """Format 2 (one data and one offsets array per frame name) as the previous release wrote it."""
    from morphosim.io.store import checksum

    path = tmp_path / "old.zarr"
    frames, times = [square_frame(2, 0), square_frame(3, 1)], [0.0, 0.5]
    root = zarr.open_group(path, mode="w-", zarr_format=3)
    for name in frames[0]:
        root.create_array(f"frame/{name}/data", data=np.concatenate([frame[name] for frame in frames]))
        root.create_array(f"frame/{name}/offsets", data=np.cumsum([0] + [len(frame[name]) for frame in frames]))
    root.create_array("times", data=np.array(times))
    sums = [checksum({"time": np.array([t]), **{f"frame/{name}": values for name, values in frame.items()}})
            for t, frame in zip(times, frames)]
    root.attrs["morphosim"] = {"format_version": 2, "layout": {"frame": list(frames[0]), "series": [], "static": []},
                               "commit": {"frames": 2, "checksums": sums}}
    run = morphosim.open_run(path)
    assert run.check() == [] and len(run) == 2
    np.testing.assert_array_equal(run.frame(1).vertices, square_frame(3, 1)["vertices"])
    np.testing.assert_array_equal(run.frame(1).cells[2], [8, 9, 10, 11])
    with pytest.raises(InputError, match="format 2 .* cannot be continued"):
        StoreWriter(path, resume=True)
