"""Visualisation of morphosim run stores with pyvista (reads stores through morphosim.open_run).

    viz.render(store, "x.png" | "x.gif" | "x.mp4", viz.ViewOptions(color="D", fields=("bmp",)))
    viz.Viewer(store).show()                            # interactive window
    viz.Viewer(store, notebook=True).show()             # the same in Jupyter (trame widget)
    viz.plot_timeseries(morphosim.open_run(store), "series.png")
    viz.export_vtk(morphosim.open_run(store), "vtk/")   # cells.pvd, tissue.pvd for ParaView
    viz.export_geff(morphosim.open_run(store), "lineage.geff")   # the lineage graph, for napari

The CLI subcommands view | render | plot | export come from viz.cli.add_commands. Names are
imported on first use, so `import viz.cli` does not load pyvista.
"""

from importlib import import_module

_HOME = {"ViewOptions": "options", "Scene": "scene", "Viewer": "viewer", "render": "offscreen",
         "export_vtk": "export", "export_geff": "export", "lineage_graph": "export", "plot_timeseries": "plot", "timeseries": "plot", "Lineage": "lineage"}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'viz' has no attribute {name!r}")
    return getattr(import_module(f".{_HOME[name]}", __name__), name)
