"""Fixtures for coupled runs."""

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def write_scenario(tmp_path):
    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text))
        return path
    return write
