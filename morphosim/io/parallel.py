"""Running under MPI (`mpiexec -n N morphosim run`): who writes, and how a failure ends every rank.

Every rank runs the cells and genes identically (they are deterministic and start from the same
seed, and every rank receives the same flow velocities, summed over ranks by the tissue's point
operators); the tissue flow is distributed over the ranks by DOLFINx. Rank 0 alone claims the
output path and writes the store; what it decides (a refused path, a resumed state) is broadcast,
so every rank takes the same branch. Arrays that DOLFINx holds in parts (the morphogen fields of
a checkpoint) are gathered in the order of their global degrees of freedom.

A failure on one rank would leave the others waiting in a collective for ever, so an exception
that escapes a run under MPI prints its message with the rank and aborts all ranks
(MPI_Abort); mpiexec then exits non-zero.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from morphosim.errors import InputError


def world():
    """MPI.COMM_WORLD (of size 1 for a run without mpiexec)."""
    from mpi4py import MPI

    return MPI.COMM_WORLD


def on_root(comm, action: Callable[[], Any]) -> Any:
    """Run `action` on rank 0 only; its result on every rank, or the InputError it raised
    raised on every rank (bad input then ends all ranks alike, with exit code 2)."""
    if comm.size == 1:
        return action()
    outcome = None
    if comm.rank == 0:
        try:
            outcome = (action(), None)
        except InputError as error:
            outcome = (None, error)
    result, error = comm.bcast(outcome, root=0)
    if error is not None:
        raise error
    return result


def anywhere(comm, flag: bool) -> bool:
    """True on every rank when `flag` is true on any (a Ctrl-C that reached some ranks only)."""
    from mpi4py import MPI

    return bool(comm.allreduce(bool(flag), op=MPI.LOR)) if comm.size > 1 else bool(flag)


def gather_owned(function) -> np.ndarray:
    """The dof values of a DOLFINx Function, whole, on every rank: each rank's owned part in rank
    order (the global dof numbering). On one rank, function.x.array itself."""
    comm = function.function_space.mesh.comm
    index_map = function.function_space.dofmap.index_map
    owned = function.x.array[: index_map.size_local * function.function_space.dofmap.index_map_bs]
    return np.concatenate(comm.allgather(owned)) if comm.size > 1 else owned


def set_owned(function, values: np.ndarray) -> None:
    """Set a DOLFINx Function from the whole array gather_owned returned (this rank's owned part,
    then the ghosts from their owners)."""
    index_map = function.function_space.dofmap.index_map
    bs = function.function_space.dofmap.index_map_bs
    if len(values) != index_map.size_global * bs:
        raise InputError(f"a checkpointed field has {len(values)} values, the mesh {index_map.size_global * bs}: "
                         "the run was checkpointed on another mesh")
    start, end = index_map.local_range
    function.x.array[: (end - start) * bs] = values[start * bs:end * bs]
    function.x.scatter_forward()


ABORT_GRACE = 1.0   # s between the failure's message and MPI_Abort, for mpiexec to forward it


def run_everywhere(command: Callable[[], int]) -> int:
    """`command()` on every rank of an MPI run. An exception on any rank prints one line naming
    the rank and aborts all ranks with exit code 1 (never a rank left waiting); an exit code other
    than 0 that ranks reach alike (bad input, decided on rank 0 and broadcast) is returned as is."""
    comm = world()
    try:
        return command()
    except BaseException as error:   # KeyboardInterrupt included: a second Ctrl-C stops at once
        expected = isinstance(error, (InputError, RuntimeError, OSError, KeyboardInterrupt))
        message = (str(error).splitlines() or [""])[0]
        print(f"morphosim: run failed on rank {comm.rank} of {comm.size}: "
              f"{message if expected and message else f'{type(error).__name__}: {message}'}",
              file=sys.stderr, flush=True)
        if not expected:   # a bug or an environment problem: the traceback says where
            traceback.print_exc(file=sys.stderr)
            sys.stderr.flush()
        # MPI_Abort kills the ranks and mpiexec's output forwarders at once: on a loaded machine
        # the line above, though flushed into the pipe, was lost before mpiexec printed it.
        time.sleep(ABORT_GRACE)
        comm.Abort(1)
        raise   # not reached: Abort ends every rank
