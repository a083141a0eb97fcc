"""Sliding windows on a numbered grid: which input cells each output of a convolution reads.

The cell arithmetic is plain Python (:func:`window_cells`, :func:`unused_cells`), and
:func:`kernel_tap_cells` asks autograd instead of a formula; the pictures
(:func:`plot_grid`, :func:`plot_windows`, :func:`plot_kernel_tap`) draw what they compute.
Cells are ``(row, column)`` of the input; padding cells have a row or column outside
``0..size-1``. In a picture, cell ``(r, c)`` is the unit square centred on ``x = c, y = r``
(rows grow downwards, as in an image).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from minigrad.viz import mpl

IntOrPair = int | Sequence[int]


def _pair(value: IntOrPair) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def output_shape(input_size: IntOrPair, kernel_size: IntOrPair, stride: IntOrPair = 1,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1) -> tuple[int, int]:
    """``(Ho, Wo)``, each ``floor((N + 2p - d(k-1) - 1) / s) + 1``."""
    sizes = zip(_pair(input_size), _pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation))
    return tuple((n + 2 * p - d * (k - 1) - 1) // s + 1 for n, k, s, p, d in sizes)


def window_cells(input_size: IntOrPair, kernel_size: IntOrPair, stride: IntOrPair = 1,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1,
                 output: tuple[int, int] = (0, 0)) -> list[tuple[int, int]]:
    """The input cells that output ``(y, x)`` reads, in kernel order (tap (0, 0) first).

    Tap ``(i, j)`` of the window of output ``(y, x)`` sits on input cell
    ``(y*s - p + i*d, x*s - p + j*d)``: cells outside the input are padding.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = _pair(kernel_size), _pair(stride), _pair(padding), _pair(dilation)
    ho, wo = output_shape(input_size, kernel_size, stride, padding, dilation)
    y, x = output
    if not (0 <= y < ho and 0 <= x < wo):
        raise ValueError(f"output {output} is outside the {ho}x{wo} output")
    return [(y * sh - ph + i * dh, x * sw - pw + j * dw) for i in range(kh) for j in range(kw)]


def unused_cells(input_size: IntOrPair, kernel_size: IntOrPair, stride: IntOrPair = 1,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1) -> list[tuple[int, int]]:
    """Input cells that no window reads (a stride that does not fit, e.g. 3 on a 5x5 input)."""
    h, w = _pair(input_size)
    ho, wo = output_shape(input_size, kernel_size, stride, padding, dilation)
    read = {cell for y in range(ho) for x in range(wo)
            for cell in window_cells(input_size, kernel_size, stride, padding, dilation, (y, x))}
    return [(r, c) for r in range(h) for c in range(w) if (r, c) not in read]


def kernel_tap_cells(input_size: IntOrPair, kernel_size: IntOrPair, tap: tuple[int, int],
                     stride: IntOrPair = 1, padding: IntOrPair = 0,
                     dilation: IntOrPair = 1) -> dict[tuple[int, int], tuple[int, int] | None]:
    """For every output, the input cell that kernel tap ``tap`` multiplies there, by AUTOGRAD.

    The input is numbered ``r * W + c + 1`` (padding reads 0). With a one-hot upstream gradient
    at output ``(y, x)``, ``dL/dW = xcorr(x, dL/dy)`` is the window of that output, so
    ``dL/dW[tap]`` is the number of the cell the tap sits on. Returns output -> cell, or
    ``None`` where the tap sits on padding. That dL/dW collects, over all outputs, these cells
    times dL/dy is the first duality rule.
    """
    import minigrad
    import minigrad.nn.functional as F

    (h, w), (kh, kw) = _pair(input_size), _pair(kernel_size)
    numbered = minigrad.arange(1, h * w + 1, dtype=minigrad.float64).reshape(1, 1, h, w)
    weight = minigrad.zeros(1, 1, kh, kw, dtype=minigrad.float64, requires_grad=True)
    out = F.conv2d(numbered, weight, stride=stride, padding=padding, dilation=dilation)
    ho, wo = out.shape[2:]
    found = {}
    for y in range(ho):
        for x in range(wo):
            upstream = minigrad.zeros(1, 1, ho, wo, dtype=minigrad.float64)
            upstream[0, 0, y, x] = 1.0
            (grad,) = minigrad.autograd.grad(out, weight, upstream, retain_graph=True)
            number = int(round(grad[0, 0, tap[0], tap[1]].item()))
            found[(y, x)] = None if number == 0 else divmod(number - 1, w)
    return found


# --- pictures ---------------------------------------------------------------------------------
def _cell(ax: Any, row: int, column: int, gid: str, **style: Any) -> Any:
    return mpl.rectangle(ax, column - 0.5, row - 0.5, 1, 1, gid, **style)


def _format(value: float, fmt: str | None) -> str:
    if fmt is not None:
        return format(value, fmt)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}"


def plot_grid(values: Any, *, ax: Any = None, highlight: Iterable[tuple[int, int]] | Any = (),
              highlight_color: str = mpl.HIGHLIGHT_COLOR, numbers: bool = True, fmt: str | None = None,
              cmap: str | None = None, title: str | None = None, origin: tuple[int, int] = (0, 0),
              fontsize: float = 10, texts: Any = None) -> Any:
    """A 2-D array as a grid of numbered cells; ``highlight`` (cells, or a boolean mask)
    filled in colour. ``cmap`` colours every cell by value instead. ``origin`` is the
    (row, column) of the top-left cell (use ``(-p, -p)`` to number a padded grid). ``texts``
    (same shape, strings) replaces the numbers, e.g. index labels ``"k(-1,-1)"``.

    Artists: each cell is a Rectangle with gid ``"cell r,c"`` (highlighted ones
    ``"highlight r,c"``), each number a Text with gid ``"value r,c"``.
    """
    import numpy as np

    array = mpl.host(values)
    if array.ndim > 2 and array.size == array.shape[-1] * array.shape[-2]:
        array = array.reshape(array.shape[-2:])  # a (1, 1, 3, 3) kernel
    if array.ndim != 2:
        raise ValueError(f"plot_grid draws a 2-D array, got shape {array.shape}")
    fig, ax = mpl.subplots(ax=ax, size=(0.45 * array.shape[1] + 0.6, 0.45 * array.shape[0] + 0.6))
    mask = np.asarray(highlight, dtype=bool) if getattr(highlight, "shape", None) == array.shape else None
    cells = set() if mask is not None else {tuple(c) for c in highlight}
    top, left = origin
    colors = None
    if cmap is not None:
        import matplotlib

        norm = matplotlib.colors.Normalize(vmin=float(array.min()), vmax=float(array.max()) or 1.0)
        colors = matplotlib.colormaps[cmap](norm(array))
    for r in range(array.shape[0]):
        for c in range(array.shape[1]):
            row, column = r + top, c + left
            lit = mask[r, c] if mask is not None else (row, column) in cells
            face = highlight_color if lit else ("white" if colors is None else colors[r, c])
            _cell(ax, row, column, f"{'highlight' if lit else 'cell'} {row},{column}", facecolor=face,
                  edgecolor=mpl.GRID_COLOR, linewidth=0.8, alpha=0.85 if lit else 1.0)
            if numbers or texts is not None:
                words = str(texts[r][c]) if texts is not None else _format(array[r, c], fmt)
                text = ax.text(column, row, words, ha="center", va="center", fontsize=fontsize, color="black")
                text.set_gid(f"value {row},{column}")
    _frame(ax, top, left, array.shape, title)
    return fig


def _frame(ax: Any, top: int, left: int, shape: tuple[int, int], title: str | None) -> None:
    ax.set_xlim(left - 0.6, left + shape[1] - 0.4)
    ax.set_ylim(top + shape[0] - 0.4, top - 0.6)
    ax.set_aspect("equal")
    mpl.bare(ax)
    if title:
        ax.set_title(title, fontsize=10)


def plot_windows(input_size: IntOrPair, kernel_size: IntOrPair, stride: IntOrPair = 1,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1, *,
                 outputs: Iterable[tuple[int, int]] | str = "first", values: Any = None,
                 ax: Any = None, title: str | None = None, show_unused: bool = True) -> Any:
    """The input as a numbered grid, its padding ring grey, and the windows of ``outputs``.

    Args:
        input_size, kernel_size, stride, padding, dilation: as for ``nn.Conv2d``.
        outputs: which outputs' windows to outline: a list of ``(y, x)``, ``"first"``
            (the first two along a row, so the stride shows), or ``"all"``.
        values: numbers to write in the cells (default: ``r * W + c + 1``; padding reads 0).
        show_unused: colour the input cells no window reads (pink).

    The title states the output-size arithmetic. Artists: input cells ``"cell r,c"``, padding
    cells ``"padding r,c"``, unused cells ``"unused r,c"``, and for each outlined output one
    Rectangle per tap, gid ``"window y,x: r,c"``.
    """
    import numpy as np

    (h, w), (ph, pw) = _pair(input_size), _pair(padding)
    ho, wo = output_shape(input_size, kernel_size, stride, padding, dilation)
    if ho < 1 or wo < 1:
        raise ValueError(f"no window fits: the output would be {ho}x{wo}")
    numbers = np.arange(1, h * w + 1).reshape(h, w) if values is None else mpl.host(values).reshape(h, w)
    if outputs == "all":
        chosen = [(y, x) for y in range(ho) for x in range(wo)]
    elif outputs == "first":
        chosen = [(0, x) for x in range(min(wo, 2))]
    else:
        chosen = [tuple(o) for o in outputs]
    fig, ax = mpl.subplots(ax=ax, size=(0.42 * (w + 2 * pw) + 0.8, 0.42 * (h + 2 * ph) + 1.0))
    unused = set(unused_cells(input_size, kernel_size, stride, padding, dilation)) if show_unused else set()
    for r in range(-ph, h + ph):
        for c in range(-pw, w + pw):
            inside = 0 <= r < h and 0 <= c < w
            kind = "cell" if inside else "padding"
            face = "white" if inside else mpl.PADDING_COLOR
            if (r, c) in unused:
                kind, face = "unused", mpl.UNUSED_COLOR
            _cell(ax, r, c, f"{kind} {r},{c}", facecolor=face, edgecolor="#999999", linewidth=0.6)
            text = _format(numbers[r, c], None) if inside else "0"
            ax.text(c, r, text, ha="center", va="center", fontsize=8,
                    color="black" if inside else "#777777").set_gid(f"value {r},{c}")
    for index, output in enumerate(chosen):
        color = mpl.PALETTE[index % len(mpl.PALETTE)]
        inset = 0.06 + 0.05 * (index % 3)  # overlapping windows stay distinguishable
        for r, c in window_cells(input_size, kernel_size, stride, padding, dilation, output):
            mpl.rectangle(ax, c - 0.5 + inset, r - 0.5 + inset, 1 - 2 * inset, 1 - 2 * inset,
                          f"window {output[0]},{output[1]}: {r},{c}", facecolor=color, alpha=0.28,
                          edgecolor=color, linewidth=1.6)
    _frame(ax, -ph, -pw, (h + 2 * ph, w + 2 * pw), None)
    (kh, kw), (sh, _), (dh, _) = _pair(kernel_size), _pair(stride), _pair(dilation)
    formula = f"({h} + 2*{ph} - {dh}*({kh}-1) - 1) // {sh} + 1 = {ho}"
    caption = title or f"{h}x{w} input, {kh}x{kw} kernel, stride {sh}, padding {ph}, dilation {dh}"
    lines = [caption, f"output {ho}x{wo}", f"Ho = {formula}"] + ([f"{len(unused)} cells never read"] if unused else [])
    ax.set_title("\n".join(lines), fontsize=9)
    return fig


def plot_kernel_tap(input_size: IntOrPair, kernel_size: IntOrPair, tap: tuple[int, int], *,
                    stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
                    ax: Any = None, color: str = mpl.PALETTE[1]) -> Any:
    """The input cells kernel tap ``tap`` multiplies, one per output, found by autograd
    (:func:`kernel_tap_cells`), each labelled with the output ``y(r, c)`` it serves.

    Artists: lit cells ``"tap r,c"``, their labels ``"serves r,c"`` (r, c the input cell).
    """
    (h, w), (ph, pw) = _pair(input_size), _pair(padding)
    partners = kernel_tap_cells(input_size, kernel_size, tap, stride, padding, dilation)
    fig, ax = mpl.subplots(ax=ax, size=(0.5 * (w + 2 * pw) + 0.8, 0.5 * (h + 2 * ph) + 0.9))
    for r in range(-ph, h + ph):
        for c in range(-pw, w + pw):
            inside = 0 <= r < h and 0 <= c < w
            _cell(ax, r, c, f"{'cell' if inside else 'padding'} {r},{c}",
                  facecolor="white" if inside else mpl.PADDING_COLOR, edgecolor="#999999", linewidth=0.6)
    for output, cell in partners.items():
        if cell is None:
            continue
        r, c = cell
        _cell(ax, r, c, f"tap {r},{c}", facecolor=color, alpha=0.45, edgecolor=color, linewidth=1.2)
        ax.text(c, r, f"y{output[0]}{output[1]}", ha="center", va="center", fontsize=8).set_gid(f"serves {r},{c}")
    _frame(ax, -ph, -pw, (h + 2 * ph, w + 2 * pw), None)
    ax.set_title(f"k({tap[0]},{tap[1]}) multiplies these pixels\n(one per output: dL/dk = xcorr(x, dL/dy))",
                 fontsize=9)
    return fig
