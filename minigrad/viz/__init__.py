"""Pictures of computation graphs, for teaching: forward ops, backward ops, or both.

    import minigrad, minigrad.viz as viz
    a = minigrad.tensor(2.0, requires_grad=True, name="a")
    ...
    with viz.retain_grads():          # keep every intermediate's value and gradient
        d = a * b + c
    d.backward()
    dot = viz.draw_graph(d, values=True, grads=True, rankdir="LR")
    viz.render(dot, "scalar_graph", format="svg")   # or just display `dot` in Jupyter

    viz.draw_model(model, example_input, depth=1)   # grouped by nn.Module

Teaching pictures drawn with matplotlib (an optional extra, ``pip install matplotlib``;
imported on first use, :class:`MatplotlibNotFoundError` when missing), each computed with
minigrad and returning a ``matplotlib.figure.Figure``:

    viz.plot_windows(5, 3, stride=2, padding=1)      # sliding windows on a numbered grid
    viz.plot_im2col(image, 3, kernel=k)              # the F.unfold column matrix and the GEMM
    viz.plot_kernel_tap(5, 3, (0, 0))                # which pixels k(0,0) multiplies (autograd)
    viz.plot_receptive_field(viz.receptive_field(model, (1, 1, 28, 28), (0, 0, 5, 5)))
    viz.plot_kernels(conv.weight); viz.plot_feature_maps(maps); viz.plot_training_curves(history)
    viz.plot_padding_modes(image, 2); viz.plot_convolution_1d(x, h, k=2); viz.plot_grid(array)

The graph pictures' returned object is a ``graphviz.Digraph``: ``.source`` is the DOT text (no Graphviz
program needed), ``.render``/``.pipe`` and Jupyter display need Graphviz's ``dot`` and raise
:class:`GraphvizNotFoundError` with install instructions when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterable

from minigrad.tensor import Tensor
from minigrad.viz.columns import im2col_matrix, plot_im2col
from minigrad.viz.duality import duality_graph
from minigrad.viz.features import (
    plot_feature_maps,
    plot_images,
    plot_kernels,
    plot_padding_modes,
    plot_training_curves,
)
from minigrad.viz.fields import influence, plot_receptive_field, receptive_field
from minigrad.viz.graph import Graph, Scope, ScopeMap, build_graph, collapse, fold_composites
from minigrad.viz.model import draw_model, module_scopes
from minigrad.viz.mpl import MatplotlibNotFoundError
from minigrad.viz.render import Digraph, GraphvizNotFoundError, render, to_digraph
from minigrad.viz.retain import retain_grads
from minigrad.viz.signals import convolution_terms, convolve_1d, plot_convolution_1d, terms_text
from minigrad.viz.windows import (
    kernel_tap_cells,
    output_shape,
    plot_grid,
    plot_kernel_tap,
    plot_windows,
    unused_cells,
    window_cells,
)


def draw_graph(
    output: Tensor | Iterable[Tensor],
    params: dict[str, Tensor] | None = None,
    *,
    show: str = "forward",
    values: bool = False,
    grads: bool = False,
    depth: int | None = None,
    rankdir: str = "TB",
    scopes: ScopeMap | None = None,
    scalar_style: bool | None = None,
    legend: bool | str = False,
    title: str | None = None,
    fontsize: float = 10,
    size: str | tuple[float, float] | None = None,
    dpi: float | None = None,
    grid: int = 3,
    upstream: Tensor | None = None,
) -> Digraph:
    """Draw the recorded graph that computed ``output`` (a tensor or a list of tensors).

    Args:
        params: name -> tensor (e.g. ``dict(model.named_parameters())``) to name the leaves.
        show: ``"forward"`` (tensors and ops), ``"backward"`` (one node per op, named as
            PyTorch names it: ``MulBackward0``; arrows from the output back to the leaves, each
            tensor with its gradient), ``"both"``, or ``"duality"``: the graph that
            ``autograd.grad(output, leaves, dL/dy, create_graph=True)`` records, its tensors
            named after what they are (``dL/dy``, ``flip(W)``, ``pad(dL/dy)``,
            ``xcorr(x^T, dL/dy^T)``): for a conv2d, the two duality rules as ops.
        values: show the numbers of small tensors (those still reachable: leaves, outputs, and
            intermediates kept by ``retain_grad``/:func:`retain_grads`).
        grads: show gradients (``.grad``: the numbers of small ones, the norm of big ones).
        depth: fold module calls deeper than ``depth`` into one box each (needs ``scopes``,
            which :func:`draw_model` provides).
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right, micrograd's look).
        scopes: which module call produced each op (see :func:`draw_model`).
        scalar_style: micrograd-style records ``{ a | data 2.0000 | grad -3.0000 }`` with
            operator symbols; default: when every tensor in the graph has one element.
        legend: ``True`` or where to put a colour legend (``"top"``, ``"bottom-left"``...).
        title: a caption above the picture (beside the legend when there is one).
        fontsize, size, dpi: text size in points, the largest drawing in inches
            (``(8, 6)``), PNG resolution.
        grid: tensors of up to ``grid`` x ``grid`` numbers print them as a grid (default 3:
            a 3x3 kernel shows its nine numbers).
        upstream: for ``show="duality"``, the upstream gradient dL/dy (default: ones).

    Returns:
        a ``graphviz.Digraph`` subclass; ``minigrad.viz.render(dot, path, format)`` saves it.

    Python numbers an op used (the ``1`` in ``1 - y``) are small dashed nodes; their values
    are known when the op saved them or when the graph was recorded inside
    :func:`retain_grads`. The gradient of a gradient is a graph like any other: after
    ``x.grad`` was computed with ``create_graph=True``, ``draw_graph(x.grad)`` shows the ops
    of the backward pass (double backward).
    """
    if show == "duality":
        if not isinstance(output, Tensor):
            raise TypeError("show='duality' differentiates ONE output tensor; pass a tensor, not a list")
        gradients, names = duality_graph(output, params, upstream)
        output, params, show = [g for g in gradients if g is not None], names, "forward"
    graph = build_graph(output, params, scopes)
    if depth is not None:
        if not graph.scopes:
            raise ValueError(
                "depth= folds modules into boxes, but this graph has no module information: "
                "use minigrad.viz.draw_model(model, example_input, depth=...)"
            )
        graph = collapse(graph, depth)
    return to_digraph(graph, show=show, values=values, grads=grads, rankdir=rankdir,
                      scalar_style=scalar_style, legend=legend, title=title, fontsize=fontsize,
                      size=size, dpi=dpi, grid=grid)


__all__ = [
    "Digraph", "Graph", "GraphvizNotFoundError", "MatplotlibNotFoundError", "Scope", "ScopeMap",
    "build_graph", "collapse", "convolution_terms", "convolve_1d", "draw_graph", "draw_model",
    "duality_graph", "fold_composites", "im2col_matrix", "influence", "kernel_tap_cells",
    "module_scopes", "output_shape", "plot_convolution_1d", "plot_feature_maps", "plot_grid",
    "plot_im2col", "plot_images", "plot_kernel_tap", "plot_kernels", "plot_padding_modes",
    "plot_receptive_field", "plot_training_curves", "plot_windows", "receptive_field", "render",
    "retain_grads", "terms_text", "to_digraph", "unused_cells", "window_cells",
]
