"""matplotlib, imported only when a picture is drawn, with one clear error when it is missing.

``import minigrad.viz`` never imports matplotlib (an optional extra: ``pip install matplotlib``,
or ``pip install -e ".[viz]"`` from a checkout); the first ``plot_*`` call does. Every ``plot_*`` function returns the
``matplotlib.figure.Figure`` it drew, and tags what it drew with artist ids (``set_gid``) so
tests and curious readers can check which cells, windows and numbers are on the picture.
"""

from __future__ import annotations

from typing import Any

INSTALL_HINT = (
    "this picture needs matplotlib, an optional extra of minigrad: pip install matplotlib "
    '(from a minigrad checkout: pip install -e ".[viz]"). The Graphviz graph pictures (draw_graph, '
    "draw_model) do not need it."
)

#: Colours of successive windows, columns and curves (matplotlib's tab10, colour-blind aware).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")
PADDING_COLOR, UNUSED_COLOR, GRID_COLOR = "#d9d9d9", "#f4cccc", "#444444"
HIGHLIGHT_COLOR = "#9fc5e8"  # light enough for black numbers on top


class MatplotlibNotFoundError(ImportError):
    """Raised by the ``plot_*`` helpers when matplotlib is not installed."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


def pyplot() -> Any:
    """``matplotlib.pyplot``, or :class:`MatplotlibNotFoundError` with the install command."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise MatplotlibNotFoundError() from error
    return plt


def subplots(rows: int = 1, columns: int = 1, *, size: tuple[float, float] | None = None,
             ax: Any = None, **kwargs: Any) -> tuple[Any, Any]:
    """A new figure with ``rows`` x ``columns`` axes, or ``ax``'s figure when one is given."""
    if ax is not None:
        return ax.figure, ax
    plt = pyplot()
    return plt.subplots(rows, columns, figsize=size, squeeze=False if rows * columns > 1 else True,
                        **kwargs)


def rectangle(ax: Any, x: float, y: float, width: float, height: float, gid: str, **style: Any) -> Any:
    """Add a Rectangle with lower-left ``(x, y)`` (data coordinates) and artist id ``gid``."""
    pyplot()  # the clear error first, if matplotlib is missing
    from matplotlib.patches import Rectangle

    patch = Rectangle((x, y), width, height, **style)
    patch.set_gid(gid)
    ax.add_patch(patch)
    return patch


def host(value: Any) -> Any:
    """A NumPy array from a minigrad Tensor (any device), a NumPy array or nested lists."""
    import numpy as np

    if hasattr(value, "backend") and hasattr(value, "_array"):
        return np.asarray(value.backend.to_numpy(value.detach()._array))
    return np.asarray(value)


def bare(ax: Any) -> None:
    """No ticks and no frame: a grid of cells speaks for itself."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
