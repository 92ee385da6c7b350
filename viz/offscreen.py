"""Off-screen pictures of a run: a still image of one frame, or a movie over every frame."""

from __future__ import annotations

from pathlib import Path

import morphosim
from morphosim.errors import InputError
from morphosim.io import claim_output_file

from .options import ViewOptions
from .scene import Scene

STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
MOVIE_SUFFIXES = (".gif", ".mp4")


def open_store(store: str | Path):
    """The run at `store`, or an InputError naming the path."""
    if not Path(store).exists():
        raise InputError(f"{store}: no such run store")
    run = morphosim.open_run(store)
    if len(run) == 0:
        raise InputError(f"{store}: the store holds no recorded frame yet")
    return run


def output_path(out: str | Path, suffixes: tuple[str, ...], overwrite: bool = False) -> Path:
    """`out` checked: a supported suffix, and a new file (or, with `overwrite`, an existing regular one)."""
    out = Path(out)
    if out.suffix.lower() not in suffixes:
        raise InputError(f"--out {out}: unsupported file type {out.suffix or '(none)'}; use one of {', '.join(suffixes)}")
    claim_output_file(out, overwrite=overwrite)
    return out


def render(store: str | Path, out: str | Path, options: ViewOptions | None = None,
           frame: int | None = None, fps: float = 5.0, overwrite: bool = False) -> Path:
    """Render `store` off screen to `out`: a still (.png, .jpg, .tif) of `frame` (default: the
    last), or a movie (.gif, .mp4) with one movie frame per recorded frame and a time label."""
    out = output_path(out, STILL_SUFFIXES + MOVIE_SUFFIXES, overwrite)
    if not fps > 0:
        raise InputError(f"--fps {fps}: frames per second must be positive")
    run = open_store(store)
    options = options or ViewOptions()
    if out.suffix.lower() in MOVIE_SUFFIXES:
        if frame is not None:
            raise InputError("--frame selects the frame of a still image; a movie shows every frame")
        scene = Scene(run, options, range(len(run.times)), off_screen=True)
        try:
            if out.suffix.lower() == ".gif":
                scene.plotter.open_gif(str(out), fps=fps)
            else:
                scene.plotter.open_movie(str(out), framerate=fps)
            for k in range(len(run.times)):
                scene.show_frame(k)
                scene.plotter.write_frame()
        finally:
            scene.close()
        return out
    scene = Scene(run, options, [-1 if frame is None else frame], off_screen=True)
    try:
        scene.plotter.screenshot(str(out))
    finally:
        scene.close()
    return out
