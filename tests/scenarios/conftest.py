"""Run the small variant of a scenario through the real CLI into a temporary store."""

import subprocess
import sys
from pathlib import Path

import pytest

import morphosim

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def run_small(tmp_path_factory):
    """run_small(name, *overrides) -> the Run of scenarios/<name>_small.yaml (CLI in a subprocess)."""
    def run(name: str, *overrides: str):
        store = tmp_path_factory.mktemp(name) / f"{name}.zarr"
        args = [sys.executable, "-m", "morphosim.cli", "run", str(SCENARIOS / f"{name}_small.yaml"), "--quiet",
                "--set", f"output.path={store}"]
        for override in overrides:
            args += ["--set", override]
        result = subprocess.run(args, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        return morphosim.open_run(store)
    return run
