"""im2col as a picture: the input's windows, the column matrix ``F.unfold`` makes of them, and
the one matrix product that is the convolution."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.viz import mpl
from minigrad.viz.windows import _cell, _format, _frame, _pair, window_cells

IntOrPair = int | Sequence[int]


def im2col_matrix(image: Any, kernel_size: IntOrPair, stride: IntOrPair = 1, padding: IntOrPair = 0,
                  dilation: IntOrPair = 1) -> Any:
    """The column matrix of a one-channel 2-D ``image``: ``F.unfold`` of it, as a NumPy array
    (kh * kw rows, one column per window, windows in row-major output order)."""
    import minigrad
    import minigrad.nn.functional as F

    array = mpl.host(image).astype("float64")
    if array.ndim != 2:
        raise ValueError(f"im2col_matrix takes a 2-D image, got shape {array.shape}")
    columns = F.unfold(minigrad.tensor(array).reshape(1, 1, *array.shape), kernel_size, dilation, padding, stride)
    return mpl.host(columns[0])


def plot_im2col(image: Any, kernel_size: IntOrPair, stride: IntOrPair = 1, padding: IntOrPair = 0,
                dilation: IntOrPair = 1, *, kernel: Any = None, columns_shown: int | None = None) -> Any:
    """Left: the image with each window outlined in its column's colour. Right: the column
    matrix (``F.unfold``, the same im2col the conv2d primitive multiplies); with ``kernel``,
    the kernel's numbers beside the rows and the product row below: the convolution as ONE
    matrix product, ``out = kernel.reshape(1, -1) @ columns``.

    Artists: matrix numbers ``"column i,j"`` (row i = kernel tap, column j = window), window
    outlines ``"window y,x: r,c"``, kernel numbers ``"kernel i"``, products ``"product j"``.
    """
    array = mpl.host(image).astype("float64")
    matrix = im2col_matrix(array, kernel_size, stride, padding, dilation)
    rows, count = matrix.shape
    shown = count if columns_shown is None else min(columns_shown, count)
    (h, w), (ph, pw) = array.shape, _pair(padding)
    extra = 2 if kernel is not None else 0
    fig, (left, right) = mpl.pyplot().subplots(
        1, 2, figsize=(0.42 * (w + 2 * pw) + 0.42 * shown + 2.4, 0.36 * max(h + 2 * ph, rows + extra) + 1.4),
        gridspec_kw={"width_ratios": [w + 2 * pw, shown + 1.5]},
    )
    for r in range(-ph, h + ph):
        for c in range(-pw, w + pw):
            inside = 0 <= r < h and 0 <= c < w
            _cell(left, r, c, f"{'cell' if inside else 'padding'} {r},{c}",
                  facecolor="white" if inside else mpl.PADDING_COLOR, edgecolor="#999999", linewidth=0.6)
            left.text(c, r, _format(array[r, c], None) if inside else "0", ha="center", va="center",
                      fontsize=8, color="black" if inside else "#777777")
    for j, output in enumerate(_output_grid(h, w, kernel_size, stride, padding, dilation)[:shown]):
        color = mpl.PALETTE[j % len(mpl.PALETTE)]
        inset = 0.08 + 0.05 * (j % 3)
        for r, c in window_cells((h, w), kernel_size, stride, padding, dilation, output):
            mpl.rectangle(left, c - 0.5 + inset, r - 0.5 + inset, 1 - 2 * inset, 1 - 2 * inset,
                          f"window {output[0]},{output[1]}: {r},{c}", facecolor="none", edgecolor=color,
                          linewidth=1.5)
    _frame(left, -ph, -pw, (h + 2 * ph, w + 2 * pw), "input, windows outlined")
    for i in range(rows):
        for j in range(shown):
            _cell(right, i, j, f"cell {i},{j}", facecolor=mpl.PALETTE[j % len(mpl.PALETTE)], alpha=0.16,
                  edgecolor="#888888", linewidth=0.5)
            right.text(j, i, _format(matrix[i, j], None), ha="center", va="center",
                       fontsize=8).set_gid(f"column {i},{j}")
    bottom = rows
    if kernel is not None:
        flat = mpl.host(kernel).reshape(-1).astype("float64")
        if flat.size != rows:
            raise ValueError(f"the kernel has {flat.size} numbers but each column has {rows}")
        product = flat @ matrix
        for i, value in enumerate(flat):
            right.text(-0.75, i, _format(value, None), ha="right", va="center", fontsize=8,
                       color="#b45f06").set_gid(f"kernel {i}")
        for j in range(shown):
            _cell(right, rows + 0.4, j, f"result cell {j}", facecolor="#fff2cc", edgecolor="#888888",
                  linewidth=0.8)
            right.text(j, rows + 0.4, _format(product[j], None), ha="center", va="center", fontsize=8,
                       weight="bold").set_gid(f"product {j}")
        right.text(-0.75, rows + 0.4, "k @ cols", ha="right", va="center", fontsize=8, weight="bold")
        right.text(-0.75, -0.9, "k", ha="right", va="center", fontsize=8, color="#b45f06")
        bottom += 1.0
    right.set_xlim(-2.2 if kernel is not None else -0.6, shown - 0.4)
    right.set_ylim(bottom - 0.2, -1.2 if kernel is not None else -0.6)
    right.set_aspect("equal")
    mpl.bare(right)
    more = f" (first {shown} of {count})" if shown < count else ""
    right.set_title(f"F.unfold: {rows} taps x {count} windows{more}", fontsize=9)
    return fig


def _output_grid(h: int, w: int, kernel_size: IntOrPair, stride: IntOrPair, padding: IntOrPair,
                 dilation: IntOrPair) -> list[tuple[int, int]]:
    from minigrad.viz.windows import output_shape

    ho, wo = output_shape((h, w), kernel_size, stride, padding, dilation)
    return [(y, x) for y in range(ho) for x in range(wo)]
