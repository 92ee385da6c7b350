"""Shared helpers for the gene-scale tests."""

import os
from pathlib import Path

import numpy as np
import roadrunner

MODELS = Path(__file__).resolve().parents[2] / "models"
ROADRUNNER_TESTS = Path(roadrunner.__file__).parent / "tests"
TIGHT = {"rtol": 1e-10, "atol": 1e-12}

os.environ.setdefault("MORPHOSIM_THREADS", "2")


def assert_trajectories_agree(batched, reference, interval, n_records, rtol=1e-5):
    """Advance both populations through n_records intervals; at every record the states agree to
    rtol, with an absolute floor of 1e-8 of the largest value (species that pass through zero)."""
    for _ in range(n_records):
        batched.advance(interval)
        reference.advance(interval)
        expected = reference.state
        floor = 1e-8 * max(np.max(np.abs(expected)), 1e-12)
        np.testing.assert_allclose(batched.state, expected, rtol=rtol, atol=floor,
                                   err_msg=f"at t = {batched.time}")
