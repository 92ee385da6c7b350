"""The `morphosim view | render | plot | export` subcommands (wired into morphosim.cli).

Each handler returns the exit code; bad input raises morphosim.errors.InputError, which the
CLI prints as one line before exiting with code 2.
"""

from __future__ import annotations

import argparse

from morphosim.errors import InputError

from .options import CAMERAS, FLOW_STYLES, ViewOptions

EXIT_OK = 0


def _add_view_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("store", help="run store (the .zarr folder written by `morphosim run`)")
    parser.add_argument("--color", metavar="NAME",
                        help="colour cells by this species or cell quantity (area, perimeter, shape_index, "
                             "or any recorded one); default: the first species")
    parser.add_argument("--fields", nargs="+", default=[], metavar="NAME",
                        help="tissue fields to draw, each in its own panel (e.g. bmp speed)")
    parser.add_argument("--flow", choices=FLOW_STYLES, default="arrows",
                        help="draw the tissue velocity as arrows or streamlines (default: arrows)")
    parser.add_argument("--camera", choices=CAMERAS, default="auto",
                        help="view direction; auto: from above for a sheet, oblique for a shell")
    parser.add_argument("--zoom", type=float, default=1.0, help="zoom factor of the camera (default 1)")
    parser.add_argument("--section", type=float, metavar="X",
                        help="3D monolayer runs: clip the cells by the plane x = X and show the cross-section")


def _view_options(args: argparse.Namespace, window_size=None) -> ViewOptions:
    return ViewOptions(color=args.color, fields=tuple(args.fields), flow=args.flow, camera=args.camera,
                       zoom=args.zoom, window_size=window_size, section=args.section)


def cmd_view(args: argparse.Namespace) -> int:
    from .viewer import Viewer

    Viewer(args.store, _view_options(args), frame=args.frame).show()
    return EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    from .offscreen import render

    if args.size and not all(16 <= side <= 8192 for side in args.size):
        raise InputError(f"--size {args.size[0]} {args.size[1]}: each side must be 16 to 8192 pixels")
    out = render(args.store, args.out, _view_options(args, tuple(args.size) if args.size else None),
                 frame=args.frame, fps=args.fps, overwrite=args.overwrite)
    print(f"wrote {out}")
    return EXIT_OK


def cmd_plot(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .plot import plot_timeseries
    from .offscreen import open_store, output_path

    if (Path(args.store) / "morphosim-sweep.json").is_file():   # a sweep's folder: its metrics against its parameters
        import matplotlib.pyplot as plt

        from morphosim.sweeps.plot import plot_sweep

        out = output_path(args.out or str(Path(args.store) / "sweep.png"), (".png", ".pdf", ".svg"),
                          args.overwrite or args.out is None)
        plt.close(plot_sweep(args.store, out)[1])
        print(f"wrote {out}")
        return EXIT_OK
    if args.out is None:
        raise InputError("plot: give --out FILE (.png, .pdf or .svg) for a run store")
    out = output_path(args.out, (".png", ".pdf", ".svg"), args.overwrite)
    plot_timeseries(open_store(args.store), out)
    print(f"wrote {out}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .export import export_geff, export_vtk
    from .offscreen import open_store

    if not (args.vtk or args.geff):
        raise InputError("export: give --vtk DIR (ParaView) and/or --geff PATH (the lineage graph, for napari)")
    run = open_store(args.store)
    written = export_vtk(run, args.vtk, args.overwrite) if args.vtk else []
    if args.geff:
        written.append(export_geff(run, args.geff, args.overwrite))
    for path in written:
        print(f"wrote {path}")
    return EXIT_OK


def add_commands(subparsers) -> None:
    """Add view, render, plot and export to the `morphosim` subcommands."""
    view = subparsers.add_parser("view", help="open a run in an interactive 3D window")
    _add_view_options(view)
    view.add_argument("--frame", type=int, default=0, metavar="K", help="frame to open at (default 0)")
    view.set_defaults(handler=cmd_view)

    render = subparsers.add_parser(
        "render", help="render a run off screen: a picture of one frame, or a movie of all frames")
    _add_view_options(render)
    render.add_argument("--out", required=True, metavar="FILE",
                        help="output file: .png/.jpg/.tif (one frame) or .gif/.mp4 (every frame)")
    render.add_argument("--frame", type=int, metavar="K",
                        help="frame of a still picture (default: the last; negative counts from the end)")
    render.add_argument("--size", type=int, nargs=2, metavar=("WIDTH", "HEIGHT"), help="picture size in pixels")
    render.add_argument("--fps", type=float, default=5.0, help="movie frames per second (default 5)")
    render.add_argument("--overwrite", action="store_true", help="replace --out if it exists (a regular file)")
    render.set_defaults(handler=cmd_render)

    plot = subparsers.add_parser("plot", help="plot time series: species, cell count, cell shape, flow speed; "
                                 "or a sweep folder: each metric against each varied parameter")
    plot.add_argument("store", help="run store, or a sweep's output folder")
    plot.add_argument("--out", metavar="FILE",
                      help="output figure: .png, .pdf or .svg (a sweep's default: SWEEP_FOLDER/sweep.png)")
    plot.add_argument("--overwrite", action="store_true", help="replace --out if it exists (a regular file)")
    plot.set_defaults(handler=cmd_plot)

    export = subparsers.add_parser("export", help="write ParaView files (.pvd series of .vtp) and/or the lineage "
                                   "as a geff graph (napari)")
    export.add_argument("store", help="run store")
    export.add_argument("--vtk", metavar="DIR", help="folder for cells.pvd, tissue.pvd and their frames")
    export.add_argument("--geff", metavar="PATH", help="geff zarr of the cell lineage: a node per cell per frame "
                        "(centroid, species, cell quantities), edges along each cell's track and at divisions")
    export.add_argument("--overwrite", action="store_true",
                        help="replace an earlier export (only a folder written by export is removed)")
    export.set_defaults(handler=cmd_export)
