"""Receptive fields and their mirror image, computed by autograd with one-hot gradients.

* :func:`receptive_field`: which input pixels an output depends on. One backward pass with a
  one-hot upstream gradient at that output gives d output / d input; its non-zero cells are
  the receptive field (however deep the network).
* :func:`influence`: which outputs an input pixel touches: one backward pass per output, each
  with its own one-hot upstream gradient, reading dL/dx at the pixel. For a convolution these
  are the outputs of the full convolution of dL/dy with the kernel, the second duality rule.

A cell counts when its gradient is not exactly zero, so use inputs and weights for which no
term cancels (positive numbers; the helpers' defaults are uniform in [0.5, 1.5)).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minigrad.viz import mpl


def _probe_input(input_shape: tuple[int, ...], seed: int) -> Any:
    import numpy as np

    import minigrad

    values = np.random.default_rng(seed).uniform(0.5, 1.5, input_shape)  # no cancelling terms
    return minigrad.tensor(values, requires_grad=True)


def receptive_field(function: Callable[[Any], Any], input_shape: tuple[int, ...],
                    output_index: tuple[int, ...], *, seed: int = 0) -> Any:
    """Boolean mask of ``input_shape``: the input cells that ``function(x)[output_index]``
    depends on, found by ONE backward pass with a one-hot upstream gradient."""
    import minigrad

    x = _probe_input(input_shape, seed)
    out = function(x)
    upstream = minigrad.zeros(*out.shape, dtype=out.dtype)
    upstream[tuple(output_index)] = 1.0
    (grad,) = minigrad.autograd.grad(out, x, upstream, allow_unused=True)
    if grad is None:
        return mpl.host(minigrad.zeros(*input_shape)).astype(bool)
    return mpl.host(grad) != 0


def influence(function: Callable[[Any], Any], input_shape: tuple[int, ...],
              input_index: tuple[int, ...], *, seed: int = 0) -> Any:
    """Boolean mask of the OUTPUT's shape: the outputs that input cell ``input_index`` touches,
    one backward pass per output with a one-hot upstream gradient (dL/dx at the cell != 0)."""
    import numpy as np

    import minigrad

    x = _probe_input(input_shape, seed)
    out = function(x)
    touched = np.zeros(out.shape, dtype=bool)
    for index in np.ndindex(*out.shape):
        upstream = minigrad.zeros(*out.shape, dtype=out.dtype)
        upstream[index] = 1.0
        (grad,) = minigrad.autograd.grad(out, x, upstream, retain_graph=True, allow_unused=True)
        touched[index] = grad is not None and grad[tuple(input_index)].item() != 0
    return touched


def plot_receptive_field(mask: Any, *, image: Any = None, ax: Any = None, title: str | None = None,
                         color: str = mpl.PALETTE[1]) -> Any:
    """A receptive-field mask (2-D; leading size-1 axes are dropped) over ``image`` (grey) or a
    plain grid. Artists: the highlighted region is an image with gid ``"field"``, and its
    bounding box a Rectangle ``"field box"`` (``r0,c0-r1,c1`` in its label)."""
    import numpy as np

    field = np.asarray(mask, dtype=bool)
    field = field.reshape(field.shape[-2:])
    fig, ax = mpl.subplots(ax=ax, size=(3.2, 3.2))
    if image is not None:
        ax.imshow(mpl.host(image).reshape(field.shape), cmap="gray").set_gid("image")
    overlay = np.zeros((*field.shape, 4))
    overlay[field] = (*_rgb(color), 0.55)
    ax.imshow(overlay, interpolation="nearest").set_gid("field")
    rows, cols = np.nonzero(field)
    if rows.size:
        r0, r1, c0, c1 = rows.min(), rows.max(), cols.min(), cols.max()
        box = mpl.rectangle(ax, c0 - 0.5, r0 - 0.5, c1 - c0 + 1, r1 - r0 + 1, "field box", facecolor="none",
                            edgecolor=color, linewidth=1.5)
        box.set_label(f"{r0},{c0}-{r1},{c1}")
        size = f"{r1 - r0 + 1}x{c1 - c0 + 1}"
    else:
        size = "empty"
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title or f"receptive field: {size}", fontsize=9)
    return fig


def _rgb(color: str) -> tuple[float, float, float]:
    color = color.lstrip("#")
    return tuple(int(color[i : i + 2], 16) / 255 for i in (0, 2, 4))
