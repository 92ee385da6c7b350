"""Helpers for running scenarios the way users do (the real CLI in a subprocess) and comparing stores."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import zarr


def run_cli(*args, cwd=None, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "morphosim.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=timeout)


def store_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every recorded array of a store (frames, series, static), checkpoints excluded."""
    root = zarr.open_group(path, mode="r")
    found = {}

    def walk(group, prefix):
        for name, array in group.arrays():
            found[prefix + name] = array[...]
        for name, child in group.groups():
            if not (prefix == "" and name == "checkpoint"):
                walk(child, f"{prefix}{name}/")

    walk(root, "")
    n = root.attrs["morphosim"]["commit"]["frames"]   # arrays grow ahead: rows past the commit are not frames
    found["times"] = found["times"][:n]
    for name in [key for key in found if key.startswith("series/")]:
        found[name] = found[name][:n]
    for name in [key for key in found if key.startswith("frames/") and int(key.rsplit("/", 1)[1]) >= n]:
        del found[name]   # a frame written but never committed (an interrupted run's)
    for name in [key for key in found if key.endswith("/offsets")]:  # format 2: drop rows past the last frame
        offsets = found[name][: n + 1]
        found[name] = offsets
        data = name[: -len("offsets")] + "data"
        found[data] = found[data][: offsets[-1]]
    return found


def assert_identical_stores(a: Path, b: Path) -> None:
    first, second = store_arrays(a), store_arrays(b)
    assert sorted(first) == sorted(second)
    for name in first:
        assert first[name].shape == second[name].shape, name
        assert np.array_equal(first[name], second[name]), f"{name} differs"
