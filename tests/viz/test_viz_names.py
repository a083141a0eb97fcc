"""Backward nodes carry the names PyTorch gives them: type(t.grad_fn).__name__ for the same call."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.viz import build_graph, fold_composites, labels
from minigrad.viz.graph import OpNode
from minigrad.viz.model import module_scopes

A = np.random.default_rng(0).uniform(0.5, 1.5, (3, 4))
IMAGE = np.random.default_rng(1).standard_normal((1, 2, 6, 6))
KERNEL = np.random.default_rng(2).standard_normal((3, 2, 3, 3))

# name: (f(minigrad module, a, image, kernel), the same call in PyTorch)
CALLS = {
    "add": lambda m, a, x, k: a + a,
    "add_number": lambda m, a, x, k: a + 1,
    "sub": lambda m, a, x, k: a - a,
    "rsub": lambda m, a, x, k: 1 - a,
    "mul": lambda m, a, x, k: a * a,
    "mul_number": lambda m, a, x, k: a * 2,
    "div": lambda m, a, x, k: a / a,
    "neg": lambda m, a, x, k: -a,
    "pow_number": lambda m, a, x, k: a**2,
    "pow_tensor": lambda m, a, x, k: a**a,
    "rpow": lambda m, a, x, k: 2**a,
    "exp": lambda m, a, x, k: a.exp(),
    "log": lambda m, a, x, k: a.log(),
    "sqrt": lambda m, a, x, k: a.sqrt(),
    "abs": lambda m, a, x, k: a.abs(),
    "clamp": lambda m, a, x, k: a.clamp(0.7, 1.2),
    "relu": lambda m, a, x, k: a.relu(),
    "sigmoid": lambda m, a, x, k: a.sigmoid(),
    "tanh": lambda m, a, x, k: a.tanh(),
    "erf": lambda m, a, x, k: a.erf(),
    "log1p": lambda m, a, x, k: a.log1p(),
    "expm1": lambda m, a, x, k: a.expm1(),
    "where": lambda m, a, x, k: m.where(a > 1, a, a * 0),
    "matmul": lambda m, a, x, k: a @ a.T,
    "dot": lambda m, a, x, k: a[0] @ a[1],
    "mv": lambda m, a, x, k: a @ a[0],
    "vm": lambda m, a, x, k: a[:, 0] @ a,
    "sum": lambda m, a, x, k: a.sum(),
    "sum_dim": lambda m, a, x, k: a.sum(1),
    "amax": lambda m, a, x, k: a.amax(1),
    "reshape": lambda m, a, x, k: a.reshape(12),
    "permute": lambda m, a, x, k: a.permute(1, 0),
    "expand": lambda m, a, x, k: a[:1].expand(3, 4),
    "slice": lambda m, a, x, k: a[:, 1:],
    "select": lambda m, a, x, k: a[0],
    "index": lambda m, a, x, k: a[[0, 2]],
    "unsqueeze_by_none": lambda m, a, x, k: a[None],
    "cat": lambda m, a, x, k: m.cat([a, a]),
    "pad": lambda m, a, x, k: m.nn.functional.pad(a, (1, 1)),
    "cast": lambda m, a, x, k: a.to(m.float32),
    "conv2d": lambda m, a, x, k: m.nn.functional.conv2d(x, k),
    "max_pool2d": lambda m, a, x, k: m.nn.functional.max_pool2d(x, 2),
    "unfold": lambda m, a, x, k: m.nn.functional.unfold(x, 3),
    "fold": lambda m, a, x, k: m.nn.functional.fold(m.nn.functional.unfold(x, 3), (6, 6), 3),
}


def minigrad_name(output: minigrad.Tensor) -> str:
    graph = build_graph(output)
    op = [n for n in graph.nodes.values() if isinstance(n, OpNode)][-1]  # the op that made output
    return labels.backward_name(op.op, op.attrs, op.input_shapes, op.constants)


@pytest.mark.parametrize("name", sorted(CALLS))
def test_backward_node_names_match_pytorch(torch, name):
    ours = CALLS[name](minigrad, minigrad.tensor(A, requires_grad=True), minigrad.tensor(IMAGE, requires_grad=True),
                       minigrad.tensor(KERNEL))
    theirs = CALLS[name](torch, torch.tensor(A, requires_grad=True), torch.tensor(IMAGE, requires_grad=True),
                         torch.tensor(KERNEL))
    assert minigrad_name(ours) == type(theirs.grad_fn).__name__


def test_flip_by_negative_steps_is_pytorchs_flip(torch):
    # PyTorch has no negative steps: x[::-1] is written x.flip(dim) there.
    ours = minigrad.tensor(A, requires_grad=True)[::-1, ::-1]
    theirs = torch.tensor(A, requires_grad=True).flip(0, 1)
    assert minigrad_name(ours) == type(theirs.grad_fn).__name__ == "FlipBackward0"


def test_user_functions_are_named_like_pytorchs(torch):
    class Cube(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            return grad

    class TorchCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            return grad

    TorchCube.__name__ = "Cube"
    ours = Cube.apply(minigrad.tensor(A, requires_grad=True))
    theirs = TorchCube.apply(torch.tensor(A, requires_grad=True))
    assert minigrad_name(ours) == type(theirs.grad_fn).__name__.replace("TorchCube", "Cube") == "CubeBackward"


MODULES = {  # a leaf module minigrad computes with several primitives, and its input shape
    "Linear": (lambda m: m.nn.Linear(4, 3), (2, 4)),
    "AvgPool2d": (lambda m: m.nn.AvgPool2d(2), (1, 2, 6, 6)),
    "AvgPool2d_overlapping": (lambda m: m.nn.AvgPool2d(3, stride=2, padding=1), (1, 2, 6, 6)),
    "AdaptiveAvgPool2d": (lambda m: m.nn.AdaptiveAvgPool2d((2, 3)), (1, 2, 5, 7)),
    "BatchNorm2d": (lambda m: m.nn.BatchNorm2d(2), (3, 2, 4, 4)),
    "LogSoftmax": (lambda m: m.nn.LogSoftmax(1), (2, 5)),
    "Softmax": (lambda m: m.nn.Softmax(1), (2, 5)),
    "LeakyReLU": (lambda m: m.nn.LeakyReLU(0.1), (2, 5)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_folded_module_call_has_pytorchs_name(torch, name):
    build, shape = MODULES[name]
    x = np.random.default_rng(3).standard_normal(shape).astype("float32")
    ours_module = build(minigrad)
    outputs, scopes = module_scopes(ours_module, minigrad.tensor(x, requires_grad=True))
    graph = fold_composites(build_graph(outputs, None, scopes))
    ops = [n for n in graph.nodes.values() if isinstance(n, OpNode)]
    assert len(ops) == 1, [n.op for n in ops]
    op = ops[0]
    ours = labels.backward_name(op.op, op.attrs, op.input_shapes, op.constants, op.module)
    theirs = build(torch)(torch.tensor(x, requires_grad=True))
    assert ours == type(theirs.grad_fn).__name__


def test_dropout_in_training_is_a_multiplication(torch):
    minigrad.manual_seed(0)
    outputs, scopes = module_scopes(nn.Dropout(0.5), minigrad.ones(4, 4, requires_grad=True))
    graph = fold_composites(build_graph(outputs, None, scopes))
    op = [n for n in graph.nodes.values() if isinstance(n, OpNode)][0]
    name = labels.backward_name(op.op, op.attrs, op.input_shapes, op.constants, op.module)
    assert name == type(torch.nn.functional.dropout(torch.ones(4, 4, requires_grad=True), 0.5).grad_fn).__name__
