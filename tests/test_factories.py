"""Tensor factories: the dtypes and shapes PyTorch gives, and reproducible randomness."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad


@pytest.mark.parametrize(
    "call",
    [
        "arange(5)", "arange(2, 7)", "arange(0, 10, 3)", "arange(5.0)", "arange(0, 1, 0.25)",
        "arange(1, 4.5)", "full((2, 3), 1)", "full((2,), 1.5)", "full((2,), True)",
        "tensor([1.5])", "tensor([1, 2])", "tensor([True, False])", "tensor(3)", "tensor(2.5)",
        "tensor([1, 2.5])", "tensor([])", "tensor([[1.0, 2.0]], dtype=float64)",
        "zeros(2, 3)", "zeros((2, 3))", "ones(4)", "ones(2, dtype=int64)", "empty(3, 1)",
        "eye(3)", "eye(2, 3)", "linspace(0, 1, 5)", "randn(2, 3)", "rand(4)",
        "randint(0, 10, (3,))", "randint(10, (2, 2))", "randperm(6)", "zeros(0, 2)",
    ],
)
def test_factory_dtype_and_shape_match_torch(torch, call):
    mine = eval(call, dict(vars(minigrad)))  # the same call text, run by each framework
    theirs = eval(call, dict(vars(torch)))
    assert str(mine.dtype) == str(theirs.dtype).replace("torch.", "minigrad.")
    assert mine.shape == tuple(theirs.shape)
    if not call.startswith(("rand", "empty")):
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)


def test_numpy_scalars_count_as_python_numbers():
    assert minigrad.arange(np.int64(4)).dtype == minigrad.int64
    assert minigrad.full((2,), np.int32(3)).dtype == minigrad.int64
    assert minigrad.full((2,), np.float64(0.5)).dtype == minigrad.float32
    assert minigrad.full((2,), np.bool_(True)).dtype == minigrad.bool


def test_tensor_from_numpy_arrays_keeps_their_dtype():
    assert minigrad.tensor(np.array([1.5])).dtype == minigrad.float64
    assert minigrad.tensor(np.array([1.5], dtype=np.float32)).dtype == minigrad.float32
    assert minigrad.tensor(np.array([1], dtype=np.int32)).dtype == minigrad.int32
    assert minigrad.tensor(np.array([1.5]), dtype="float32").dtype == minigrad.float32


def test_from_numpy_shares_memory():
    array = np.zeros(3)
    t = minigrad.from_numpy(array)
    array[0] = 4.0
    assert t.dtype == minigrad.float64 and t[0].item() == 4.0
    with pytest.raises(TypeError, match="numpy.ndarray"):
        minigrad.from_numpy([1.0, 2.0])


def test_like_factories_follow_their_argument():
    base = minigrad.zeros(2, 3, dtype="float64")
    for made in (minigrad.zeros_like(base), minigrad.ones_like(base), minigrad.empty_like(base),
                 minigrad.randn_like(base), minigrad.rand_like(base), minigrad.full_like(base, 7)):
        assert made.shape == (2, 3) and made.dtype == minigrad.float64
    assert minigrad.full_like(base, 7).tolist() == [[7.0] * 3] * 2
    assert minigrad.ones_like(base, dtype="int64").dtype == minigrad.int64
    ints = minigrad.tensor([1, 2])
    assert minigrad.zeros_like(ints).dtype == minigrad.int64


def test_requires_grad_in_factories():
    assert minigrad.zeros(2, requires_grad=True).requires_grad
    assert minigrad.randn(2, requires_grad=True).is_leaf
    with pytest.raises(RuntimeError, match="floating-point"):
        minigrad.zeros(2, dtype="int64", requires_grad=True)


def test_random_ranges():
    minigrad.manual_seed(0)
    uniform = minigrad.rand(1000)
    assert 0.0 <= uniform.min().item() and uniform.max().item() < 1.0
    normal = minigrad.randn(4000)
    assert abs(normal.mean().item()) < 0.1 and abs(normal.std().item() - 1) < 0.1
    ints = minigrad.randint(3, 7, (500,))
    assert ints.min().item() == 3 and ints.max().item() == 6 and ints.dtype == minigrad.int64
    assert sorted(minigrad.randperm(10).tolist()) == list(range(10))


def test_manual_seed_makes_random_factories_reproducible():
    def draw():
        made = [minigrad.randn(3), minigrad.rand(2), minigrad.randint(0, 100, (4,)), minigrad.randperm(5),
                minigrad.randn_like(minigrad.zeros(2))]
        return [t.tolist() for t in made]

    minigrad.manual_seed(1234)
    first = draw()
    minigrad.manual_seed(1234)
    assert draw() == first
    minigrad.manual_seed(4321)
    assert draw() != first


def test_bad_dtype_is_explained():
    with pytest.raises(TypeError, match="unknown dtype"):
        minigrad.zeros(2, dtype="float33")
