"""``minigrad.Tensor`` outside of autodiff: construction, conversion, printing, shapes,
in-place updates, and the errors a user sees when something is wrong."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


# --- construction and conversion -------------------------------------------------------------
def test_constructor_follows_pytorch_dtypes():
    assert Tensor([1.5, 2.0]).dtype == minigrad.float32
    assert Tensor([1, 2]).dtype == minigrad.int64
    assert Tensor(np.array([1.0])).dtype == minigrad.float64
    assert Tensor([1, 2], dtype="float64").dtype == minigrad.float64
    assert Tensor(Tensor([1.0])).dtype == minigrad.float32


def test_only_floating_point_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="floating-point"):
        Tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        (minigrad.ones(2, requires_grad=True) * 2).requires_grad_(False)


def test_sizes():
    t = minigrad.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.ndim == t.dim() == 3 and t.numel() == 24 and len(t) == 2
    with pytest.raises(TypeError, match="0-d"):
        len(minigrad.tensor(1.0))


def test_zero_dim_results_hold_arrays_not_numpy_scalars():
    total = minigrad.ones(3).sum()  # NumPy itself would return a numpy.float32 scalar here
    assert isinstance(total._array, np.ndarray) and isinstance(total.numpy(), np.ndarray)
    assert isinstance((minigrad.tensor(2.0) * minigrad.tensor(3.0))._array, np.ndarray)
    total += 1
    total.zero_()
    assert total.item() == 0.0


def test_iteration_follows_the_first_dim():
    rows = list(minigrad.arange(6).reshape(3, 2))
    assert [r.tolist() for r in rows] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(TypeError, match="0-d"):
        list(minigrad.tensor(1.0))


def test_requires_grad_flag_on_non_leaves():
    hidden = minigrad.ones(2, requires_grad=True) * 2
    assert hidden.requires_grad_() is hidden  # already true: fine, as in PyTorch


def test_dims_may_be_numpy_integers():
    t = minigrad.ones(2, 3)
    assert t.sum(np.int64(1)).shape == (2,) and t.amax((np.int32(0),)).shape == (3,)


def test_item_tolist_numpy_and_detach():
    t = minigrad.tensor([[1.5, 2.0]], requires_grad=True)
    assert minigrad.tensor([2.5]).item() == 2.5 and isinstance(minigrad.tensor([3]).item(), int)
    with pytest.raises(ValueError, match="one element"):
        t.item()
    assert t.tolist() == [[1.5, 2.0]]
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert t.detach().numpy().dtype == np.float32
    assert not t.detach().requires_grad and t.detach().grad_fn is None


def test_numpy_shares_memory_on_the_cpu():
    t = minigrad.zeros(3)
    t.numpy()[0] = 5.0
    assert t[0].item() == 5.0


def test_to_dtype():
    t = minigrad.tensor([1.7, -2.2])
    assert t.to("float32") is t
    assert t.to(minigrad.float64).dtype == minigrad.float64
    assert t.double().dtype == minigrad.float64 and t.half().dtype == minigrad.float16
    assert t.long().tolist() == [1, -2] and t.int().dtype == minigrad.int32
    assert t.bool().dtype == minigrad.bool
    assert t.to(dtype=minigrad.float64).dtype == minigrad.float64
    assert t.to(minigrad.tensor([1], dtype="int64")).dtype == minigrad.int64


def test_to_is_differentiable_as_in_pytorch():
    w = minigrad.tensor([1.5, 2.5], requires_grad=True)
    moved = w.to("float64")
    # PyTorch semantics: the copy is part of the graph, so w still gets its gradient.
    assert not moved.is_leaf and moved.requires_grad and moved.dtype == minigrad.float64
    assert not w.long().requires_grad  # integers cannot require grad
    (moved * 3).sum().backward()
    assert w.grad.dtype == minigrad.float32
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])
    assert w.to("float32") is w  # nothing to do: the same tensor


def test_clone_is_differentiable_and_independent():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    c = w.clone()
    c.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])
    plain = minigrad.tensor([1.0, 2.0])
    copy = plain.clone()
    copy.fill_(0.0)
    assert plain.tolist() == [1.0, 2.0]


def test_repr_looks_like_pytorch():
    assert repr(minigrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(minigrad.tensor([1, 2])) == "tensor([1, 2])"  # int64 is not named, as in PyTorch
    assert repr(minigrad.tensor([1.0], dtype="float64")) == "tensor([1.], dtype=minigrad.float64)"
    assert "requires_grad=True" in repr(minigrad.ones(1, requires_grad=True))
    assert "grad_fn=<MulBackward0>" in repr(minigrad.ones(1, requires_grad=True) * 2)  # as PyTorch


def test_truth_value_and_index():
    assert bool(minigrad.tensor([1.0])) and not bool(minigrad.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(minigrad.tensor([1.0, 2.0]))
    assert [10, 20, 30][minigrad.tensor(1)] == 20
    with pytest.raises(TypeError, match="integer"):
        [1, 2][minigrad.tensor(1.0)]
    assert float(minigrad.tensor(2.5)) == 2.5 and int(minigrad.tensor(3)) == 3


# --- operands ------------------------------------------------------------------------------
def test_numpy_operands():
    t = minigrad.tensor([1.0, 2.0])
    assert isinstance(np.ones(2) * t, Tensor)  # __array_priority__: the tensor's operator runs
    assert (t * np.float64(2.0)).dtype == minigrad.float32  # NumPy scalars act as Python scalars
    assert (np.float64(2.0) + t).dtype == minigrad.float32
    assert (t * np.array(2.0)).dtype == minigrad.float32
    assert (t * np.ones(2)).dtype == minigrad.float64  # a float64 array is a float64 tensor


def test_comparisons_and_logic():
    a, b = minigrad.tensor([1.0, 2.0, 3.0]), minigrad.tensor([3.0, 2.0, 1.0])
    assert (a < b).tolist() == [True, False, False] and (a == b).dtype == minigrad.bool
    assert (~(a < b)).tolist() == [False, True, True]
    assert ((a < b) | (a > b)).tolist() == [True, False, True]
    assert ((a <= 2) & (b <= 2)).tolist() == [False, True, False]
    assert a.equal(minigrad.tensor([1.0, 2.0, 3.0])) and not a.equal(b)
    assert a.allclose(a + 1e-9) and (a > 2).any().item() and not (a > 5).all().item()
    assert a.eq(b).tolist() == [False, True, False]


# --- shape errors name the problem -----------------------------------------------------------
def test_shape_errors_are_clear():
    t = minigrad.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"shape \[4, 2\] is invalid for input of size 6"):
        t.reshape(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be -1"):
        t.reshape(-1, -1)
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        t @ minigrad.zeros(2, 3)
    with pytest.raises(RuntimeError, match="at least 1 dimension"):
        t @ minigrad.tensor(1.0)
    with pytest.raises(RuntimeError, match="expand"):
        t.expand(4, 3)
    with pytest.raises(RuntimeError, match="-1 is not allowed"):
        t.expand(-1, 2, 3)
    with pytest.raises(RuntimeError, match="permutation"):
        t.permute(0, 0)
    with pytest.raises(RuntimeError, match="permutation"):
        t.permute(2, 0)  # out of range, not silently wrapped
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        t.transpose(2, 0)  # PyTorch's class and words
    with pytest.raises(IndexError, match="but got -3"):
        t.transpose(0, -3)
    with pytest.raises(IndexError, match="unsqueeze"):
        t.unsqueeze(3)
    with pytest.raises(IndexError, match="out of range"):
        t.sum(2)
    with pytest.raises(RuntimeError, match="must match except in dimension 1"):
        minigrad.cat([t, minigrad.zeros(3, 3)], 1)
    with pytest.raises(RuntimeError, match="equal size"):
        minigrad.stack([t, minigrad.zeros(3, 2)])
    with pytest.raises(ValueError, match="At least one of min and max"):
        t.clamp()


def test_shape_helpers():
    t = minigrad.arange(24).reshape(2, 3, 4)
    assert t.view(-1, 4).shape == (6, 4) and t.flatten(0, 1).shape == (6, 4)
    assert t.unflatten(2, (2, 2)).shape == (2, 3, 2, 2)
    assert t.unsqueeze(-1).shape == (2, 3, 4, 1) and t.unsqueeze(0).shape == (1, 2, 3, 4)
    assert t[:, :1].squeeze(1).shape == (2, 4) and t.squeeze(0).shape == (2, 3, 4)
    assert t.T.shape == (4, 3, 2) and t.mT.shape == (2, 4, 3) and t.transpose(0, 1).shape == (3, 2, 4)
    assert [p.shape for p in t.split(2, dim=2)] == [(2, 3, 2), (2, 3, 2)]
    assert [p.shape for p in t.split([1, 3], dim=-1)] == [(2, 3, 1), (2, 3, 3)]
    assert [p.shape for p in t.chunk(2, dim=1)] == [(2, 2, 4), (2, 1, 4)]
    assert minigrad.tensor(5.0).flatten().shape == (1,)
    assert t.expand(5, 2, 3, 4).shape == (5, 2, 3, 4) and t[:, :1].expand_as(t).shape == t.shape


# --- in-place updates ------------------------------------------------------------------------
def test_inplace_ops_on_plain_tensors():
    t = minigrad.zeros(3)
    t += 1
    t.mul_(3)
    t.add_(minigrad.ones(3), alpha=2)
    t.sub_(1)
    t /= 2
    assert t.tolist() == [2.0, 2.0, 2.0]
    t[1] = 7.0
    t[minigrad.tensor([True, False, False])] = -1.0
    assert t.tolist() == [-1.0, 7.0, 2.0]
    t.copy_(minigrad.tensor([4.0]))
    assert t.tolist() == [4.0, 4.0, 4.0]
    assert t.zero_().tolist() == [0.0, 0.0, 0.0] and t.fill_(2.5).tolist() == [2.5, 2.5, 2.5]


def test_inplace_on_a_tensor_that_requires_grad_is_refused_unless_no_grad():
    w = minigrad.ones(2, requires_grad=True)
    for update in (lambda: w.add_(1), lambda: w.mul_(2), lambda: w.zero_(), lambda: w.__setitem__(0, 3.0)):
        with pytest.raises(RuntimeError, match="no_grad"):
            update()
    with minigrad.no_grad():
        w.sub_(minigrad.tensor([0.5, 0.5]))
    assert w.tolist() == [0.5, 0.5] and w.requires_grad


def test_new_factories_keep_dtype_and_device():
    t = minigrad.tensor([1.0], dtype="float64")
    assert t.new_zeros(2, 3).dtype == minigrad.float64 and t.new_zeros((2, 3)).shape == (2, 3)
    assert t.new_ones(2).tolist() == [1.0, 1.0] and t.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert t.new_zeros(2, dtype="int64").dtype == minigrad.int64
    assert t.new_tensor([1, 2]).dtype == minigrad.float64


def test_module_level_functions_mirror_methods():
    x = minigrad.tensor([[1.0, -2.0], [3.0, 0.5]])
    assert minigrad.exp(x).allclose(x.exp()) and minigrad.relu(x).allclose(x.relu())
    assert minigrad.sum(x, 1).allclose(x.sum(1)) and minigrad.mean(x).allclose(x.mean())
    assert minigrad.max(x).item() == 3.0 and minigrad.max(x, 1).indices.tolist() == [0, 0]
    assert minigrad.clamp(x, 0.0, 1.0).tolist() == [[1.0, 0.0], [1.0, 0.5]]
    assert minigrad.transpose(x, 0, 1).allclose(x.T) and minigrad.matmul(x, x).allclose(x @ x)
    assert minigrad.maximum(x, x.T).allclose(minigrad.where(x > x.T, x, x.T))
    assert minigrad.argmin(x).item() == 1 and minigrad.amin(x, 0).tolist() == [1.0, -2.0]
