"""Thread primitives for numba kernels that run several passes inside one parallel region.

Every numba ``prange`` loop is a parallel region of its own: its threads are woken at the start
and put to sleep at the end (they sleep rather than spin, see :func:`configure`), which costs
tens of microseconds. A kernel of several short passes instead runs ``for thread in prange(n)``
with ``n`` the number of numba threads (one iteration per thread), gives each thread a fixed share
of every pass (:func:`share`) and separates the passes with :func:`barrier`. A fixed share keeps
the results the same for any number of threads as long as each output is written by one thread.
Such a kernel must not run inside another parallel region: numba runs a nested region's
iterations one after the other on one thread, and the first would wait at its barrier forever.
For the same reason it runs on one thread under numba's tbb layer, whose scheduler may give two
iterations to one thread (omp and workqueue give each thread its own; morphosim asks numba to
prefer them, see ``morphosim/__init__.py``): take the thread count from :func:`region_threads`.
The loop body should only call the kernel's per-thread function: it may pass tuples of arrays on,
but writes through arrays that the body unpacks from a tuple itself are lost.
"""

import os
from functools import cache

import numba
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic


def configure() -> None:
    """Thread defaults for morphosim's kernels; the user's own environment values win.

    - Idle OpenMP threads spin briefly, then sleep (OMP_WAIT_POLICY=PASSIVE, GOMP_SPINCOUNT=1000):
      a spinning thread holds a core that other work on the machine needs, while a short spin
      keeps the threads awake across the Python between two steps.
    - numba prefers OpenMP and its workqueue to tbb: kernels with barriers need every thread of a
      region running at once, which tbb does not promise.
    - MORPHOSIM_THREADS caps the threads of the cell and gene kernels.

    `morphosim` (the command) calls this first. A library user calls it before the first step;
    OpenMP reads its settings when its threads start, at the first parallel kernel.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("GOMP_SPINCOUNT", "1000")
    os.environ.setdefault("NUMBA_THREADING_LAYER_PRIORITY", "omp workqueue tbb")
    numba.config.reload_config()
    if "MORPHOSIM_THREADS" in os.environ:
        numba.set_num_threads(max(1, min(int(os.environ["MORPHOSIM_THREADS"]), numba.config.NUMBA_NUM_THREADS)))


@intrinsic
def atomic_add(typingctx, counters, index, value):
    """Atomically counters[index] += value (counters: an int64 array); returns the value before."""
    if not (isinstance(counters, types.Array) and counters.dtype == types.int64
            and isinstance(index, types.Integer) and isinstance(value, types.Integer)):
        return None

    def codegen(context, builder, signature, arguments):
        array = context.make_array(signature.args[0])(context, builder, arguments[0])
        address = builder.gep(array.data, [arguments[1]])
        increment = context.cast(builder, arguments[2], signature.args[2], types.int64)
        return builder.atomic_rmw("add", address, increment, "seq_cst")

    return types.int64(counters, index, value), codegen


@intrinsic
def sched_yield(typingctx):
    """Let another thread run on this core (the C library's sched_yield)."""
    def codegen(context, builder, signature, arguments):
        function = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.IntType(32), []),
                                                  "sched_yield")
        builder.call(function, [])
        return context.get_dummy_value()

    return types.none(), codegen


@njit(inline="always")
def share(n_items, thread, n_threads):
    """The [first, last) items of ``thread`` when n_items are split evenly over n_threads."""
    return n_items * thread // n_threads, n_items * (thread + 1) // n_threads


@njit(cache=True)
def barrier(arrivals, n_threads, generation):
    """Wait until all n_threads threads have arrived at the ``generation``-th barrier (1, 2, ...)
    of a region; ``arrivals`` is an int64 array whose element 0 is zero at the region's start.
    Waiting threads yield their core, so a thread that shares a core with another still runs."""
    atomic_add(arrivals, 0, 1)
    while atomic_add(arrivals, 0, 0) < generation * n_threads:
        sched_yield()


def region_threads() -> int:
    """Threads for a kernel with barriers: numba's thread count, or 1 under the tbb layer."""
    thread_count = _thread_count()
    return thread_count() if thread_count is not None else 1


@cache
def _thread_count():
    """numba's thread count getter, None under the tbb layer. numba.get_num_threads() takes two locks
    at each call, at every step; once the threads run, the layer's own getter returns the same
    number without them (it is what numba.get_num_threads() returns)."""
    _start_threads(numba.get_num_threads())  # numba picks its threading layer at the first parallel call
    if numba.threading_layer() == "tbb":
        return None
    return getattr(numba.np.ufunc.parallel, "_get_num_threads", None) or numba.get_num_threads


@njit(cache=True, parallel=True)
def _start_threads(n):
    count = 0
    for _ in prange(n):
        count += 1
    return count
