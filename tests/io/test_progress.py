"""The progress of a run: one plain line every few seconds when stderr is not a terminal (a log
file, a batch job), never one per step, and an ETA that counts the recorded frames from the start."""

import io
import re
import subprocess
import sys
import time
from pathlib import Path

from morphosim.console import Progress

ROOT = Path(__file__).resolve().parents[2]
LINE = re.compile(r"^ *(\d+)% (\d+)/(\d+) steps \[\d\d:\d\d, t = [-+.e\d]+, [-+.e\d]+ steps/s, "
                  r"ETA \d\d:\d\d, \d+ cells\]$")


def drive(bar: Progress, steps: int, step_seconds: float, stride: int, frame_seconds: float,
          first_step_seconds: float) -> list[tuple[float, float]]:
    """Steps that sleep like a run (a slow first step, a frame every `stride` steps); the
    (ETA the bar gave, clock time) after each step."""
    estimates = []
    for step in range(1, steps + 1):
        time.sleep(first_step_seconds if step == 1 else step_seconds)
        recording = 0.0
        if step % stride == 0:
            started = time.perf_counter()
            time.sleep(frame_seconds)
            recording = time.perf_counter() - started
        bar.update(step, 0.25 * step, 144, recording)
        now = time.perf_counter()
        estimates.append((bar.estimate(step, now)[1], now))
    return estimates


def test_without_a_terminal_one_line_every_interval_not_one_per_step():
    stream = io.StringIO()   # not a terminal
    bar = Progress(60, True, record_stride=10, frame_seconds=0.0, stream=stream, interval=0.1)
    started = time.perf_counter()
    drive(bar, 60, 0.01, 10, 0.0, 0.01)
    bar.close()
    elapsed = time.perf_counter() - started
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert all(LINE.match(line) for line in lines), lines
    assert 2 <= len(lines) <= elapsed / 0.1 + 2 < 60   # one per interval and the last, not one per step
    percent, done, total = LINE.match(lines[-1]).groups()
    assert (percent, done, total) == ("100", "60", "60")
    steps = [int(LINE.match(line).group(2)) for line in lines]
    assert steps == sorted(steps)


def test_the_eta_counts_the_frames_still_to_record_from_the_second_step():
    # steps of 20 ms, a frame of 200 ms every 10 steps (the first one timed before the loop), and a
    # first step of 300 ms that compiles: the steps alone would promise about half the real time
    bar = Progress(60, True, record_stride=10, frame_seconds=0.2, stream=io.StringIO(), interval=60)
    estimates = drive(bar, 60, 0.02, 10, 0.2, 0.3)
    finished = estimates[-1][1]
    eta, at = estimates[1]   # after step 2: one step measured, no frame yet in the loop
    assert 0.6 < eta / (finished - at) < 1.6
    eta, at = estimates[25]
    assert 0.6 < eta / (finished - at) < 1.6


def test_a_run_whose_stderr_is_a_pipe_logs_plain_lines(tmp_path):
    (tmp_path / "s.yaml").write_text("name: tiny\ntime: {end: 0.5, dt: 0.01, record_every: 0.1}\n"
                                     "cells:\n  geometry: {kind: hexagonal, rows: 4, cols: 4, periodic: true}\n"
                                     "  mechanics: {K: 1.0, A0: 1.1, Gamma: 0.04, Lambda: 0.12}\n"
                                     "output: {path: out.zarr}\n")
    done = subprocess.run([sys.executable, "-m", "morphosim.cli", "run", str(tmp_path / "s.yaml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert 1 <= len(lines) < 50 and all(LINE.match(line) for line in lines), done.stderr
    assert LINE.match(lines[-1]).groups() == ("100", "50", "50")
