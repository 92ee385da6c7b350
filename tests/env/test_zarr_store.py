"""zarr v3 round trip: data, chunks, appends and attributes survive a reopen."""

import numpy as np
import zarr


def test_zarr_round_trip_with_append(tmp_path):
    path = tmp_path / "x.zarr"
    root = zarr.open_group(path, mode="w", zarr_format=3)
    rng = np.random.default_rng(1)
    first = rng.normal(size=(3, 5))
    array = root.create_array("frames", shape=(0, 5), chunks=(1, 5), dtype="f8")
    array.append(first)
    array.append(first[:1] * 2)
    root.attrs["units"] = {"length": "um"}

    again = zarr.open_group(path, mode="r")
    assert again["frames"].shape == (4, 5)
    np.testing.assert_array_equal(again["frames"][:3], first)
    np.testing.assert_array_equal(again["frames"][3], first[0] * 2)
    assert again.attrs["units"] == {"length": "um"}
    assert again.metadata.zarr_format == 3
