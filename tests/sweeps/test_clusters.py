"""Where sweeps run: the batch-job script dask-jobqueue would submit for `--cluster slurm|pbs`
(there is no batch system here, so the script is checked, not submitted), and a local cluster
that would hold more threads than cores is refused."""

import sys

import pytest

from morphosim.cli import _where, build_parser
from morphosim.errors import InputError
from morphosim.sweeps.clusters import BatchCluster, available_cores, local_cluster

OPTIONS = ["--jobs", "3", "--cores", "4", "--threads-per-worker", "2", "--memory", "8GB", "--walltime", "00:30:00",
           "--queue", "short", "--account", "lab", "--job-prologue", "module load python"]


def job_script(cluster: BatchCluster) -> list[str]:
    built = cluster.build()
    try:
        return built.job_script().splitlines()
    finally:
        built.close()


def test_the_slurm_job_script_follows_the_command_line():
    args = build_parser().parse_args(["sweep", "s.yaml", "--cluster", "slurm", *OPTIONS,
                                      "--job-directive=--constraint=skylake"])
    cluster = _where(args)["cluster"]
    assert cluster == BatchCluster("slurm", jobs=3, cores=4, memory="8GB", walltime="00:30:00", threads_per_worker=2,
                                   queue="short", account="lab", directives=("--constraint=skylake",),
                                   prologue=("module load python",))
    lines = job_script(cluster)
    for directive in ("-J morphosim", "-p short", "-A lab", "-n 1", "--cpus-per-task=4", "--mem=8G", "-t 00:30:00",
                      "--constraint=skylake"):
        assert f"#SBATCH {directive}" in lines
    worker = lines[-1].split()
    assert worker[:3] == [sys.executable, "-m", "distributed.cli.dask_worker"]
    # 4 cores as 2 worker processes of 2 threads, and the kernels of each run on those 2 threads
    assert worker[worker.index("--nworkers") + 1] == "2" and worker[worker.index("--nthreads") + 1] == "2"
    assert lines.index("module load python") < lines.index("export MORPHOSIM_THREADS=2") < len(lines) - 1


def test_the_pbs_job_script_follows_the_command_line():
    args = build_parser().parse_args(["fit", "f.yaml", "--cluster", "pbs", *OPTIONS,
                                      "--job-directive=-l place=scatter"])
    lines = job_script(_where(args)["cluster"])
    for directive in ("-N morphosim", "-q short", "-A lab", "-l walltime=00:30:00", "-l place=scatter"):
        assert f"#PBS {directive}" in lines
    assert any(line.startswith("#PBS -l select=1:ncpus=4:mem=") for line in lines)
    assert "export MORPHOSIM_THREADS=2" in lines and "--nworkers 2" in lines[-1]


def test_clusters_that_cannot_fit_are_refused():
    cores = available_cores()
    with pytest.raises(InputError, match=rf"workers \({cores + 1}\) × threads_per_worker \(1\) = {cores + 1} threads"):
        local_cluster(cores + 1, 1)
    with pytest.raises(InputError, match="threads_per_worker"):
        local_cluster(1, 0)
    with pytest.raises(InputError, match=r"threads_per_worker \(8\) is more than a job's cores \(4\)"):
        BatchCluster("slurm", cores=4, threads_per_worker=8)
    with pytest.raises(InputError, match="'lsf' is not a batch system"):
        BatchCluster("lsf")


def test_a_batch_cluster_without_its_submit_command_is_an_input_error(tmp_path, capsys, monkeypatch):
    from morphosim.cli import main

    monkeypatch.setenv("PATH", str(tmp_path))              # no sbatch here, as on any machine off the cluster
    (tmp_path / "s.yaml").write_text("base: b.yaml\noutput: out\n")
    (tmp_path / "b.yaml").write_text("name: b\ntime: {end: 1.0, dt: 0.5}\ncells:\n  geometry: {kind: hexagonal, "
                                     "rows: 4, cols: 4, periodic: true}\n  mechanics: {K: 1.0, A0: 1.0, Gamma: 0.04, "
                                     "Lambda: 0.12}\noutput: {path: b.zarr}\n")
    assert main(["sweep", str(tmp_path / "s.yaml"), "--cluster", "slurm"]) == 2
    assert "--cluster slurm: sbatch is not on this machine's PATH" in capsys.readouterr().err
