"""Ensembles and parameter sweeps on dask.distributed: one scenario run per variant.

    table = morphosim.sweep("sweeps/tension.yaml", workers=2)     # a pandas DataFrame
    table = morphosim.open_sweep("out/tension")                   # read it again later

See `spec` for the sweep file, `metrics` for the summary numbers, `runner` for the cluster.
"""

from .metrics import BUILTIN_METRICS, compute_metrics
from .runner import open_sweep, run_variant, sweep
from .spec import Variant, load_sweep, variants

__all__ = ["BUILTIN_METRICS", "Variant", "compute_metrics", "load_sweep", "open_sweep", "run_variant", "sweep",
           "variants"]
