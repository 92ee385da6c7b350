"""What a run shows and hears on the terminal: the progress line and Ctrl-C between steps."""

from __future__ import annotations

import signal
import sys
import threading
import time as clock


class Progress:
    """One status line on stderr: simulated time, steps/s, ETA, cell count."""

    def __init__(self, total_steps: int, enabled: bool):
        self.total, self.enabled = total_steps, enabled
        self.started = clock.perf_counter()
        self.first_step = None

    def update(self, step: int, sim_time: float, n_cells: int) -> None:
        if not self.enabled:
            return
        if self.first_step is None:   # the first step compiles and builds caches: time from after it
            self.first_step, self.started = step, clock.perf_counter()
            return
        elapsed = clock.perf_counter() - self.started
        rate = (step - self.first_step) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - step) / rate if rate > 0 else float("inf")
        width = 24
        filled = int(width * step / max(self.total, 1))
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] t = {sim_time:.4g}  {rate:.1f} steps/s  "
              f"ETA {eta:.0f} s  {n_cells} cells ", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


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


# Set by a Ctrl-C before the run's steps: libsbml's bare `except:` blocks swallow the KeyboardInterrupt
# raised while it imports, so the signal is also remembered, and checked where start-up ends.
STARTUP_INTERRUPT = threading.Event()


def interrupt_start_up(signum, frame):
    """SIGINT handler for start-up: stop at once, and remember it (see STARTUP_INTERRUPT)."""
    STARTUP_INTERRUPT.set()
    raise KeyboardInterrupt


def stop_if_interrupted() -> None:
    """Raise KeyboardInterrupt when a Ctrl-C came during start-up, even one an import swallowed."""
    if STARTUP_INTERRUPT.is_set():
        raise KeyboardInterrupt
