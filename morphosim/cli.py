"""The `morphosim` command line: run | validate | check | view | render | plot | export | info | bench.

Bad input ends with one line on stderr and exit code 2; a failed run with exit code 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from morphosim.console import STARTUP_INTERRUPT, interrupt_start_up, stop_if_interrupted
from morphosim.errors import InputError

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INTERRUPTED = 130   # what a shell reports for a command stopped by Ctrl-C


def cmd_info(args: argparse.Namespace) -> int:
    from morphosim.versions import versions

    found = versions()   # first: it imports the engines in the order their wheels need

    import numba
    from mpi4py import MPI

    found.update(mpi_size=str(MPI.COMM_WORLD.size), numba_threads=str(numba.get_num_threads()))
    for name, version in found.items():
        print(f"{name:14s} {version}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    """Verify every frame, static array and the checkpoint of a store against its checksums."""
    import morphosim

    run = morphosim.open_run(args.store)
    problems = run.check()
    for problem in problems:
        print(f"morphosim: error: {problem}", file=sys.stderr)
    if problems:
        return EXIT_BAD_INPUT
    checkpoint = run.attributes.get("checkpoint")
    print(f"{args.store}: ok, {len(run)} frames"
          + (f", checkpoint at frame {checkpoint['frame']}" if checkpoint else ", no checkpoint"))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = _load(args)
    stop_if_interrupted()
    if scenario is None:
        return EXIT_BAD_INPUT
    print(f"{args.scenario}: ok")
    return EXIT_OK


def _load(args: argparse.Namespace) -> dict | None:
    """The checked scenario, or None after printing every problem (one line each)."""
    from morphosim.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(args.scenario, args.set)
    except ScenarioError as error:
        for problem in error.problems:
            print(f"morphosim: error: {problem}", file=sys.stderr)
        return None


def cmd_run(args: argparse.Namespace) -> int:
    from morphosim.coupling import SimulationFailure
    from morphosim.io import is_store
    from morphosim.scenario import resolve_output
    from morphosim.scenario.run import run_scenario

    store, existed = None, False
    try:
        scenario = _load(args)
        stop_if_interrupted()
        if scenario is None:
            return EXIT_BAD_INPUT
        store = resolve_output(scenario)
        existed = is_store(store)
        path = run_scenario(scenario, resume=args.resume, overwrite=args.overwrite, progress=not args.quiet)
    except SimulationFailure as failure:
        print(f"morphosim: run failed: {failure} (frames recorded so far are in the store)", file=sys.stderr)
        return EXIT_RUN_FAILED
    except KeyboardInterrupt:
        if store is None or (not existed and not is_store(store)):
            print("morphosim: interrupted during start-up; nothing was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        print("morphosim: interrupted; the store keeps every frame recorded so far "
              "(continue with --resume)", file=sys.stderr)
        return EXIT_RUN_FAILED
    if not args.quiet:
        print(f"wrote {path}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from morphosim.scenario import ScenarioError
    from morphosim.sweeps import load_sweep, sweep

    try:
        spec = load_sweep(args.sweep)
    except ScenarioError as error:
        for problem in error.problems:
            print(f"morphosim: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    table = sweep(spec, workers=args.workers, threads_per_worker=args.threads_per_worker,
                  scheduler=args.scheduler, progress=True)
    failed = int((table["status"] == "failed").sum())
    print(f"{len(table) - failed} done, {failed} failed: {spec['output']}/results.csv")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark scripts of the source checkout (bench/<scale>/bench_*.py)."""
    import subprocess
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "bench"
    scripts = sorted(folder.glob(f"{args.scale or '*'}/bench_*.py"))
    if not scripts:
        raise InputError(f"no benchmarks found under {folder}/{args.scale or '*'}/ "
                         "(they live in the source checkout; choose one of cells, genes, tissue, coupling)")
    failed = 0
    for script in scripts:
        print(f"== {script.relative_to(folder.parent)}", flush=True)
        failed |= subprocess.run([sys.executable, str(script), *(["--quick"] if args.quick else [])]).returncode
    return EXIT_RUN_FAILED if failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="morphosim",
        description="Simulate embryonic morphogenesis: gene circuits in every cell, "
        "a vertex model of the cells, Stokes-Brinkman flow of the tissue.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    info = commands.add_parser("info", help="print the versions of morphosim and its engines")
    info.set_defaults(handler=cmd_info)

    run = commands.add_parser("run", help="run a scenario and record it in a zarr store")
    validate = commands.add_parser("validate", help="check a scenario file and report every problem")
    for command in (run, validate):
        command.add_argument("scenario", help="scenario YAML file")
        command.add_argument("--set", action="append", default=[], metavar="KEY.PATH=VALUE",
                             help="override a key of the scenario (repeatable; value in YAML syntax)")
    existing_store = run.add_mutually_exclusive_group()
    existing_store.add_argument("--resume", action="store_true", help="continue a stopped run from its last checkpoint")
    existing_store.add_argument("--overwrite", action="store_true",
                     help="replace the run store at output.path (only a morphosim store is ever removed)")
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(handler=cmd_run)
    validate.set_defaults(handler=cmd_validate)

    check = commands.add_parser("check", help="verify a run store against its checksums (every frame, the checkpoint)")
    check.add_argument("store", help="run store")
    check.set_defaults(handler=cmd_check)

    sweep = commands.add_parser("sweep", help="run every variant of a sweep file on a dask cluster (resumable)")
    sweep.add_argument("sweep", help="sweep YAML file")
    sweep.add_argument("--workers", type=int, default=2, help="local cluster: worker processes (default 2)")
    sweep.add_argument("--threads-per-worker", type=int, default=1, help="local cluster: threads each (default 1)")
    sweep.add_argument("--scheduler", metavar="ADDRESS", help="use a running dask scheduler instead of a local cluster")
    sweep.set_defaults(handler=cmd_sweep)

    bench = commands.add_parser("bench", help="run the benchmarks (bench/) against their reference tools")
    bench.add_argument("scale", nargs="?", choices=("cells", "genes", "tissue", "coupling", "io"),
                       help="only this scale's benchmarks")
    bench.add_argument("--quick", action="store_true", help="smaller sizes")
    bench.set_defaults(handler=cmd_bench)

    from viz.cli import add_commands  # view | render | plot | export (pyvista loads on use)

    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from morphosim.threads import configure

    STARTUP_INTERRUPT.clear()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, interrupt_start_up)   # a Ctrl-C while engines import stops too
    try:
        configure()
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except InputError as error:
        print(f"morphosim: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("morphosim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        STARTUP_INTERRUPT.clear()


if __name__ == "__main__":
    sys.exit(main())
