"""morphosim: embryonic morphogenesis across scales (genes, cells, tissue).

    import morphosim
    sim = morphosim.Simulation.from_scenario("scenarios/lateral_inhibition_small.yaml")
    sim.run(until=2.0, store="out/li.zarr")
    run = morphosim.open_run("out/li.zarr")

The scale packages (`morphosim.genes`, `morphosim.cells`, `morphosim.tissue`) are usable alone;
`morphosim.coupling` holds the handshakes between them. Importing morphosim loads nothing heavy
and changes no setting: the names below load on first use, and thread defaults are set by the
`morphosim` command or by `morphosim.threads.configure()`.
"""

from importlib import import_module

__version__ = "0.1.0"

__all__ = ["Simulation", "SimulationFailure", "Frame", "Run", "open_run", "load_scenario", "InputError",
           "sweep", "open_sweep", "fit", "genes", "cells", "tissue", "coupling", "threads"]

# name -> module that defines it (loaded on first access, so that `import morphosim` stays light)
_LAZY = {
    "Simulation": "morphosim.coupling.simulation",
    "SimulationFailure": "morphosim.coupling.simulation",
    "Frame": "morphosim.io.frames",
    "Run": "morphosim.io.run",
    "open_run": "morphosim.io.run",
    "load_scenario": "morphosim.scenario",
    "InputError": "morphosim.errors",
    "sweep": "morphosim.sweeps.runner",
    "open_sweep": "morphosim.sweeps.runner",
    "fit": "morphosim.sweeps.fit",
}
_PACKAGES = ("genes", "cells", "tissue", "coupling", "threads", "io", "scenario", "sweeps")


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _PACKAGES:
        return import_module(f"morphosim.{name}")
    raise AttributeError(f"module 'morphosim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
