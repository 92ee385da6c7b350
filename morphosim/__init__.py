"""morphosim: embryonic morphogenesis across scales (genes, cells, tissue)."""

__version__ = "0.1.0"


def open_run(path):
    """Open a run store for reading (see morphosim.io.run)."""
    from morphosim.io import open_run as _open_run

    return _open_run(path)
