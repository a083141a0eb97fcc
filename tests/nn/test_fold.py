"""F.unfold / F.fold (im2col / col2im) and nn.Unfold / nn.Fold, matched against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F
from minigrad.autograd import gradcheck, gradgradcheck
from minigrad.ops import conv as conv_ops

CONFIGS = {  # input shape, keyword arguments (PyTorch's names)
    "plain": ((2, 3, 5, 5), {"kernel_size": 3}),
    "rectangular": ((1, 2, 6, 7), {"kernel_size": (2, 3)}),
    "stride2": ((2, 2, 7, 6), {"kernel_size": 3, "stride": 2}),
    "padding": ((1, 3, 4, 5), {"kernel_size": 3, "padding": (1, 2)}),
    "dilation": ((2, 1, 7, 7), {"kernel_size": 2, "dilation": (2, 3)}),
    "everything": ((2, 2, 9, 8), {"kernel_size": (3, 2), "stride": (2, 3), "padding": 1, "dilation": (1, 2)}),
    "one_by_one": ((1, 2, 3, 3), {"kernel_size": 1, "stride": 3}),
    "stride3_on_5x5": ((1, 1, 5, 5), {"kernel_size": 3, "stride": 3}),  # leaves pixels unused
}


def to_torch(torch, array, requires_grad=False):
    return torch.tensor(array, requires_grad=requires_grad)


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unfold_values_and_gradient_match_torch(torch, name, dtype):
    shape, kwargs = CONFIGS[name]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    ours = minigrad.tensor(x, requires_grad=True)
    theirs = to_torch(torch, x, requires_grad=True)
    out, expected = F.unfold(ours, **kwargs), torch.nn.functional.unfold(theirs, **kwargs)
    assert out.shape == tuple(expected.shape) and out.dtype == ours.dtype
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())  # a copy: exact
    upstream = rng.standard_normal(out.shape).astype(dtype)
    (out * minigrad.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_fold_values_and_gradient_match_torch(torch, name):
    shape, kwargs = CONFIGS[name]
    rng = np.random.default_rng(1)
    columns_shape = tuple(torch.nn.functional.unfold(torch.zeros(shape), **kwargs).shape)
    columns = rng.standard_normal(columns_shape)
    ours = minigrad.tensor(columns, requires_grad=True)
    theirs = to_torch(torch, columns, requires_grad=True)
    out = F.fold(ours, shape[2:], **kwargs)
    expected = torch.nn.functional.fold(theirs, shape[2:], **kwargs)
    assert out.shape == tuple(expected.shape) == shape
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = rng.standard_normal(shape)
    (out * minigrad.tensor(upstream)).sum().backward()
    (expected * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_unfold_numbers_a_4x4_grid_as_the_lecture_draws_it():
    x = minigrad.arange(16.0).reshape(1, 1, 4, 4)
    columns = F.unfold(x, 3)
    # One column per window (4 windows), one row per kernel tap (9 taps): column 0 is the
    # top-left window [[0, 1, 2], [4, 5, 6], [8, 9, 10]] read row by row.
    assert columns.shape == (1, 9, 4)
    assert columns[0, :, 0].tolist() == [0, 1, 2, 4, 5, 6, 8, 9, 10]
    assert columns[0, :, 3].tolist() == [5, 6, 7, 9, 10, 11, 13, 14, 15]
    assert columns[0, 4].tolist() == [5, 6, 9, 10]  # the centre tap in each window


@pytest.mark.parametrize("name", ["plain", "stride2", "padding", "everything", "one_by_one"])
def test_convolution_is_one_gemm_with_the_unfolded_columns(name):
    shape, kwargs = CONFIGS[name]
    minigrad.manual_seed(0)
    x = minigrad.randn(*shape, dtype=minigrad.float64)
    kernel = kwargs["kernel_size"]
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    weight = minigrad.randn(4, shape[1], kh, kw, dtype=minigrad.float64)
    conv_args = {k: v for k, v in kwargs.items() if k != "kernel_size"}
    expected = F.conv2d(x, weight, **conv_args)
    gemm = weight.reshape(4, -1) @ F.unfold(x, **kwargs)
    assert gemm.reshape(expected.shape).allclose(expected, atol=1e-12)


def test_unfold_and_conv2d_read_their_columns_from_the_same_im2col(monkeypatch):
    calls = []
    real = conv_ops.im2col

    def spy(backend, x, kernel_size, stride, padding, dilation):
        calls.append((tuple(x.shape), tuple(kernel_size), tuple(stride)))
        return real(backend, x, kernel_size, stride, padding, dilation)

    monkeypatch.setattr(conv_ops, "im2col", spy)
    x, weight = minigrad.randn(2, 3, 8, 8), minigrad.randn(4, 3, 3, 3)
    for stride in (1, 2):
        F.unfold(x, 3, stride=stride)
        F.conv2d(x, weight, stride=stride)
    assert calls == [((2, 3, 8, 8), (3, 3), (s, s)) for s in (1, 1, 2, 2)]


def test_fold_of_unfold_counts_the_windows_covering_each_pixel():
    ones = minigrad.ones(1, 1, 5, 5)
    counts = F.fold(F.unfold(ones, 3), (5, 5), 3)
    assert counts[0, 0].tolist() == [
        [1, 2, 3, 2, 1], [2, 4, 6, 4, 2], [3, 6, 9, 6, 3], [2, 4, 6, 4, 2], [1, 2, 3, 2, 1]
    ]
    # Stride 3 on 5x5: one window fits; the last two rows and columns are never read.
    used = F.fold(F.unfold(ones, 3, stride=3), (5, 5), 3, stride=3)
    assert used[0, 0].tolist() == [[1, 1, 1, 0, 0]] * 3 + [[0] * 5] * 2


def test_unbatched_and_empty_batches(torch):
    x = np.random.default_rng(2).standard_normal((3, 5, 6)).astype("float32")
    out = F.unfold(minigrad.tensor(x), 2, stride=2)
    np.testing.assert_array_equal(out.numpy(), torch.nn.functional.unfold(torch.tensor(x), 2, stride=2).numpy())
    back = F.fold(out, (5, 6), 2, stride=2)
    assert back.shape == (3, 5, 6)
    empty = F.unfold(minigrad.zeros(0, 3, 5, 5), 3)
    assert empty.shape == (0, 27, 9)
    assert F.fold(empty, 5, 3).shape == (0, 3, 5, 5)


def test_output_is_fresh_and_input_unchanged():
    x = minigrad.randn(1, 1, 1, 1)
    before = x.numpy().copy()
    columns = F.unfold(x, 1)  # the im2col view is x itself here: the result must still be a copy
    columns[0, 0, 0] = 42.0
    np.testing.assert_array_equal(x.numpy(), before)
    folded = F.fold(columns, 1, 1)
    folded[0, 0, 0, 0] = -1.0
    assert columns[0, 0, 0].item() == 42.0


def test_gradients_of_gradients():
    rng = np.random.default_rng(3)
    x = minigrad.tensor(rng.standard_normal((1, 2, 5, 4)), requires_grad=True)
    columns = minigrad.tensor(rng.standard_normal((1, 8, 8)), requires_grad=True)
    assert gradcheck(lambda t: F.unfold(t, 2, stride=(2, 1), padding=1) ** 2, [x])
    assert gradgradcheck(lambda t: F.unfold(t, 2, stride=(2, 1), padding=1) ** 2, [x])
    assert gradgradcheck(lambda t: F.fold(t, (4, 5), 2, dilation=(2, 1)) ** 2, [columns])


def test_modules_follow_pytorch(torch):
    unfold, fold = nn.Unfold(3, padding=1), nn.Fold((5, 5), 3)
    assert repr(unfold) == repr(torch.nn.Unfold(3, padding=1))
    assert repr(fold) == repr(torch.nn.Fold((5, 5), 3))
    x = minigrad.randn(2, 3, 5, 5)
    assert unfold(x).shape == (2, 27, 25)
    assert fold(F.unfold(x, 3)).shape == (2, 3, 5, 5)
    assert list(unfold.parameters()) == []


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: F.unfold(minigrad.randn(5, 5), 3), RuntimeError, "expected a 4-D input"),
        (lambda: F.unfold(minigrad.randn(2, 0, 5, 5), 3), RuntimeError, "non-zero C, H and W"),
        (lambda: F.unfold(minigrad.randn(1, 1, 5, 5), 7), RuntimeError, "at least one"),
        (lambda: F.unfold(minigrad.randn(1, 1, 5, 5), 0), RuntimeError, "kernel_size must be greater than zero"),
        (lambda: F.unfold(minigrad.randn(1, 1, 5, 5), 3, stride=0), RuntimeError, "stride must be greater"),
        (lambda: F.unfold(minigrad.randn(1, 1, 5, 5), 3, padding=-1), RuntimeError, "non-negative"),
        (lambda: F.unfold(minigrad.randn(1, 1, 5, 5), 3, dilation=0), RuntimeError, "dilation must be greater"),
        (lambda: F.unfold(minigrad.randn(1, 1, 5, 5), (2, 2, 2)), RuntimeError, "tuple of 2 ints"),
        (lambda: F.unfold(minigrad.zeros(1, 1, 5, 5, dtype=minigrad.int64), 3), NotImplementedError, "floating point"),
        (lambda: F.unfold([[1.0]], 3), TypeError, "minigrad.Tensor"),
        (lambda: F.fold(minigrad.randn(2, 26, 9), (5, 5), 3), RuntimeError, "divisible by the kernel's 3 \\* 3"),
        (lambda: F.fold(minigrad.randn(2, 27, 8), (5, 5), 3), RuntimeError, "3 \\* 3 = 9 sliding blocks"),
        (lambda: F.fold(minigrad.randn(27), (5, 5), 3), RuntimeError, "expected a 3-D input"),
        (lambda: F.fold(minigrad.randn(2, 27, 9), (5, 5, 5), 3), RuntimeError, "output_size must be"),
    ],
)
def test_bad_arguments_raise_pytorchs_error_classes(call, error, message):
    with pytest.raises(error, match=message) as raised:
        call()
    # minigrad's classes are also ValueError / TypeError, as minigrad raised before.
    assert isinstance(raised.value, (ValueError, TypeError))
