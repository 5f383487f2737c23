"""Matplotlib for files: the non-interactive backend and atomic PNG writes."""

from snn.util.files import write_atomic


def pyplot():
    """`matplotlib.pyplot` on the Agg backend (files only; no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path, dpi=100):
    """Write a figure as a PNG, atomically, and close it.

    Args:
        figure: matplotlib Figure.
        path: the PNG file.
        dpi: resolution in dots per inch.
    """
    write_atomic(path, lambda temporary: figure.savefig(temporary, format="png", dpi=dpi))
    pyplot().close(figure)
