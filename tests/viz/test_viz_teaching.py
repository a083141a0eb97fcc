"""What the teaching pictures show: Python numbers, grids of numbers, the duality view, the
conv2d gradient edges, and the layout parameters (font, size, legend)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.viz import draw_graph, duality_graph, retain_grads
from minigrad.viz.graph import UNKNOWN, ConstantNode, build_graph


def constants_of(graph):
    return sorted(((n.value if n.value is not UNKNOWN else "?") for n in graph.nodes.values()
                   if isinstance(n, ConstantNode)), key=str)


def names_a_box(source: str, name: str) -> bool:
    """A box's first line is ``name`` (an HTML label with a grid, or a plain one)."""
    return f">{name}<" in source or f'label="{name}\\n' in source


def test_python_numbers_are_nodes_with_their_values():
    y = minigrad.tensor(0.5, requires_grad=True)
    with retain_grads():  # records every op's Python numbers
        inside = (1 - y * y) / 2
    assert constants_of(build_graph(inside)) == [1, 2]
    outside = (1 - y * y) * 3  # mul saves its operands: 3 is known; sub's 1 is not
    assert constants_of(build_graph(outside)) == [3, "?"]
    source = draw_graph(inside).source
    assert re.search(r'n\d+ \[label=1 ', source) and re.search(r'n\d+ \[label=2 ', source)
    assert "a number" in draw_graph(outside).source
    # Numbers receive no gradient: the backward picture leaves them out.
    assert "a number" not in draw_graph(outside, show="backward").source


def test_tanh_backward_shows_the_one_in_one_minus_y_squared():
    x = minigrad.Tensor(0.5, requires_grad=True, name="x")
    with retain_grads():
        y = x.tanh()
        (grad_x,) = minigrad.autograd.grad(y, x, create_graph=True)
    graph = build_graph(grad_x)
    assert 1 in constants_of(graph) or 1.0 in constants_of(graph)
    sub = [n for n in graph.nodes.values() if getattr(n, "op", None) == "sub"]
    assert sub and sub[0].constants == (0,)  # the number is sub's FIRST operand: 1 - y^2


def test_small_matrices_print_their_numbers_as_a_grid():
    kernel = minigrad.Tensor([[[[1.0, 2, 3], [4, 5, 6], [7, 8, 9]]]], requires_grad=True, name="K")
    out = (kernel * 2).sum()
    out.backward()
    source = draw_graph(out, values=True, grads=True).source
    kernel_line = next(line for line in source.splitlines() if ">K<" in line)
    cells = re.findall(r'BGCOLOR="#ffffff">([^<]*)</TD>', kernel_line)
    assert cells == [str(v) for v in range(1, 10)] + ["2"] * 9  # data grid, then grad grid
    # Bigger than the grid limit: the norm line, not 16 cells; grid=4 makes it a grid.
    big = minigrad.arange(16.0).reshape(4, 4).requires_grad_()
    assert "BGCOLOR" not in draw_graph((big * 1).sum(), values=True).source
    assert len(re.findall("BGCOLOR=\"#ffffff\"", draw_graph((big * 1).sum(), values=True, grid=4).source)) == 16


def test_conv2d_gradient_edges_are_labelled():
    x = minigrad.randn(1, 1, 5, 5, requires_grad=True)
    weight = minigrad.randn(2, 1, 3, 3, requires_grad=True)
    bias = minigrad.randn(2, requires_grad=True)
    out = F.conv2d(x, weight, bias).sum()
    out.backward()
    source = draw_graph(out, show="both").source
    labelled = re.findall(r'(n\d+) -> (n\d+)b \[label=" (dL/d\w)"', source)
    graph = build_graph(out)
    names = {node_id: node for node_id, node in graph.nodes.items()}
    by_gradient = {gradient: names[tensor].shape for tensor, _, gradient in labelled}
    assert by_gradient == {"dL/dx": (1, 1, 5, 5), "dL/dW": (2, 1, 3, 3), "dL/db": (2,)}


def test_duality_view_names_the_rules_and_computes_the_true_gradients():
    x = minigrad.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
    weight = minigrad.arange(1.0, 10.0).reshape(1, 1, 3, 3).requires_grad_()
    x.name, weight.name = "x", "W"
    y = F.conv2d(x, weight)
    upstream = minigrad.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    (grad_x, grad_w), _ = duality_graph(y, upstream=upstream)
    assert grad_x.name == "dL/dx" and grad_w.name == "dL/dW"
    # The same numbers as an ordinary backward pass.
    y2 = F.conv2d(x, weight)
    (y2 * upstream).sum().backward()
    assert grad_x.detach().allclose(x.grad) and grad_w.detach().allclose(weight.grad)
    source = draw_graph(y, show="duality", values=True, upstream=upstream).source
    for name in ("dL/dy", "flip(W)", "flip(W)^T", "x^T", "dL/dy^T", "xcorr(x^T, dL/dy^T)", "dL/dx", "dL/dW"):
        assert names_a_box(source, name), name
    flipped = next(line for line in source.splitlines() if ">flip(W)<" in line)
    assert re.findall(r'BGCOLOR="#ffffff">([^<]*)</TD>', flipped) == [str(v) for v in range(9, 0, -1)]
    # dL/dx is a conv2d of dL/dy padded by d(k-1)-p = 2 with the flipped kernel.
    assert "stride 1x1, padding 2x2, dilation 1x1, groups 1" in source


def test_duality_view_of_a_strided_conv_dilates_the_upstream_gradient():
    x = minigrad.randn(1, 1, 5, 5, requires_grad=True, dtype=minigrad.float64)
    weight = minigrad.randn(1, 1, 3, 3, requires_grad=True, dtype=minigrad.float64)
    x.name, weight.name = "x", "W"
    source = draw_graph(F.conv2d(x, weight, stride=2, padding=1), show="duality").source
    assert ">dilate(dL/dy)<" in source or "dilate(dL/dy)\\n" in source
    assert "dilation 2x2" in source  # dL/dW: the forward stride becomes a dilation


def test_duality_needs_something_to_differentiate():
    with pytest.raises(ValueError, match="requires grad"):
        draw_graph(F.conv2d(minigrad.randn(1, 1, 3, 3), minigrad.randn(1, 1, 2, 2)), show="duality")
    with pytest.raises(TypeError, match="ONE output"):
        draw_graph([minigrad.randn(2, requires_grad=True) * 2], show="duality")


def test_font_size_size_dpi_and_legend_placement():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    out = (a * 2).sum()
    source = draw_graph(out, fontsize=14, size=(6, 4), dpi=150, legend="bottom-left", title="T").source
    assert "fontsize=14" in source and 'size="6,4"' in source and "dpi=150" in source
    assert "labelloc=b" in source and "labeljust=l" in source
    legend = re.search(r"label=<(<TABLE.*</TABLE>)>", source).group(1)
    assert ">T<" in legend and ">leaf<" in legend and ">Python number<" in legend and ">forward op<" in legend
    assert "backward op" not in legend
    assert "labelloc=t" in draw_graph(out, legend=True).source
    with pytest.raises(ValueError, match="legend must be"):
        draw_graph(out, legend="middle")
    with pytest.raises(ValueError, match="fontsize"):
        draw_graph(out, fontsize=0)


def test_rendered_grid_and_duality_pictures(dot_program, read_svg):
    x = minigrad.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
    weight = minigrad.arange(1.0, 10.0).reshape(1, 1, 3, 3).requires_grad_()
    x.name, weight.name = "x", "W"
    svg = draw_graph(F.conv2d(x, weight), show="duality", values=True).pipe(format="svg", encoding="utf-8")
    texts = [g["texts"] for g in read_svg(svg)["node"]]
    flipped = next(t for t in texts if t and t[0] == "flip(W)")
    assert flipped[-9:] == [str(v) for v in range(9, 0, -1)]
    assert np.asarray(flipped[-9:], dtype=float).reshape(3, 3)[0, 0] == 9
