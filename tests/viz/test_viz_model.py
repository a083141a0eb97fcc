"""draw_model: one labelled cluster per module call, parameters by path, depth folding."""

from __future__ import annotations

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
    cluster_labels = [" ".join(g["texts"]) for g in groups["cluster"]]
    for path, module in lenet.named_modules():
        expected = module_label(path, module)
        assert any(label.startswith(expected) for label in cluster_labels), expected
    assert "conv1: Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1), padding=(2, 2))" in cluster_labels
    assert sum("act: Tanh()" in label for label in cluster_labels) == 4  # one cluster per call
    node_text = [" ".join(g["texts"]) for g in groups["node"]]
    for name, param in lenet.named_parameters():
        shape = "(" + ", ".join(map(str, param.shape)) + ("," if param.ndim == 1 else "") + ")"
        assert any(text.startswith(f"{name} {shape}") for text in node_text), name
    everything = " ".join(node_text)
    assert "H: (28 + 2*2 - 1*(5-1) - 1)/1 + 1 = 28" in everything
    assert "H: (14 + 2*0 - 1*(5-1) - 1)/1 + 1 = 10" in everything
    assert everything.count("stride 1x1, padding 0x0, dilation 1x1, groups 1") == 1  # conv2
    assert everything.count("kernel 5x5") == 2


def test_parameters_are_drawn_inside_their_module(lenet, image):
    source = draw_model(lenet, image).source
    conv1 = source[source.index("conv1: Conv2d"):]
    conv1 = conv1[: conv1.index("}")]
    assert "conv1.weight" in conv1 and "conv1.bias" in conv1 and "conv2d" in conv1
    assert "conv2.weight" not in conv1


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
    assert "Conv2dBackward" in source and "dW = xcorr(x, dy)" in source
    assert "grad norm" in source  # gradients of d(sum of outputs)/d(parameter)
    assert existing["fc3.bias"].grad is marker
    assert all(p.grad is None for name, p in existing.items() if name != "fc3.bias")
    assert image.name is None


def test_module_labels_follow_pytorch_repr():
    conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    assert module_label("conv1", conv) == f"conv1: {conv!r}"
    assert module_label("act", nn.Tanh()) == "act: Tanh()"
    assert module_label("", LeNet5()) == "LeNet5"
