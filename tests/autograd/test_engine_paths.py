"""The engine: one path for every gradient that reaches a tensor (hooks first), only the nodes
on a path to what was asked for run, and no zeros for outputs no gradient reached."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad.autograd import Function
from tests.autograd.twins import assert_twins


def leaf(lib, values):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def test_autograd_grad_runs_the_hooks_of_leaves(torch):
    def program(lib):
        x = leaf(lib, [1.0, 2.0])
        x.register_hook(lambda g: g * 10)
        (g,) = lib.autograd.grad((x * x).sum(), x)
        return {"g": g, "grad": x.grad}

    assert_twins(program, torch)


def test_hooks_see_the_summed_gradient_before_retain_grad_and_capture(torch):
    def program(lib):
        x = leaf(lib, [1.0, -2.0])
        h = x * 3
        h.retain_grad()
        h.register_hook(lambda g: g + 1)
        (h * h + h).sum().backward(retain_graph=True)
        (gh,) = lib.autograd.grad((h * h + h).sum(), h)
        return {"h_grad": h.grad, "x_grad": x.grad, "captured": gh}

    assert_twins(program, torch)


def test_backward_inputs_accumulate_into_non_leaves_too(torch):
    def program(lib):
        x = leaf(lib, [1.0, 2.0])
        w = leaf(lib, [3.0, -1.0])
        h = x * w
        (h * h).sum().backward(inputs=[h, w])
        return {"h": h.grad, "w": w.grad, "x": x.grad}

    assert_twins(program, torch)


def test_inputs_must_not_be_empty(torch):
    def program(lib):
        x = leaf(lib, [1.0])
        (x * 2).sum().backward(inputs=[])
        return {}

    assert "error" in assert_twins(program, torch)


class Recorder(Function):
    """``a * b``, remembering which input gradients each backward was asked for."""

    calls: list = []

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad):
        Recorder.calls.append(tuple(ctx.needs_input_grad))
        a, b = ctx.saved_tensors
        return grad * b, grad * a


def test_only_nodes_on_a_path_to_the_inputs_run():
    Recorder.calls = []
    x, w, v = (minigrad.tensor([1.0, 2.0], requires_grad=True) for _ in range(3))
    on_path = Recorder.apply(x, w)
    off_path = Recorder.apply(v, v)  # reaches the loss, but not x
    loss = (on_path + off_path).sum()
    (gx,) = minigrad.autograd.grad(loss, x)
    assert gx.tolist() == w.tolist()
    assert Recorder.calls == [(True, False)]  # the weight's gradient was not asked for, v's node never ran


def test_asking_for_the_input_gradient_skips_conv_weight_gradients(monkeypatch):
    from minigrad.ops import conv

    calls = []
    original = conv.weight_gradient
    monkeypatch.setattr(conv, "weight_gradient", lambda *a, **k: calls.append(1) or original(*a, **k))
    x = minigrad.randn(2, 3, 8, 8, requires_grad=True)
    layer = minigrad.nn.Conv2d(3, 4, 3)
    (gx,) = minigrad.autograd.grad(layer(x).sum(), x)
    assert gx.shape == x.shape and calls == []
    layer(x).sum().backward()
    assert calls == [1] and layer.weight.grad is not None


class TwoOutputs(Function):
    seen: list = []

    @staticmethod
    def forward(ctx, x, materialize):
        ctx.set_materialize_grads(materialize)
        return x * 2, x * 3

    @staticmethod
    def backward(ctx, grad_a, grad_b):
        TwoOutputs.seen.append((grad_a, grad_b))
        total = grad_a * 2 if grad_a is not None else None
        if grad_b is not None:
            total = grad_b * 3 if total is None else total + grad_b * 3
        return total, None


@pytest.mark.parametrize("materialize", [True, False])
def test_unreached_outputs_get_zeros_only_when_materialized(torch, materialize):
    class TorchTwoOutputs(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, materialize):
            ctx.set_materialize_grads(materialize)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, grad_a, grad_b):
            TwoOutputs.seen.append((grad_a, grad_b))
            total = grad_a * 2 if grad_a is not None else None
            if grad_b is not None:
                total = grad_b * 3 if total is None else total + grad_b * 3
            return total, None

    results = {}
    for lib, op in ((minigrad, TwoOutputs), (torch, TorchTwoOutputs)):
        TwoOutputs.seen = []
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        first, _ = op.apply(x, materialize)
        first.sum().backward()
        (grad_a, grad_b), = TwoOutputs.seen
        results[lib.__name__] = (x.grad.tolist(), grad_b is None, None if grad_b is None else grad_b.tolist())
    assert results["minigrad"] == results["torch"]


def test_max_pool_indices_get_no_gradient_array():
    x = minigrad.randn(1, 1, 4, 4, requires_grad=True)
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    assert indices.grad_fn is None and not indices.requires_grad
    values.sum().backward()
    assert x.grad.shape == x.shape and float(x.grad.sum()) == 4.0


def test_a_graph_of_100000_ops_is_walked_without_recursion():
    x = minigrad.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    (g,) = minigrad.autograd.grad(y.sum(), x)
    assert g.tolist() == [1.0]


# --- anomaly mode (item 11) ----------------------------------------------------------------------
def bad_division(lib):
    x = leaf(lib, [1.0, 0.0])
    y = x / x  # backward: grad/x is inf at 0 (passes, as in torch), -grad*x/x^2 is nan there
    return x, y.sum()


def test_detect_anomaly_names_the_op_and_the_forward_call(torch):
    for lib in (minigrad, torch):
        with lib.autograd.detect_anomaly(), pytest.warns(Warning) if lib is torch else _no_warning():
            x, loss = bad_division(lib)
            with pytest.raises(RuntimeError, match=r"Function 'DivBackward0' returned nan values in its 1th output"):
                loss.backward()
    with minigrad.autograd.detect_anomaly():
        x, loss = bad_division(minigrad)
        with pytest.raises(RuntimeError) as error:
            loss.backward()
    assert "test_engine_paths.py" in str(error.value) and "y = x / x" in str(error.value)


def test_without_anomaly_mode_nan_gradients_pass_silently(torch):
    def program(lib):
        x, loss = bad_division(lib)
        loss.backward()
        return {"grad": x.grad}

    ours = minigrad.autograd.is_anomaly_enabled()
    assert not ours
    result = assert_twins(program, torch)
    assert np.isnan(result["grad"].numpy()).any()


def test_set_detect_anomaly_switches_the_mode():
    minigrad.autograd.set_detect_anomaly(True)
    try:
        assert minigrad.autograd.is_anomaly_enabled()
        x, loss = bad_division(minigrad)
        with pytest.raises(RuntimeError, match="DivBackward0"):
            loss.backward()
    finally:
        minigrad.autograd.set_detect_anomaly(False)
    assert not minigrad.autograd.is_anomaly_enabled()


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False
