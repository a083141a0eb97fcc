"""Convolution as signal processing: the 1-D formula ``y_k = sum_n h_n x_{k-n}``, term by term.

:func:`convolution_terms` finds which products ``h_n x_m`` make up each output by running the
convolution itself (``F.conv1d`` on one-hot signals): bilinear in ``h`` and ``x``, the output
for a one-hot ``h`` at ``n`` and a one-hot ``x`` at ``m`` is 1 exactly where ``h_n x_m`` is a
term. :func:`plot_convolution_1d` draws the flipped kernel sliding under the signal.
"""

from __future__ import annotations

from typing import Any

from minigrad.viz import mpl


def convolve_1d(x: Any, h: Any) -> Any:
    """The full 1-D convolution ``y_k = sum_n h_n x_{k-n}`` (``len(x) + len(h) - 1`` outputs),
    computed with ``F.conv1d``: a cross-correlation with the flipped kernel, zero-padded by
    ``len(h) - 1`` on both sides."""
    import minigrad
    import minigrad.nn.functional as F

    signal = x if isinstance(x, minigrad.Tensor) else minigrad.tensor(x, dtype=minigrad.float64)
    kernel = h if isinstance(h, minigrad.Tensor) else minigrad.tensor(h, dtype=minigrad.float64)
    flipped = kernel[::-1].reshape(1, 1, -1)
    return F.conv1d(signal.reshape(1, 1, -1), flipped, padding=kernel.shape[0] - 1).reshape(-1)


def convolution_terms(x_length: int, h_length: int) -> list[list[tuple[int, int]]]:
    """For each output ``k``, the pairs ``(n, m)`` whose product ``h_n * x_m`` is a term of
    ``y_k``, found by convolving one-hot signals (never by the formula ``m = k - n``)."""
    import numpy as np

    terms: list[list[tuple[int, int]]] = [[] for _ in range(x_length + h_length - 1)]
    for n in range(h_length):
        for m in range(x_length):
            y = mpl.host(convolve_1d(np.eye(x_length)[m], np.eye(h_length)[n]))
            for k in np.nonzero(y)[0]:
                terms[int(k)].append((n, m))
    return terms


def terms_text(terms: list[tuple[int, int]]) -> str:
    """``h0 x1 + h1 x0`` for ``[(0, 1), (1, 0)]``."""
    return " + ".join(f"h{n} x{m}" for n, m in sorted(terms))


def plot_convolution_1d(x: Any, h: Any, k: int, *, ax: Any = None) -> Any:
    """The signal ``x`` on top; the kernel FLIPPED below, shifted so that ``h_0`` sits under
    ``x_k``; the products of the cells that meet, and ``y_k``, their sum.

    Artists: signal cells ``"x m"``, kernel cells ``"h n at m"`` (``m = k - n``), the sum
    ``"y k"``.
    """
    import numpy as np

    signal, kernel = mpl.host(x).astype("float64"), mpl.host(h).astype("float64")
    fig, ax = mpl.subplots(ax=ax, size=(0.75 * (len(signal) + len(kernel)) + 1.2, 2.2))
    for m, value in enumerate(signal):
        mpl.rectangle(ax, m - 0.45, 0.55, 0.9, 0.8, f"x {m}", facecolor="#cfe2f3", edgecolor="#444444")
        ax.text(m, 0.95, f"x{m}={_short(value)}", ha="center", va="center", fontsize=8)
    products = []
    for n, value in enumerate(kernel):
        m = k - n
        meets = 0 <= m < len(signal)
        mpl.rectangle(ax, m - 0.45, -0.55, 0.9, 0.8, f"h {n} at {m}",
                      facecolor="#fce5cd" if meets else "#eeeeee", edgecolor="#444444")
        ax.text(m, -0.15, f"h{n}={_short(value)}", ha="center", va="center", fontsize=8)
        if meets:
            products.append(value * signal[m])
            ax.annotate("", xy=(m, -0.15 + 0.4), xytext=(m, 0.55), arrowprops={"arrowstyle": "-", "color": "#999"})
    total = float(np.sum(products)) if products else 0.0
    ax.text(len(signal) + 0.3, 0.4, f"y{k} = {_short(total)}", ha="left", va="center", fontsize=10,
            weight="bold").set_gid(f"y {k}")
    sum_text = " + ".join(f"{_signed(kernel[n])}*{_signed(signal[k - n])}" for n in range(len(kernel))
                          if 0 <= k - n < len(signal))
    ax.text(len(signal) + 0.3, -0.1, f"= {sum_text or '0'}", ha="left", va="center", fontsize=8)
    low = min(0, k - len(kernel) + 1) - 0.6
    ax.set_xlim(low, max(len(signal), k + 1) + 2.2)
    ax.set_ylim(-0.8, 1.6)
    mpl.bare(ax)
    ax.set_title(f"y_{k} = sum_n h_n x_(k-n): the kernel flipped, h_0 under x_{k}", fontsize=9)
    return fig


def _short(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


def _signed(value: float) -> str:
    text = _short(value)
    return f"({text})" if value < 0 else text
