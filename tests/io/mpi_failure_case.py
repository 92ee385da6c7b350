"""Run by test_mpi_run.py under mpiexec: rank 1 fails while rank 0 waits for it in a collective
(without run_everywhere, rank 0 would wait for ever).

Usage: mpiexec -n 2 python mpi_failure_case.py
"""

import sys

from morphosim.io.parallel import run_everywhere, world


def command() -> int:
    comm = world()
    if comm.rank == 1:
        raise OSError("rank 1 lost its disk")
    comm.barrier()
    return 0


if __name__ == "__main__":
    sys.exit(run_everywhere(command))
