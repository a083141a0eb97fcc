"""draw_model: one labelled cluster per module call, parameters by path, depth folding."""

from __future__ import annotations

import re

import pytest
from minigrad.models.lenet import LeNet5

import minigrad
from minigrad import nn
from minigrad.viz import draw_model
from minigrad.viz.model import module_label, module_scopes


@pytest.fixture
def lenet():
    minigrad.manual_seed(0)
    return LeNet5()


@pytest.fixture
def image():
    return minigrad.randn(1, 1, 28, 28)


def test_lenet_svg_names_every_module_parameter_and_conv_attribute(lenet, image, dot_program, read_svg):
    svg = draw_model(lenet, image).pipe(format="svg", encoding="utf-8")
    groups = read_svg(svg)
    # Leaf modules are one box each, labelled with the module; only the model is a cluster.
    assert [" ".join(g["texts"]) for g in groups["cluster"]] == ["LeNet5"]
    node_text = [" ".join(g["texts"]) for g in groups["node"]]
    for path, module in lenet.named_modules():
        if path:
            expected = module_label(path, module)
            assert any(text.startswith(expected) for text in node_text), expected
    assert any(t.startswith("conv1: Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2)) conv2d")
               for t in node_text)
    assert sum(t.startswith("act: Tanh()") for t in node_text) == 4  # one box per call
    for name, param in lenet.named_parameters():
        shape = "(" + ", ".join(map(str, param.shape)) + ("," if param.ndim == 1 else "") + ")"
        assert any(text.startswith(f"{name} {shape}") for text in node_text), name
    everything = " ".join(node_text)
    assert "H: (28 + 2*2 - 1*(5-1) - 1)/1 + 1 = 28" in everything
    assert "H: (14 + 2*0 - 1*(5-1) - 1)/1 + 1 = 10" in everything
    assert everything.count("stride 1x1, padding 0x0, dilation 1x1, groups 1") == 1  # conv2
    assert everything.count("kernel 5x5") == 2


def test_pooling_is_drawn_as_pooling(lenet, image, dot_program, read_svg):
    """AvgPool2d is computed with getitem, reshape, sum and div: by default it is one box."""
    node_text = [" ".join(g["texts"]) for g in read_svg(draw_model(lenet, image).pipe(format="svg",
                                                                                     encoding="utf-8"))["node"]]
    pools = [t for t in node_text if t.startswith("pool")]
    assert pools == [
        "pool1: AvgPool2d(kernel_size=2, stride=2, padding=0) avg_pool2d (getitem, reshape, sum, div)",
        "pool2: AvgPool2d(kernel_size=2, stride=2, padding=0) avg_pool2d (getitem, reshape, sum, div)",
    ]
    assert not any(t.startswith(("getitem", "div", "reshape", "permute", "matmul")) for t in node_text)
    # A Linear is one fused primitive (addmm, as PyTorch records it): one box, like a conv.
    assert sum(t.startswith("fc") and t.endswith("addmm") for t in node_text) == 3
    # Every primitive on request.
    everything = " ".join(" ".join(g["texts"]) for g in read_svg(
        draw_model(lenet, image, primitives=True).pipe(format="svg", encoding="utf-8"))["node"])
    assert everything.count("getitem") == 2 and everything.count("addmm") == 3


def test_folded_graph_keeps_the_model_s_edges_and_shapes(lenet, image, drawn_counts):
    source = draw_model(lenet, image).source
    # input, 10 parameters, 12 module calls (4 of act) and their 12 results: 35 nodes. Edges:
    # conv/linear calls take 3 inputs (x, weight, bias), the others 1; each has 1 result.
    assert drawn_counts(source) == (1 + 10 + 12 + 12, 5 * 3 + 7 * 1 + 12)
    backward = draw_model(lenet, image, show="backward").source
    for name in ("ConvolutionBackward0", "AvgPool2DBackward0", "ViewBackward0", "AddmmBackward0", "TanhBackward0"):
        assert name in backward, name


def cluster_bodies(source: str) -> dict[str, str]:
    """Cluster label -> the DOT text inside it (nested clusters included)."""
    bodies = {}
    for start in [i for i in range(len(source)) if source.startswith("subgraph cluster_", i)]:
        depth, end = 0, start
        for end in range(source.index("{", start), len(source)):
            depth += {"{": 1, "}": -1}.get(source[end], 0)
            if depth == 0:
                break
        body = source[start:end]
        label = re.search(r'graph \[[^\n]*?label=("(?:[^"\\]|\\.)*"|[^\s\]]+)', body).group(1)
        bodies[label.strip('"')] = body
    return bodies


def test_parameters_are_drawn_in_the_module_call_that_uses_them(lenet, image):
    bodies = cluster_bodies(draw_model(lenet, image, primitives=True).source)
    # A call of several primitives keeps its cluster; a one-primitive call (conv1, fc1: addmm)
    # is one box in its parent's cluster, its parameters beside it.
    assert "getitem" in bodies["pool1: AvgPool2d(kernel_size=2, stride=2, padding=0)"]
    assert not any(label.startswith(("conv1", "fc1")) for label in bodies)
    assert "conv1.weight" in bodies["LeNet5"] and "fc1.weight" in bodies["LeNet5"] and "fc1.bias" in bodies["LeNet5"]


def test_each_op_belongs_to_the_deepest_module_call(image):
    block = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    model = nn.Sequential(block, nn.Flatten(), nn.Linear(2 * 26 * 26, 3))
    outputs, scopes = module_scopes(model, image)
    paths: dict[str, int] = {}
    for scope_id in scopes.op_scope.values():
        path = scopes.scopes[scope_id].path
        paths[path] = paths.get(path, 0) + 1
    assert paths["0.0"] == 1 and paths["0.1"] == 1  # conv2d, relu
    assert "0" not in paths and "" not in paths  # the containers compute nothing themselves
    parents = {s.path: scopes.scopes[s.parent].path if s.parent else None for s in scopes.scopes.values()}
    assert parents["0.0"] == "0" and parents["0"] == "" and parents["2"] == "" and parents[""] is None
    assert outputs[0].shape == (1, 3)


def test_depth_collapses_modules_into_boxes(lenet, image, drawn_counts):
    counts = {depth: drawn_counts(draw_model(lenet, image, depth=depth).source) for depth in (None, 1, 0)}
    assert counts[None][0] > counts[1][0] > counts[0][0]
    # depth=1: the input and one box per module call (8 layers + 4 calls of the shared Tanh).
    assert counts[1] == (1 + 12, 12)
    assert counts[0] == (2, 1)
    source = draw_model(lenet, image, depth=1).source
    assert "conv1: Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))" in source
    assert "48,120 parameters" in source  # fc1: 400 * 120 + 120


def test_backward_pictures_leave_the_model_untouched(lenet, image):
    existing = {name: p for name, p in lenet.named_parameters()}
    marker = minigrad.ones(*existing["fc3.bias"].shape)
    existing["fc3.bias"].grad = marker
    source = draw_model(lenet, image, show="both", grads=True).source
    assert "ConvolutionBackward0" in source and "dL/dW = xcorr(x, dL/dy)" in source
    assert "grad norm" in source  # gradients of d(sum of outputs)/d(parameter)
    assert existing["fc3.bias"].grad is marker
    assert all(p.grad is None for name, p in existing.items() if name != "fc3.bias")
    assert image.name is None


def test_module_labels_follow_pytorch_repr():
    conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    assert module_label("conv1", conv) == f"conv1: {conv!r}"
    assert module_label("act", nn.Tanh()) == "act: Tanh()"
    assert module_label("", LeNet5()) == "LeNet5"
