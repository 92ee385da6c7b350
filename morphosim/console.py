"""What a run shows and hears on the terminal: the progress line and Ctrl-C between steps."""

from __future__ import annotations

import signal
import sys
import threading
import time as clock

from tqdm import tqdm

LINE_FORMAT = "{percentage:3.0f}% {n_fmt}/{total_fmt} steps [{elapsed}{postfix}]"


class Progress:
    """The run's progress on stderr (tqdm): steps, simulated time, steps/s, ETA, cell count.

    On a terminal, one bar redrawn in place; otherwise (a log file, a batch job) one plain line
    every `interval` seconds and one at the end, never one per step.

    The ETA adds what the remaining steps and the remaining recorded frames cost, each measured
    apart (steps from the second on: the first compiles kernels and builds caches; frames from
    the first one, recorded before the loop): steps between frames are often much cheaper than
    a frame, so the rate of the steps alone would promise far too early an end.
    """

    def __init__(self, total_steps: int, enabled: bool, *, first_step: int = 0, record_stride: int | None = None,
                 frame_seconds: float | None = None, stream=None, interval: float = 5.0):
        self.total, self.enabled = total_steps, enabled and total_steps > first_step
        self.stream = sys.stderr if stream is None else stream
        self.stride, self.interval = record_stride, interval
        self.frame_costs = [] if frame_seconds is None else [frame_seconds]
        self.created = self.last_line = clock.perf_counter()
        self.first_step, self.origin = first_step, None   # (step, clock time) after the first step
        self.recording = self.first_recording = 0.0   # seconds spent recording since the first step, in it
        self.bar = None
        if self.enabled and self.stream.isatty():
            self.bar = tqdm(total=total_steps, initial=first_step, unit="step", file=self.stream, mininterval=0.5,
                            dynamic_ncols=True, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}{postfix}]")
        self.line = ""

    def update(self, step: int, sim_time: float, n_cells: int, recording: float = 0.0) -> None:
        """After `step`: the simulated time, the cell count and the seconds it spent recording a frame."""
        if not self.enabled:
            return
        now = clock.perf_counter()
        if recording:
            self.frame_costs.append(recording)
        if self.origin is None:
            self.origin, self.first_recording = (step, now), recording
        else:
            self.recording += recording
        rate, eta = self.estimate(step, now)
        postfix = f"t = {sim_time:.4g}, {rate:.3g} steps/s, ETA {tqdm.format_interval(eta)}, {n_cells} cells"
        if self.bar is not None:
            self.bar.set_postfix_str(postfix, refresh=False)
            self.bar.update(step - self.bar.n)
            return
        self.line = tqdm.format_meter(step, self.total, now - self.created, postfix=postfix, bar_format=LINE_FORMAT)
        if now - self.last_line >= self.interval:
            print(self.line, file=self.stream, flush=True)
            self.line, self.last_line = "", now

    def estimate(self, step: int, now: float) -> tuple[float, float]:
        """(steps per second, seconds left) after `step` at clock time `now`."""
        origin_step, origin_time = self.origin
        if step > origin_step:
            seconds_per_step = (now - origin_time - self.recording) / (step - origin_step)
            rate = (step - origin_step) / (now - origin_time)
        else:   # only the first step so far: its cost, compilation included, is the best guess
            seconds_per_step = (origin_time - self.created - self.first_recording) / max(step - self.first_step, 1)
            rate = max(step - self.first_step, 1) / max(origin_time - self.created, 1e-9)
        steps_left = self.total - step
        frames_left = 0
        if self.stride:
            last_frame = self.total % self.stride > 0 and step < self.total   # the end is always recorded
            frames_left = self.total // self.stride - step // self.stride + last_frame
        frame_cost = sum(self.frame_costs) / len(self.frame_costs) if self.frame_costs else 0.0
        return rate, steps_left * max(seconds_per_step, 0.0) + frames_left * frame_cost

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.line:
            print(self.line, file=self.stream, flush=True)


class Interrupted(KeyboardInterrupt):
    """The run stopped between two steps at a Ctrl-C or SIGTERM (on every rank at the same step)."""


class StopOnInterrupt:
    """Ctrl-C (SIGINT) or SIGTERM (a batch system's kill) ends the run between two steps, never
    inside a solver or a store write; a second signal interrupts at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self):
        self.requested = STARTUP_INTERRUPT.is_set()   # a Ctrl-C during start-up that an import swallowed
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            self.previous = {number: signal.signal(number, self._handle) for number in self.SIGNALS}
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        for number, handler in self.previous.items():
            signal.signal(number, handler)
        return False


# Set by a Ctrl-C (or SIGTERM) before the run's steps: libsbml's bare `except:` blocks swallow the KeyboardInterrupt
# raised while it imports, so the signal is also remembered, and checked where start-up ends.
STARTUP_INTERRUPT = threading.Event()


def interrupt_start_up(signum, frame):
    """SIGINT and SIGTERM handler for start-up: stop at once, and remember it (see STARTUP_INTERRUPT)."""
    STARTUP_INTERRUPT.set()
    raise KeyboardInterrupt


def stop_if_interrupted() -> None:
    """Raise KeyboardInterrupt when a Ctrl-C came during start-up, even one an import swallowed."""
    if STARTUP_INTERRUPT.is_set():
        raise KeyboardInterrupt
