"""Ensembles, parameter sweeps and fits on dask.distributed: one scenario run per task.

    table = morphosim.sweep("sweeps/tension.yaml", workers=2)     # a pandas DataFrame
    table = morphosim.open_sweep("out/tension")                   # read it again later
    result = morphosim.fit("fits/toggle.yaml")                    # ABC-SMC: result.summary, result.particles

See `spec` for the sweep file, `metrics` for the summary numbers, `runner` for running a sweep,
`fit` for fitting, `plot` for the sweep plot and `clusters` for where it all runs (this machine, a
scheduler, SLURM or PBS).
"""

from .clusters import BatchCluster
from .fit import FitResult, fit, load_fit
from .metrics import BUILTIN_METRICS, FinalState, compute_metrics
from .plot import plot_sweep, sweep_points
from .runner import open_sweep, run_variant, sweep
from .spec import Variant, load_sweep, variants

__all__ = ["BUILTIN_METRICS", "BatchCluster", "FinalState", "FitResult", "Variant", "compute_metrics", "fit",
           "load_fit", "load_sweep", "open_sweep", "plot_sweep", "run_variant", "sweep", "sweep_points", "variants"]
