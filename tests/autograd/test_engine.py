"""The backward engine: how gradients flow, meet, accumulate and get freed."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

import minigrad
from minigrad.autograd import grad


def leaf(values, dtype="float64"):
    return minigrad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


# --- reuse, diamonds, accumulation -----------------------------------------------------------
def test_a_tensor_used_twice_gets_both_gradients():
    a = leaf([1.0, -2.0, 3.0])
    (a + a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 2.0, 2.0])
    a.grad = None
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), 2 * a.detach().numpy())
    a.grad = None
    (a * a * a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 3 * a.detach().numpy() ** 2)


def test_diamond_graph_sums_both_paths(torch):
    values = np.array([0.3, -0.7, 1.1])
    a = leaf(values)
    b = a * 2
    left, right = b.exp(), b * b
    (left * right + left - right).sum().backward()
    t = torch.tensor(values, requires_grad=True)
    tb = t * 2
    (tb.exp() * tb * tb + tb.exp() - tb * tb).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_a_node_waits_for_every_consumer_before_running():
    # b feeds c, d and e; e also consumes c: a wrong order would run b's backward too early.
    a = leaf([2.0])
    b = a * 3
    c = b * b
    d = b + 1
    e = c * b + d
    e.backward()
    # e = 27a^3 + 3a + 1  ->  81 a^2 + 3
    np.testing.assert_allclose(a.grad.numpy(), [81 * 4 + 3])


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    a = leaf([1.0, 2.0])
    (a * 3).sum().backward()
    (a * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [6.0, 6.0])
    a.grad.zero_()
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0])
    a.grad = None
    (a * 5).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [5.0, 5.0])


def test_leaf_gradients_are_writable_and_not_shared():
    # a + b gives both leaves the same gradient object, and sum's gradient is a read-only
    # broadcast view: each .grad must still be its own writable array.
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.mul_(10)
    a.grad += 1
    np.testing.assert_array_equal(a.grad.numpy(), [11.0, 11.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])
    seed = minigrad.ones(2, dtype="float64")
    c = leaf([1.0, 1.0])
    (c * 1).backward(seed)
    c.grad.zero_()
    np.testing.assert_array_equal(seed.numpy(), [1.0, 1.0])


def test_broadcast_gradients_are_summed_to_the_input_shape():
    a, b, c = leaf(np.ones((2, 1, 3))), leaf(np.ones((4, 1))), leaf(2.0)
    (a * b * c).sum().backward()
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1) and c.grad.shape == ()
    np.testing.assert_array_equal(a.grad.numpy(), np.full((2, 1, 3), 8.0))
    np.testing.assert_array_equal(b.grad.numpy(), np.full((4, 1), 12.0))
    assert c.grad.item() == 24.0


# --- retain_graph ----------------------------------------------------------------------------
def test_second_backward_through_a_freed_graph_raises():
    a = leaf([1.0, 2.0])
    y = (a * a).sum()  # mul saves its inputs
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    z = (a * a).sum()
    grad(z, a)
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(z, a)


def test_retain_graph_allows_a_second_backward():
    a = leaf([1.0, 2.0])
    y = (a * a).exp().sum()
    y.backward(retain_graph=True)
    first = a.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(a.grad.numpy(), 2 * first)


# --- what backward accepts -------------------------------------------------------------------
def test_non_scalar_backward_needs_a_gradient():
    a = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (a * 2).backward()
    (a * 2).backward(minigrad.tensor([1.0, 10.0], dtype="float64"))
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 20.0])
    with pytest.raises(RuntimeError, match="shape"):
        (a * 2).backward(minigrad.ones(3, dtype="float64"))


def test_backward_of_a_tensor_without_grad_explains():
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        minigrad.ones(2).sum().backward()


def test_backward_inputs_limits_which_leaves_accumulate():
    a, b = leaf([1.0]), leaf([2.0])
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 2.0 and b.grad is None


def test_retain_grad_and_hooks():
    a = leaf([1.0, 2.0])
    b = a * 3
    b.retain_grad()
    seen = []
    a.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    (b * b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [6.0, 12.0])
    np.testing.assert_array_equal(seen[0], [18.0, 36.0])
    np.testing.assert_array_equal(a.grad.numpy(), [36.0, 72.0])


def test_hooks_on_non_leaf_tensors_can_replace_the_gradient():
    a = leaf([1.0, 2.0])
    hidden = a * 2
    seen = []
    hidden.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    hidden.retain_grad()
    (hidden * hidden).sum().backward()
    np.testing.assert_array_equal(seen[0], [4.0, 8.0])
    np.testing.assert_array_equal(hidden.grad.numpy(), [40.0, 80.0])  # retain_grad sees the hooked one
    np.testing.assert_array_equal(a.grad.numpy(), [80.0, 160.0])
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        minigrad.ones(2).register_hook(lambda g: g)


def test_autograd_grad_leaves_dot_grad_alone():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    middle = a * b
    ga, gm = grad((middle * middle).sum(), [a, middle])
    np.testing.assert_array_equal(ga.numpy(), 2 * np.array([3.0, 8.0]) * np.array([3.0, 4.0]))
    np.testing.assert_array_equal(gm.numpy(), 2 * np.array([3.0, 8.0]))
    assert a.grad is None and b.grad is None
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad((a * 2).sum(), [a, b])
    ga, gb = grad((a * 2).sum(), [a, b], allow_unused=True)
    assert gb is None


def test_integer_results_never_require_grad():
    a = leaf([1.0, 3.0, 2.0])
    assert not a.argmax().requires_grad
    assert not (a > 1).requires_grad
    assert not a.max(0).indices.requires_grad
    assert not a.long().requires_grad
    assert a.long().dtype == minigrad.int64


def test_several_outputs_backpropagate_together():
    a = leaf([1.0, 2.0])
    first = a * 3
    second = first * first  # depends on the other root
    minigrad.autograd.backward([first.sum(), second.sum()])
    np.testing.assert_array_equal(a.grad.numpy(), 3 + 18 * a.detach().numpy())


def test_no_graph_is_recorded_without_requires_grad():
    a = minigrad.ones(3)
    b = (a * 2).exp()
    assert b.grad_fn is None and not b.requires_grad


def test_the_graph_records_ops_edges_and_metadata():
    a, b = leaf(np.ones((2, 3))), leaf(np.ones(3))
    a.name = "a"
    out = (a * b).sum(dim=1)
    node = out.grad_fn
    assert node.name == "sum" and node.attrs == {"dim": (1,), "keepdim": False}
    assert node.outputs == (((2,), minigrad.float64, None),)
    mul_node, _ = node.next_functions[0]
    assert mul_node.name == "mul"
    assert mul_node.next_functions == ((a, 0), (b, 0))
    assert mul_node.inputs[0] == ((2, 3), minigrad.float64, "a")
    assert mul_node.needs_input_grad == (True, True)


# --- scale -----------------------------------------------------------------------------------
def test_a_chain_of_100000_ops_backpropagates_without_recursion():
    limit = sys.getrecursionlimit()
    a = minigrad.tensor(1.0, dtype="float64", requires_grad=True)
    y = a
    start = time.perf_counter()
    for _ in range(100_000):
        y = y * 1.000001
    y.backward()
    del y  # freeing the long graph must not recurse either
    elapsed = time.perf_counter() - start
    assert sys.getrecursionlimit() == limit
    np.testing.assert_allclose(a.grad.item(), 1.000001**100_000, rtol=1e-9)
    assert elapsed < 30, f"100,000-op chain took {elapsed:.1f}s"


# --- devices ---------------------------------------------------------------------------------
def test_mixing_devices_names_both(fake_device):
    a = minigrad.ones(2)
    b = minigrad.ones(2, device=fake_device)
    assert str(b.device) == "fakecpu:0"
    for operation in (lambda: a + b, lambda: b * a, lambda: a @ b, lambda: minigrad.cat([a, b])):
        with pytest.raises(RuntimeError) as error:
            operation()
        assert "cpu" in str(error.value) and "fakecpu:0" in str(error.value) and ".to(" in str(error.value)


def test_gradient_comes_back_to_the_source_device(fake_device):
    a = leaf([1.0, 2.0])
    moved = (a * 1).to(fake_device)
    assert moved.device == "fakecpu:0"
    (moved * moved).sum().backward()
    assert a.grad.device == "cpu"
    np.testing.assert_array_equal(a.grad.numpy(), [2.0, 4.0])


# --- dtypes ----------------------------------------------------------------------------------
DTYPE_OPS = {
    "add_scalar": lambda a, b: a + 2.5, "radd_scalar": lambda a, b: 2.5 + a,
    "sub_scalar": lambda a, b: a - 0.1, "rsub_scalar": lambda a, b: 1.0 - a,
    "mul_scalar": lambda a, b: a * 0.3, "rmul_scalar": lambda a, b: 0.3 * a,
    "div_scalar": lambda a, b: a / 3.0, "rdiv_scalar": lambda a, b: 3.0 / a,
    "pow_scalar": lambda a, b: a**1.5, "rpow_scalar": lambda a, b: 1.5**a,
    "int_scalar": lambda a, b: a * 2 + 1,
    "numpy_scalar": lambda a, b: a * np.float64(0.5) + np.float64(1.0),
    "numpy_0d": lambda a, b: a * np.array(0.5),
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b, "neg": lambda a, b: -a, "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(), "sqrt": lambda a, b: a.sqrt(), "abs": lambda a, b: a.abs(),
    "clamp": lambda a, b: a.clamp(0.5, 1.5), "relu": lambda a, b: a.relu(),
    "sigmoid": lambda a, b: a.sigmoid(), "tanh": lambda a, b: a.tanh(),
    "softmax": lambda a, b: a.softmax(-1), "log_softmax": lambda a, b: a.log_softmax(0),
    "sum": lambda a, b: a.sum(0), "mean": lambda a, b: a.mean(), "var": lambda a, b: a.var(1),
    "std": lambda a, b: a.std(), "amax": lambda a, b: a.amax(1), "max_dim": lambda a, b: a.max(0).values,
    "matmul": lambda a, b: a @ b.T, "reshape": lambda a, b: a.reshape(-1),
    "permute": lambda a, b: a.permute(1, 0), "expand": lambda a, b: a[None].expand(2, 2, 3),
    "getitem": lambda a, b: a[[0, 0], 1:], "cat": lambda a, b: minigrad.cat([a, b]),
    "stack": lambda a, b: minigrad.stack([a, b]), "where": lambda a, b: minigrad.where(a > 1, a, 0.0),
    "maximum": lambda a, b: minigrad.maximum(a, b), "pad": lambda a, b: minigrad.ops.composite.pad(a, (1, 1)),
    "pad_reflect": lambda a, b: minigrad.ops.composite.pad(a, (1, 1), mode="reflect"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(DTYPE_OPS))
def test_float_dtype_is_preserved_by_values_and_gradients(name, dtype):
    rng = np.random.default_rng(0)
    a = leaf(rng.uniform(0.5, 2.0, (2, 3)), dtype)
    b = leaf(rng.uniform(0.5, 2.0, (2, 3)), dtype)
    out = DTYPE_OPS[name](a, b)
    assert out.dtype == dtype
    out.sum().backward()
    for tensor in (a, b):
        assert tensor.grad is None or tensor.grad.dtype == dtype


def test_int_tensor_with_float_scalar_gives_float32():
    ints = minigrad.tensor([1, 2, 3])
    assert ints.dtype == minigrad.int64
    for result in (ints + 0.5, 0.5 + ints, ints * 1.5, ints / 2, ints - 0.5, ints**0.5):
        assert result.dtype == minigrad.float32
    assert (ints * 2).dtype == minigrad.int64
    assert (minigrad.tensor([1, 2]) + minigrad.tensor([0.5], dtype="float64")).dtype == minigrad.float64


def test_a_zero_dim_tensor_does_not_widen_a_dimensioned_one(torch):
    x = leaf([1.0, 2.0], "float32")
    w = leaf(3.0, "float64")
    y = x * w
    assert y.dtype == minigrad.float32
    assert torch.result_type(torch.ones(2), torch.tensor(3.0, dtype=torch.float64)) == torch.float32
    y.sum().backward()
    assert x.grad.dtype == minigrad.float32 and w.grad.dtype == minigrad.float64 and w.grad.item() == 3.0
    assert (minigrad.ones(2, dtype="int32") + minigrad.tensor(5)).dtype == minigrad.int32
    assert (leaf(2.0, "float32") * leaf([1.0], "float64")).dtype == minigrad.float64


def test_mixed_float_widths_deliver_gradients_in_each_inputs_dtype():
    a, b = leaf([1.0, 2.0], "float32"), leaf([3.0, 4.0], "float64")
    out = a * b
    assert out.dtype == minigrad.float64  # as PyTorch
    out.sum().backward()
    assert a.grad.dtype == minigrad.float32 and b.grad.dtype == minigrad.float64


def test_sum_with_dtype_keeps_the_graph():
    a = leaf([1.0, 2.0], "float32")
    total = a.sum(dtype=minigrad.float64)
    assert total.dtype == minigrad.float64
    total.backward()
    assert a.grad.dtype == minigrad.float32
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])
