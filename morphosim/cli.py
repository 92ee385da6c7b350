"""The `morphosim` command line: run | validate | check | view | render | plot | export | info | bench.

Bad input ends with one line on stderr and exit code 2; a failed run with exit code 1.
"""

from __future__ import annotations

import argparse
import sys

from morphosim.errors import InputError

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2


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
    if _load(args) is None:
        return EXIT_BAD_INPUT
    print(f"{args.scenario}: ok")
    return EXIT_OK


def _load(args: argparse.Namespace, comm=None) -> dict | None:
    """The checked scenario, or None after printing every problem (one line each). Under MPI
    (`comm`) every rank loads it and rank 0 prints the problems any rank found: all ranks then
    end alike, none is left waiting for the others."""
    from morphosim.scenario import ScenarioError, load_scenario

    scenario, problems = None, []
    try:
        scenario = load_scenario(args.scenario, args.set)
    except ScenarioError as error:
        problems = list(error.problems)
    if comm is not None and comm.size > 1:
        problems = next((found for found in comm.allgather(problems) if found), [])
    for problem in problems if comm is None or comm.rank == 0 else ():
        print(f"morphosim: error: {problem}", file=sys.stderr)
    return None if problems else scenario


def cmd_run(args: argparse.Namespace) -> int:
    from morphosim.io.parallel import run_everywhere, world

    if world().size > 1:   # mpiexec: a failure on any rank ends all of them (morphosim.io.parallel)
        return run_everywhere(lambda: _run(args, world()))
    return _run(args, None)


def _run(args: argparse.Namespace, comm) -> int:
    """`morphosim run` on one rank, or on every rank of `comm` (rank 0 alone speaks, except for a
    failure, which run_everywhere reports from the rank it happened on)."""
    from morphosim.console import Interrupted
    from morphosim.coupling import SimulationFailure
    from morphosim.scenario.run import run_scenario

    speaks = comm is None or comm.rank == 0
    scenario = _load(args, comm)
    if scenario is None:
        return EXIT_BAD_INPUT
    try:
        path = run_scenario(scenario, resume=args.resume, overwrite=args.overwrite, progress=not args.quiet)
    except InputError as error:   # raised alike on every rank: decided on rank 0 and broadcast
        if speaks:
            print(f"morphosim: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SimulationFailure as failure:
        if comm is not None:
            raise
        print(f"morphosim: run failed: {failure} (frames recorded so far are in the store)", file=sys.stderr)
        return EXIT_RUN_FAILED
    except KeyboardInterrupt as interrupt:
        if comm is not None and not isinstance(interrupt, Interrupted):
            raise   # a second Ctrl-C, wherever each rank was: only an abort is sure to end them all
        if speaks:
            print("morphosim: interrupted; the store keeps every frame recorded so far "
                  "(continue with --resume)", file=sys.stderr)
        return EXIT_RUN_FAILED
    if speaks and not args.quiet:
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

    configure()
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as error:
        print(f"morphosim: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
