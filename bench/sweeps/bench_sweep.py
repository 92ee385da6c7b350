"""Sweep throughput on 1 and 2 dask workers, and what the Dask layer costs per run.

A sweep of 16 small runs (scenarios/lateral_inhibition_small.yaml shortened to time.end = 20:
144 cells, 80 steps; Lambda at 4 values × 4 replicates) runs three ways, every run single-threaded
(MORPHOSIM_THREADS=1):

- reference: the 16 runs one after another with `morphosim run` (one process each, as a shell
  loop would), and the same 16 one after another in one process (no Dask, no process start);
- `morphosim.sweep` on a LocalCluster of 1 worker, then of 2 workers. Starting the cluster and
  each worker's first run (numba's cache loaded, once per process) are timed apart from the
  sweep itself, and also reported in the sweep's total.

Printed: runs per minute of each, the 2-worker speed-up (target >= 1.8×, on the sweep alone and on
the totals) and the Dask layer's overhead per run, (1-worker sweep − in-process loop) / runs
(target <= 2 s), beside what a `morphosim run` process costs per run beyond the in-process loop;
and, less exposed to the machine's changing load between the phases, each sweep's worker time
outside the runs themselves: (workers × sweep wall − Σ run wall times) / runs.

    .venv/bin/python bench/sweeps/bench_sweep.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "scenarios" / "lateral_inhibition_small.yaml"


def sweep_file(folder: Path, end: float, values: list[float], replicates: int, output: str) -> Path:
    path = folder / f"{output}.yaml"
    path.write_text(f"base: {BASE}\nvary:\n  cells.mechanics.Lambda: {values}\n  time.end: [{end}]\n"
                    f"replicates: {replicates}\nmetrics: {{shape: mean_shape_index}}\noutput: {output}\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="8 runs of 10 time units")
    args = parser.parse_args()
    end, values, replicates = (10.0, [0.10, 0.14], 4) if args.quick else (20.0, [0.10, 0.12, 0.14, 0.16], 4)
    os.environ["MORPHOSIM_THREADS"] = "1"

    import morphosim
    from morphosim.sweeps import load_sweep, run_variant, variants
    from morphosim.sweeps.clusters import connect
    from morphosim.threads import configure

    configure()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        spec = load_sweep(sweep_file(folder, end, values, replicates, "loop"))
        found = variants(spec)
        runs = len(found)
        run_variant(spec["base"], found[0], str(folder / "warm.zarr"), {}, spec["folder"])   # numba's cache loaded

        started = time.perf_counter()
        for variant in found:
            store = str(folder / f"loop-{variant.name}.zarr")
            run_variant(spec["base"], variant, store, spec["metrics"], spec["folder"])
        in_process = time.perf_counter() - started

        started = time.perf_counter()
        for variant in found:
            overrides = [arg for override in variant.overrides() for arg in ("--set", override)]
            subprocess.run([sys.executable, "-m", "morphosim.cli", "run", str(BASE), *overrides, "--set",
                            f"output.path={folder / f'cli-{variant.name}.zarr'}", "--quiet"], check=True)
        command_line = time.perf_counter() - started

        sweeps = {}
        for workers in (1, 2):
            path = sweep_file(folder, end, values, replicates, f"sweep{workers}")
            started = time.perf_counter()
            with connect(workers=workers) as client:
                client.wait_for_workers(workers)
                ready = time.perf_counter()
                client.run(warm_up, spec["base"])
                warm = time.perf_counter()
                table = morphosim.sweep(path, client=client)
                done = time.perf_counter()
            sweeps[workers] = {"start": ready - started, "warm-up": warm - ready, "sweep": done - warm,
                               "total": time.perf_counter() - started, "in runs": table["wall_time_s"].sum()}
            assert (table["status"] == "done").all(), table[["variant", "status", "message"]]

    print(f"{runs} runs of {BASE.name} (time.end={end:g}), one thread each")
    print(f"{'way':34s} {'start s':>8s} {'warm-up s':>9s} {'runs s':>8s} {'runs/min':>9s} {'total s':>8s}")
    for name, wall in (("morphosim run, one after another", command_line),
                       ("in one process, one after another", in_process)):
        print(f"{name:34s} {'':8s} {'':9s} {wall:8.1f} {60 * runs / wall:9.1f} {wall:8.1f}")
    for workers, times in sweeps.items():
        print(f"{f'sweep, {workers} worker' + 's' * (workers > 1):34s} {times['start']:8.1f} {times['warm-up']:9.1f} "
              f"{times['sweep']:8.1f} {60 * runs / times['sweep']:9.1f} {times['total']:8.1f}")
    print(f"speed-up of 2 workers over 1: {sweeps[1]['sweep'] / sweeps[2]['sweep']:.2f}× on the runs, "
          f"{sweeps[1]['total'] / sweeps[2]['total']:.2f}× in total   (target >= 1.8×)")
    print(f"Dask layer per run (1-worker sweep - in-process loop): {(sweeps[1]['sweep'] - in_process) / runs:+.2f} s; "
          f"with the cluster's start and warm-up: {(sweeps[1]['total'] - in_process) / runs:+.2f} s   (target <= 2 s)")
    for workers, times in sweeps.items():
        idle = (workers * times["sweep"] - times["in runs"]) / runs
        print(f"{workers} worker{'s' * (workers > 1)}: worker time outside the runs (scheduling, transfer, idle) "
              f"{idle:.2f} s per run")
    print(f"morphosim run process per run (CLI loop - in-process loop): {(command_line - in_process) / runs:+.2f} s")


def warm_up(base: str) -> None:
    """A few recorded steps of the base scenario on a worker: numba's cached kernels and the store
    writer loaded before timing, as the in-process loop's first run does."""
    from morphosim import Simulation
    from morphosim.threads import configure

    configure()
    simulation = Simulation.from_scenario(base)
    with tempfile.TemporaryDirectory() as temporary:
        simulation.run(until=4 * simulation.scenario["time"]["dt"], store=Path(temporary) / "warm.zarr")


if __name__ == "__main__":
    main()
