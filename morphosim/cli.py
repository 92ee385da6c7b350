"""The `morphosim` command line: run | validate | inspect | check | sweep | fit | view | render |
plot | export | info | bench.

Bad input ends with one line on stderr and exit code 2; a failed run with exit code 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from morphosim.console import STARTUP_INTERRUPT, StopOnInterrupt, interrupt_start_up, stop_if_interrupted
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


def cmd_inspect(args: argparse.Namespace) -> int:
    """What an SBML/Antimony model holds, and which solver runs it (the refusal `run` would meet)."""
    from morphosim import genes

    network = genes.load(args.model)
    for line in describe_model(network):
        print(line)
    return EXIT_OK


def describe_model(network) -> list[str]:
    """The lines `morphosim inspect` prints for a GeneNetwork."""
    import libsbml

    model = network.document.getModel()

    def number(value: float) -> str:
        return f"{value:g}"

    def math(node) -> str:
        return libsbml.formulaToL3String(node) if node is not None else "(no math)"

    def section(title: str, rows: list[str], empty: str) -> list[str]:
        return [f"{title} ({len(rows)}):", *(f"  {row}" for row in rows)] if rows else [f"{title}: {empty}"]

    level = f"SBML L{network.document.getLevel()}V{network.document.getVersion()}"
    lines = [f"{network.name}: model {model.getId() or '(no id)'!r} ({level})"]
    lines += section("compartments", [
        f"{c.id}  size {number(c.size)}" + ("" if c.constant else "  (not constant)")
        for c in network.compartments.values()], "none")
    lines += section("species", [
        f"{s.id}  in {s.compartment}  initial {number(s.initial_value)}" + (" (amount)" if s.amount_only else "")
        + ("  boundary" if s.boundary else "") + ("  constant" if s.constant else "")
        + (f"  set by an {network.rule_of(s.id)} rule" if network.rule_of(s.id) else "")
        for s in network.species.values()], "none")
    local = network.local_parameters
    lines += section("global parameters", [
        p.id + (f"  set by an {p.rule} rule" if p.rule else f" = {number(p.value)}")
        for p in network.parameters.values()],
        "none" + (" (every parameter of this model is local to a reaction, see below; only global parameters "
                  "and compartments can be set per cell by genes.inputs or genes.parameters: declare one at "
                  "model level to set it)" if local else ""))
    lines += section("local parameters (per reaction)", [
        f"{reaction}: " + ", ".join(f"{name} = {number(value)}" for name, value in values.items())
        for reaction, values in local.items()], "none")
    lines += section("rules", [
        ("algebraic  0 = " if rule.isAlgebraic() else
         f"{'assignment' if rule.isAssignment() else 'rate'}  "
         + ("d/dt " if rule.isRate() else "") + f"{rule.getVariable()} = ") + math(rule.getMath())
        for rule in model.getListOfRules()], "none")
    lines += section("events", [
        f"{event.getId() or '(no id)'}: when {math(event.getTrigger().getMath() if event.isSetTrigger() else None)}"
        + (f" after {math(event.getDelay().getMath())}" if event.isSetDelay() else "")
        + ": " + "; ".join(f"{a.getVariable()} = {math(a.getMath())}" for a in event.getListOfEventAssignments())
        for event in model.getListOfEvents()], "none")
    refusals = {(solver, method): network.solver_refusal(solver, method)
                for solver, method in (("batched", "explicit"), ("batched", "stiff"), ("tellurium", None))}
    runs = [key for key, refusal in refusals.items() if refusal is None]
    if runs:
        solver = runs[0][0]
        settable = network.population(0, solver=solver).parameter_names
        lines.append(f"settable per cell by genes.inputs or genes.parameters ({solver}): "
                     + (", ".join(settable) or "none"))
    lines.append("solvers:")
    for (solver, method), refusal in refusals.items():
        label = f"{solver}, method {method}" if method else solver
        lines.append(f"  {label}: " + ("runs it" if refusal is None
                                         else "refuses it: " + refusal.removeprefix(f"{network.name}: ")))
    return lines


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
    from morphosim.io import is_store
    from morphosim.scenario import resolve_output
    from morphosim.scenario.run import run_scenario

    speaks = comm is None or comm.rank == 0
    store, existed = None, False
    try:
        scenario = _load(args, comm)
        stop_if_interrupted()
        if scenario is None:
            return EXIT_BAD_INPUT
        store = resolve_output(scenario)
        existed = is_store(store)
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
        if store is None or (not existed and not is_store(store)):
            if speaks:
                print("morphosim: interrupted during start-up; nothing was written", file=sys.stderr)
            return EXIT_INTERRUPTED
        if speaks:
            print("morphosim: interrupted; the store keeps every frame recorded so far "
                  "(continue with --resume)", file=sys.stderr)
        return EXIT_RUN_FAILED
    if speaks and not args.quiet:
        print(f"wrote {path}")
    return EXIT_OK


def _sweep_file(load, path: str) -> dict | None:
    """A checked sweep or fit file, or None after printing every problem (one line each)."""
    from morphosim.scenario import ScenarioError

    try:
        return load(path)
    except ScenarioError as error:
        for problem in error.problems:
            print(f"morphosim: error: {problem}", file=sys.stderr)
        return None


def _where(args: argparse.Namespace) -> dict:
    """The cluster options of sweep and fit, as keyword arguments of morphosim.sweep/fit."""
    from morphosim.sweeps.clusters import BatchCluster

    cluster = None
    if args.cluster is not None:
        cluster = BatchCluster(args.cluster, jobs=args.jobs, cores=args.cores, memory=args.memory,
                               walltime=args.walltime, threads_per_worker=args.threads_per_worker, queue=args.queue,
                               account=args.account, directives=tuple(args.job_directive),
                               prologue=tuple(args.job_prologue))
    return {"workers": args.workers, "threads_per_worker": args.threads_per_worker, "scheduler": args.scheduler,
            "cluster": cluster, "progress": True}


def cmd_sweep(args: argparse.Namespace) -> int:
    from morphosim.sweeps import load_sweep, sweep

    spec = _sweep_file(load_sweep, args.sweep)
    if spec is None:
        return EXIT_BAD_INPUT
    table = sweep(spec, **_where(args))
    failed = int((table["status"] == "failed").sum())
    print(f"{len(table) - failed} done, {failed} failed: {spec['output']}/results.parquet")
    return EXIT_OK


def cmd_fit(args: argparse.Namespace) -> int:
    from morphosim.sweeps.fit import fit, load_fit

    spec = _sweep_file(load_fit, args.fit)
    if spec is None:
        return EXIT_BAD_INPUT
    result = fit(spec, **_where(args))
    print(result.summary.to_string(float_format="{:.6g}".format))
    print(f"{len(result.epsilons)} generations, final epsilon {result.epsilons[-1]:.4g}: "
          f"{spec['output']}/posterior.csv, posterior_summary.csv, posterior.png")
    return EXIT_OK


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark scripts of the source checkout (bench/<scale>/bench_*.py)."""
    import subprocess
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "bench"
    scripts = sorted(folder.glob(f"{args.scale or '*'}/bench_*.py"))
    if not scripts:
        raise InputError(f"no benchmarks found under {folder}/{args.scale or '*'}/ "
                         "(they live in the source checkout; choose one of cells, genes, tissue, coupling, io, sweeps)")
    failed = 0
    for script in scripts:
        print(f"== {script.relative_to(folder.parent)}", flush=True)
        failed |= subprocess.run([sys.executable, str(script), *(["--quick"] if args.quick else [])]).returncode
    return EXIT_RUN_FAILED if failed else EXIT_OK


class OneLineParser(argparse.ArgumentParser):
    """Usage errors (a missing argument, `--frame x`) as one line and exit code 2, like all bad input."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_cluster_options(command: argparse.ArgumentParser) -> None:
    where = command.add_argument_group("where it runs (default: a local cluster)")
    where.add_argument("--workers", type=int, default=2, help="local cluster: worker processes (default 2)")
    where.add_argument("--threads-per-worker", type=int, default=1,
                       help="threads of each worker, local or batch (default 1; workers × threads <= cores)")
    where.add_argument("--scheduler", metavar="ADDRESS", help="use a running dask scheduler instead of a local cluster")
    where.add_argument("--cluster", choices=("slurm", "pbs"), help="start the workers as SLURM or PBS batch jobs")
    batch = command.add_argument_group("batch jobs (with --cluster)")
    batch.add_argument("--jobs", type=int, default=1, help="batch jobs to submit (default 1)")
    batch.add_argument("--cores", type=int, default=1, help="cores of each job (default 1)")
    batch.add_argument("--memory", default="4GB", help="memory of each job (default 4GB)")
    batch.add_argument("--walltime", default="01:00:00", help="time limit of each job (default 01:00:00)")
    batch.add_argument("--queue", help="SLURM partition or PBS queue")
    batch.add_argument("--account", help="account charged for the jobs")
    batch.add_argument("--job-directive", action="append", default=[], metavar="LINE",
                       help="extra #SBATCH/#PBS directive, e.g. --job-directive=--constraint=skylake (repeatable)")
    batch.add_argument("--job-prologue", action="append", default=[], metavar="COMMAND",
                       help="shell line run in each job before its workers, e.g. 'module load python' (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
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

    inspect = commands.add_parser("inspect", help="list an SBML/Antimony model's species, parameters, rules and "
                                  "events, and which solver runs it")
    inspect.add_argument("model", help="SBML (.xml) or Antimony (.ant) file")
    inspect.set_defaults(handler=cmd_inspect)

    check = commands.add_parser("check", help="verify a run store against its checksums (every frame, the checkpoint)")
    check.add_argument("store", help="run store")
    check.set_defaults(handler=cmd_check)

    sweep = commands.add_parser("sweep", help="run every variant of a sweep file on a dask cluster (resumable)")
    sweep.add_argument("sweep", help="sweep YAML file")
    sweep.set_defaults(handler=cmd_sweep)
    fit = commands.add_parser("fit", help="fit scenario parameters to target metrics by ABC-SMC (pyABC) "
                              "on a dask cluster")
    fit.add_argument("fit", help="fit YAML file")
    fit.set_defaults(handler=cmd_fit)
    for command in (sweep, fit):
        _add_cluster_options(command)

    bench = commands.add_parser("bench", help="run the benchmarks (bench/) against their reference tools")
    bench.add_argument("scale", nargs="?", choices=("cells", "genes", "tissue", "coupling", "io", "sweeps"),
                       help="only this scale's benchmarks")
    bench.add_argument("--quick", action="store_true", help="smaller sizes")
    bench.set_defaults(handler=cmd_bench)

    from viz.cli import add_commands  # view | render | plot | export (pyvista loads on use)

    add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from morphosim.threads import configure

    STARTUP_INTERRUPT.clear()
    previous = {}
    if threading.current_thread() is threading.main_thread():   # a Ctrl-C or SIGTERM while engines import stops too
        previous = {number: signal.signal(number, interrupt_start_up) for number in StopOnInterrupt.SIGNALS}
    try:
        configure()
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as stop:   # --help, or a usage error already printed as one line
            return stop.code
        return args.handler(args)
    except InputError as error:
        print(f"morphosim: error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("morphosim: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        STARTUP_INTERRUPT.clear()


if __name__ == "__main__":
    sys.exit(main())
