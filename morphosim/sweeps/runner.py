"""Running a sweep on a dask.distributed cluster: one task per variant, each its own scenario run
into its own store, results gathered into one table as they finish.

The cluster is a LocalCluster of `workers` single-process workers by default (threads per worker ×
workers ≤ cores), any running scheduler (`scheduler="tcp://..."`), SLURM or PBS jobs
(`cluster=BatchCluster(...)`), or a `distributed.Client` the caller made (see clusters). A variant
that fails is recorded with its message; the others go on. Running the same sweep again resumes:
finished variants are not run again, interrupted ones continue from their checkpoint.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from uuid import uuid4

from .clusters import BatchCluster, connect
from .metrics import compute_metrics
from .spec import Variant, load_sweep, variants

TABLE = "results.parquet"   # typed columns: numbers come back as numbers, missing metrics as NaN


def run_variant(base: str, variant: Variant, store: str, metrics: dict, folder: str) -> dict:
    """Run one variant (resuming its store if a run was interrupted) and return its table row."""
    from morphosim import Simulation, open_run
    from morphosim.coupling import SimulationFailure
    from morphosim.errors import InputError
    from morphosim.io import is_store
    from morphosim.threads import configure

    configure()
    started = time.perf_counter()
    row = {"variant": variant.name, "replicate": variant.replicate, "seed": variant.seed, **variant.values}
    try:
        sim = Simulation.from_scenario(base, variant.overrides())
        existing = is_store(Path(store))
        sim.run(store=store, resume=existing)
        row.update(status="done", message="", **compute_metrics(open_run(store), metrics, Path(folder)))
    except (SimulationFailure, InputError, FloatingPointError) as failure:
        row.update(status="failed", message=str(failure).splitlines()[0])
    row["wall_time_s"] = round(time.perf_counter() - started, 3)
    return row


def claim_output(folder: Path, kind: str, about: dict) -> None:
    """A sweep (or fit) writes into a new folder or into one it made before (it holds the marker
    file morphosim-<kind>.json, written here with `about`); anything else is refused, as for every
    other output."""
    from morphosim.errors import InputError

    marker = folder / f"morphosim-{kind}.json"
    if folder.exists() and not marker.is_file():
        raise InputError(f"{folder} exists and is not a morphosim {kind} folder; nothing was touched: "
                         "choose an output that does not exist yet")
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({f"morphosim_{kind}": 1, **about}) + "\n")


def read_table(folder: Path) -> list[dict]:
    import pandas

    path = folder / TABLE
    if not path.is_file():
        return []
    return pandas.read_parquet(path).to_dict("records")


def write_table(folder: Path, rows: list[dict]) -> None:
    """The table, in variant order, written to a temporary file and moved over the old one (a kill
    never leaves half a table)."""
    import pandas

    rows = sorted(rows, key=lambda row: row["variant"])
    columns = list(dict.fromkeys(key for row in rows for key in row))
    temporary = folder / (TABLE + ".tmp")
    pandas.DataFrame(rows, columns=columns).to_parquet(temporary, index=False)
    os.replace(temporary, folder / TABLE)


class SweepProgress:
    """One bar on stderr over all runs: done / failed / running, and an ETA from the pace so far."""

    WIDTH = 30

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.started = total, enabled, time.perf_counter()

    def line(self, done: int, failed: int, running: int, finished_now: int, left_now: int) -> str:
        """`finished_now` runs finished in this session so far, `left_now` still to finish."""
        filled = round(self.WIDTH * (done + failed) / self.total) if self.total else self.WIDTH
        elapsed = time.perf_counter() - self.started
        eta = f"ETA {elapsed / finished_now * left_now:.0f} s" if finished_now and left_now else (
            "ETA -" if left_now else f"{elapsed:.0f} s")
        return (f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done + failed}/{self.total}: {done} done, "
                f"{failed} failed, {running} running  {eta}")

    def show(self, *counts) -> None:
        if self.enabled:
            print(f"\rsweep {self.line(*counts)} ", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


def sweep(spec: str | os.PathLike | dict, client=None, *, workers: int = 2, threads_per_worker: int = 1,
          scheduler: str | None = None, cluster: BatchCluster | None = None, progress: bool = False):
    """Run every variant of a sweep (a sweep file, or a spec from load_sweep) and return its table
    (a pandas DataFrame, see open_sweep). The cluster: `client` if given, else a `scheduler`
    address, a batch `cluster` (SLURM/PBS), or a LocalCluster of `workers` processes with
    `threads_per_worker` threads each (see clusters.connect)."""
    from distributed import as_completed

    spec = load_sweep(spec) if not isinstance(spec, dict) else spec
    folder = Path(spec["output"])
    claim_output(folder, "sweep", {"base": spec["base"], "parameters": list(spec["vary"])})
    rows = {row["variant"]: row for row in read_table(folder)}
    everything = variants(spec)
    todo = [v for v in everything if rows.get(v.name, {}).get("status") != "done"]
    bar = SweepProgress(len(everything), progress)
    with connect(client, workers=workers, threads_per_worker=threads_per_worker, scheduler=scheduler,
                 cluster=cluster) as client:
        if progress:
            print(f"sweep: {len(todo)} of {len(everything)} variants to run; dashboard {client.dashboard_link}",
                  file=sys.stderr)
        try:
            futures = [client.submit(run_variant, spec["base"], variant, str(folder / f"{variant.name}.zarr"),
                                     spec["metrics"], spec["folder"], key=f"morphosim-{variant.name}-{uuid4().hex}",
                                     pure=False)
                       for variant in todo]
            pending = {variant.name for variant in todo}
            for future in as_completed(futures):
                row = future.result()
                rows[row["variant"]] = row
                pending.discard(row["variant"])
                write_table(folder, list(rows.values()))
                statuses = [row["status"] for name, row in rows.items() if name not in pending]
                running = min(len(pending), sum(client.nthreads().values()))
                bar.show(statuses.count("done"), statuses.count("failed"), running, len(todo) - len(pending),
                         len(pending))
        finally:
            bar.close()
    return open_sweep(folder)


BOOKKEEPING = ("variant", "replicate", "seed", "status", "message", "wall_time_s")


def open_sweep(folder: str | os.PathLike):
    """A sweep's table as a pandas DataFrame: one row per variant, its parameters (one column per
    key path), replicate, seed, status, message, wall time and metrics. `table.attrs` names the
    "parameters" and "metrics" columns."""
    import pandas

    from morphosim.errors import InputError

    path = Path(folder) / TABLE
    if not path.is_file():
        raise InputError(f"{folder}: no sweep table ({TABLE}) there; give the output folder of a sweep")
    table = pandas.read_parquet(path)
    marker = Path(folder) / "morphosim-sweep.json"
    parameters = json.loads(marker.read_text()).get("parameters", []) if marker.is_file() else []
    table.attrs["parameters"] = [name for name in parameters if name in table.columns]
    table.attrs["metrics"] = [name for name in table.columns if name not in (*BOOKKEEPING, *parameters)]
    return table
