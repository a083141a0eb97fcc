"""Real pictures rendered by Graphviz's dot, and the one clear error when dot is missing."""

from __future__ import annotations

import importlib

import graphviz
import pytest

import minigrad
from minigrad.nn import functional as F
from minigrad.viz import GraphvizNotFoundError, draw_graph, render, retain_grads

# The module, not the function minigrad.viz.render that the package exports under that name.
render_module = importlib.import_module("minigrad.viz.render")


def micrograd_example():
    """L = (a*b + c) * f, micrograd's lecture example, every intermediate kept."""
    a = minigrad.Tensor(2.0, requires_grad=True, name="a")
    b = minigrad.Tensor(-3.0, requires_grad=True, name="b")
    c = minigrad.Tensor(10.0, requires_grad=True, name="c")
    f = minigrad.Tensor(-2.0, requires_grad=True, name="f")
    with retain_grads():
        e = a * b
        d = e + c
        loss = d * f
    e.name, d.name, loss.name = "e", "d", "L"
    loss.backward()
    return loss


def test_scalar_graph_svg_shows_data_and_grads_computed_by_hand(dot_program, read_svg):
    loss = micrograd_example()
    svg = draw_graph(loss, values=True, grads=True, rankdir="LR").pipe(format="svg", encoding="utf-8")
    a, b, c, f = 2.0, -3.0, 10.0, -2.0
    e = a * b
    d = e + c
    # dL/dd = f, dL/df = d, dL/de = dL/dc = f, dL/da = f*b, dL/db = f*a
    expected = {
        "a": (a, f * b), "b": (b, f * a), "c": (c, f), "f": (f, d),
        "e": (e, f), "d": (d, f), "L": (d * f, 1.0),
    }
    nodes = [group["texts"] for group in read_svg(svg)["node"]]
    records = {texts[0]: texts for texts in nodes if len(texts) == 3}
    for name, (data, grad) in expected.items():
        assert records[name] == [name, f"data {data:.4f}", f"grad {grad:.4f}"], name
    operators = sorted(texts[0] for texts in nodes if len(texts) == 1)
    assert operators == ["*", "*", "+"]  # symbols, not "mul"/"add"


def test_backward_picture_has_one_backward_node_per_op(dot_program, read_svg):
    loss = micrograd_example()
    groups = read_svg(draw_graph(loss, show="backward").pipe(format="svg", encoding="utf-8"))
    texts = [" ".join(g["texts"]) for g in groups["node"]]
    assert sum(t in ("*", "+") for t in texts) == 3
    assert all("data" not in t for t in texts)  # the backward picture shows gradients
    assert "a grad 6.0000" in texts


def test_conv2d_forward_and_backward_labels(dot_program, read_svg):
    x = minigrad.randn(1, 1, 28, 28, requires_grad=True)
    weight = minigrad.randn(6, 1, 5, 5, requires_grad=True)
    out = F.conv2d(x, weight, padding=2).sum()
    out.backward()
    svg = draw_graph(out, {"weight": weight}, show="both").pipe(format="svg", encoding="utf-8")
    text = " ".join(" ".join(g["texts"]) for g in read_svg(svg)["node"])
    assert "H: (28 + 2*2 - 1*(5-1) - 1)/1 + 1 = 28" in text
    assert "stride 1x1, padding 2x2, dilation 1x1, groups 1" in text
    assert "ConvolutionBackward0" in text
    assert "dL/dx = xcorr(pad(dilate(dL/dy)), flip(W) with channels swapped):" in text
    assert "H: pad by d(k-1)-p = 1*(5-1)-2 = 2" in text  # the layer's own amounts
    assert "swap in/out channels: (6, 1, 5, 5) -> (1, 6, 5, 5)" in text
    assert "dL/dW = xcorr(x, dL/dy)" in text
    assert "dL/db" not in text  # no bias, no bias gradient


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_render_writes_each_format(tmp_path, dot_program, fmt):
    path = render(draw_graph(micrograd_example()), tmp_path / "pictures" / "graph", format=fmt)
    assert path == tmp_path / "pictures" / f"graph.{fmt}"
    assert path.stat().st_size > 100
    assert sorted(p.name for p in path.parent.iterdir()) == [f"graph.{fmt}"]  # no stray .gv


def test_dot_source_needs_no_graphviz_program(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    dot = draw_graph(micrograd_example())
    path = render(dot, tmp_path / "graph.dot", format="dot")
    assert path.read_text().startswith("digraph")
    with pytest.raises(ValueError, match="format must be one of"):
        render(dot, tmp_path / "graph", format="jpeg2000")


def test_missing_dot_program_raises_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")  # nothing can be found, dot included
    dot = draw_graph(micrograd_example())
    for attempt in (
        lambda: render(dot, tmp_path / "graph", format="svg"),
        lambda: dot.render(tmp_path / "graph", format="png"),
        lambda: dot.pipe(format="svg"),
        lambda: dot._repr_mimebundle_(),  # what Jupyter calls to display it
    ):
        with pytest.raises(GraphvizNotFoundError) as error:
            attempt()
        message = str(error.value)
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "conda" in message
        assert isinstance(error.value, RuntimeError)


def test_graphviz_failing_to_start_dot_is_translated(tmp_path, monkeypatch):
    """Even when dot seems present but cannot run, the user sees the same clear error."""
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(render_module, "check_dot", lambda: "/pretend/dot")
    dot = draw_graph(micrograd_example())
    with pytest.raises(GraphvizNotFoundError) as error:
        render(dot, tmp_path / "graph", format="svg")
    assert isinstance(error.value.__cause__, graphviz.ExecutableNotFound)
    with pytest.raises(GraphvizNotFoundError):
        dot.pipe(format="svg")
