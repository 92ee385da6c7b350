"""morphosim: embryonic morphogenesis across scales (genes, cells, tissue)."""

import os

__version__ = "0.1.0"

# The parallel kernels (cells, genes) run on numba's OpenMP threads. Threads waiting at the end of
# a parallel loop spin only briefly, then sleep: on a machine shared with other work a spinning
# thread holds a core the other thread needs (measured: with OpenMP's default spinning a 10^4-cell
# vertex step went from 20 to 1,800 ns per vertex with the other core busy). A thousand spins keep
# the threads awake across the Python between two steps, which saves waking them (~15 us a step):
# a 10^4-cell vertex step takes 9.0 instead of 9.5 ns per vertex, and 21.8 instead of 19.2 with the
# other core busy. MORPHOSIM_THREADS caps the threads of both scales. These settings must be made
# before numba starts its threads; the user's own values win.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("GOMP_SPINCOUNT", "1000")
# Kernels with barriers between passes need every thread of a region running at once: OpenMP and
# numba's workqueue do that, tbb may not (see morphosim/threads.py), so prefer them to tbb.
os.environ.setdefault("NUMBA_THREADING_LAYER_PRIORITY", "omp workqueue tbb")
if "MORPHOSIM_THREADS" in os.environ:
    os.environ.setdefault("NUMBA_NUM_THREADS", os.environ["MORPHOSIM_THREADS"])


def open_run(path):
    """Open a run store for reading (see morphosim.io.run)."""
    from morphosim.io import open_run as _open_run

    return _open_run(path)
