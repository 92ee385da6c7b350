"""Running a sweep on a dask.distributed cluster: one task per variant, each its own scenario run
into its own store, results gathered into one table as they finish.

The cluster is a LocalCluster of `workers` single-process workers by default (threads per worker ×
workers ≤ cores), any running scheduler (`scheduler="tcp://..."`), or a `distributed.Client` the
caller made (e.g. from a dask-jobqueue SLURMCluster). A variant that fails is recorded with its
message; the others go on. Running the same sweep again resumes: finished variants are not run
again, interrupted ones continue from their checkpoint.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from pathlib import Path


from .metrics import compute_metrics
from .spec import Variant, load_sweep, variants

TABLE = "results.csv"
MARKER = "morphosim-sweep.json"


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


def _claim_output(folder: Path) -> None:
    """A sweep writes into a new folder or into one it made before (it holds the marker file);
    anything else is refused, as for every other output."""
    from morphosim.errors import InputError

    if folder.exists() and not (folder / MARKER).is_file():
        raise InputError(f"{folder} exists and is not a morphosim sweep folder; nothing was touched: "
                         "choose an output that does not exist yet")
    folder.mkdir(parents=True, exist_ok=True)


def read_table(folder: Path) -> list[dict]:
    path = folder / TABLE
    if not path.is_file():
        return []
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def write_table(folder: Path, rows: list[dict]) -> None:
    """The table, in variant order, written to a temporary file and moved over the old one (a kill
    never leaves half a table)."""
    rows = sorted(rows, key=lambda row: row["variant"])
    columns = list(dict.fromkeys(key for row in rows for key in row))
    temporary = folder / (TABLE + ".tmp")
    with open(temporary, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, folder / TABLE)


class SweepProgress:
    """One line on stderr: done / failed / running of all, and an ETA."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled, self.started = total, enabled, time.perf_counter()

    def show(self, done: int, failed: int, running: int, finished_now: int) -> None:
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        left = self.total - done - failed
        eta = f"ETA {elapsed / finished_now * left:.0f} s" if finished_now else "ETA -"
        print(f"\rsweep: {done} done, {failed} failed, {running} to go of {self.total}  {eta} ",
              end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


def sweep(spec: str | os.PathLike | dict, client=None, *, workers: int = 2, threads_per_worker: int = 1,
          scheduler: str | None = None, progress: bool = False):
    """Run every variant of a sweep (a sweep file, or a spec from load_sweep) and return its table
    (a pandas DataFrame, see open_sweep). Without `client` or `scheduler`, a LocalCluster of
    `workers` processes with `threads_per_worker` threads each runs it."""
    from distributed import Client, LocalCluster, as_completed

    spec = load_sweep(spec) if not isinstance(spec, dict) else spec
    folder = Path(spec["output"])
    _claim_output(folder)
    (folder / MARKER).write_text(json.dumps({"morphosim_sweep": 1, "base": spec["base"]}) + "\n")
    rows = {row["variant"]: row for row in read_table(folder)}
    todo = [v for v in variants(spec) if rows.get(v.name, {}).get("status") != "done"]

    cluster = own_client = None
    if client is None:
        if scheduler is not None:
            client = own_client = Client(scheduler)
        else:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                                   dashboard_address=":0", env={"MORPHOSIM_THREADS": str(threads_per_worker)})
            client = own_client = Client(cluster)
    if progress:
        print(f"sweep: {len(todo)} of {len(variants(spec))} variants to run; dashboard {client.dashboard_link}",
              file=sys.stderr)
    bar = SweepProgress(len(variants(spec)), progress)
    try:
        futures = [client.submit(run_variant, spec["base"], variant, str(folder / f"{variant.name}.zarr"),
                                 spec["metrics"], spec["folder"], key=f"morphosim-{variant.name}-{id(spec)}",
                                 pure=False)
                   for variant in todo]
        finished = 0
        for future in as_completed(futures):
            row = future.result()
            rows[row["variant"]] = row
            finished += 1
            write_table(folder, list(rows.values()))
            statuses = [r["status"] for r in rows.values()]
            bar.show(statuses.count("done"), statuses.count("failed"), len(todo) - finished, finished)
    finally:
        bar.close()
        if own_client is not None:
            own_client.close()
        if cluster is not None:
            cluster.close()
    return open_sweep(folder)


def open_sweep(folder: str | os.PathLike):
    """A sweep's table as a pandas DataFrame: one row per variant (parameters, replicate, seed,
    status, message, wall time, metrics)."""
    import pandas

    path = Path(folder) / TABLE
    if not path.is_file():
        from morphosim.errors import InputError
        raise InputError(f"{folder}: no sweep table ({TABLE}) there")
    return pandas.read_csv(path, keep_default_na=False, na_values=[""])
