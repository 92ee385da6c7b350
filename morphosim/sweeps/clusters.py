"""Where sweeps and fits run: a dask.distributed client on a LocalCluster (the default), on a
running scheduler, or on a SLURM or PBS batch system through dask-jobqueue.

    with connect(workers=2) as client: ...                                  # this machine
    with connect(scheduler="tcp://10.0.0.5:8786") as client: ...            # any running scheduler
    with connect(cluster=BatchCluster("slurm", jobs=4, cores=8, memory="16GB",
                                      walltime="02:00:00", queue="normal")) as client: ...

Every worker is one process with `threads_per_worker` threads (MORPHOSIM_THREADS is set to the
same number, so that a run's numba kernels use just those), and the workers of one machine or one
batch job never hold more threads than its cores.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

from morphosim.errors import InputError

BATCH_SYSTEMS = {"slurm": "sbatch", "pbs": "qsub"}   # system -> its submit command


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class BatchCluster:
    """A dask-jobqueue cluster on a batch system: `jobs` batch jobs of `cores` cores and `memory`
    each, every job running cores // threads_per_worker worker processes.

    `queue` is SLURM's partition (-p) or PBS's queue (-q); `account` is charged (SLURM -A, PBS -A);
    `directives` are extra scheduler lines (e.g. "--constraint=skylake" for SLURM, "-l mem=16gb"
    for PBS); `prologue` are shell lines run before the worker starts in each job (e.g.
    "module load python", "source ~/venv/bin/activate")."""

    system: str
    jobs: int = 1
    cores: int = 1
    memory: str = "4GB"
    walltime: str = "01:00:00"
    threads_per_worker: int = 1
    queue: str | None = None
    account: str | None = None
    directives: tuple[str, ...] = ()
    prologue: tuple[str, ...] = ()
    python: str = field(default_factory=lambda: sys.executable)

    def __post_init__(self):
        if self.system not in BATCH_SYSTEMS:
            raise InputError(f"cluster: {self.system!r} is not a batch system morphosim knows; "
                             f"choose one of {', '.join(BATCH_SYSTEMS)}")
        for name in ("jobs", "cores", "threads_per_worker"):
            if not (isinstance(getattr(self, name), int) and getattr(self, name) >= 1):
                raise InputError(f"cluster: {name} must be an integer >= 1, got {getattr(self, name)!r}")
        if self.threads_per_worker > self.cores:
            raise InputError(f"cluster: threads_per_worker ({self.threads_per_worker}) is more than a job's "
                             f"cores ({self.cores}); lower it or ask for more cores")

    def build(self):
        """The dask-jobqueue cluster object (no job is submitted until it is scaled)."""
        from dask_jobqueue import PBSCluster, SLURMCluster

        kind = SLURMCluster if self.system == "slurm" else PBSCluster
        return kind(cores=self.cores, processes=self.cores // self.threads_per_worker, memory=self.memory,
                    walltime=self.walltime, queue=self.queue, account=self.account,
                    job_extra_directives=list(self.directives), python=self.python,
                    job_script_prologue=[*self.prologue, f"export MORPHOSIM_THREADS={self.threads_per_worker}"],
                    job_name="morphosim", scheduler_options={"dashboard_address": ":0"})


def local_cluster(workers: int, threads_per_worker: int):
    """A LocalCluster of single-process workers on this machine, refused when it would hold more
    threads than the cores this process may use."""
    from distributed import LocalCluster

    for name, value in (("workers", workers), ("threads_per_worker", threads_per_worker)):
        if not (isinstance(value, int) and value >= 1):
            raise InputError(f"{name} must be an integer >= 1, got {value!r}")
    cores = available_cores()
    if workers * threads_per_worker > cores:
        raise InputError(f"workers ({workers}) × threads_per_worker ({threads_per_worker}) = "
                         f"{workers * threads_per_worker} threads, more than the {cores} cores here; "
                         "lower --workers or --threads-per-worker (or use --scheduler / --cluster)")
    return LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                        dashboard_address=":0", env={"MORPHOSIM_THREADS": str(threads_per_worker)},
                        silence_logs=logging.ERROR)   # not the nannies' notes on workers slow to close


@contextmanager
def connect(client=None, *, workers: int = 2, threads_per_worker: int = 1, scheduler: str | None = None,
            cluster: BatchCluster | None = None):
    """A distributed.Client: the caller's `client` as it is, else one to `scheduler`, to a batch
    `cluster` (its jobs submitted now and cancelled at the end), or to a new LocalCluster. What is
    made here is closed on exit."""
    from distributed import Client

    if client is not None:
        yield client
        return
    made = None
    if scheduler is not None:
        client = Client(scheduler)
    elif cluster is not None:
        if shutil.which(BATCH_SYSTEMS[cluster.system]) is None:
            raise InputError(f"--cluster {cluster.system}: {BATCH_SYSTEMS[cluster.system]} is not on this machine's "
                             "PATH; run the command on the cluster's login node")
        made = cluster.build()
        made.scale(jobs=cluster.jobs)
        client = Client(made)
    else:
        made = local_cluster(workers, threads_per_worker)
        client = Client(made)
    try:
        yield client
    finally:
        client.close()
        if made is not None:
            made.close()
