"""The lecture's convolution examples, as executable facts."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
import minigrad.nn.functional as F

SOBEL_X = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]


def test_five_by_five_input_with_three_by_three_kernel_gives_hand_computed_three_by_three():
    # Dumoulin & Visin, "A guide to convolution arithmetic", figure 1.1.
    image = minigrad.tensor(
        [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], [2, 0, 0, 0, 1.0]]
    )
    kernel = minigrad.tensor([[0, 1, 2], [2, 2, 0], [0, 1, 2.0]])
    out = F.conv2d(image.reshape(1, 1, 5, 5), kernel.reshape(1, 1, 3, 3))
    assert out.shape == (1, 1, 3, 3)
    # Top-left by hand: 3*0 + 3*1 + 2*2 + 0*2 + 0*2 + 1*0 + 3*0 + 1*1 + 2*2 = 12.
    assert out.reshape(3, 3).tolist() == [[12, 12, 17], [10, 17, 19], [9, 6, 14]]


def test_sobel_kernel_finds_a_vertical_edge():
    # Dark (0) left half, bright (10) right half: the edge lies between columns 2 and 3.
    image = minigrad.tensor([[0, 0, 0, 10, 10, 10.0]] * 5)
    response = F.conv2d(image.reshape(1, 1, 5, 6), minigrad.tensor(SOBEL_X).reshape(1, 1, 3, 3))
    # Windows straddling the edge see (1 + 2 + 1) * 10 = 40; flat windows see 0.
    assert response.reshape(3, 4).tolist() == [[0, 40, 40, 0]] * 3
    # The transposed Sobel kernel looks for horizontal edges: there are none.
    vertical = minigrad.tensor(SOBEL_X).T.reshape(1, 1, 3, 3)
    assert F.conv2d(image.reshape(1, 1, 5, 6), vertical).abs().sum().item() == 0


def textbook_convolution(x, k):
    """(x * k)[i, j] = sum_{m, n} x[m, n] k[i - m, j - n], keeping the "valid" part."""
    full = np.zeros((x.shape[0] + k.shape[0] - 1, x.shape[1] + k.shape[1] - 1))
    for m in range(x.shape[0]):
        for n in range(x.shape[1]):
            full[m : m + k.shape[0], n : n + k.shape[1]] += x[m, n] * k
    return full[k.shape[0] - 1 : x.shape[0], k.shape[1] - 1 : x.shape[1]]


def test_true_convolution_flips_the_kernel():
    image = minigrad.tensor([[0, 0, 0, 10, 10, 10.0]] * 5)
    sobel = minigrad.tensor(SOBEL_X)
    # Sobel is antisymmetric left-right: flipping it negates the edge response.
    assert F.convolve2d(image, sobel).tolist() == [[0, -40, -40, 0]] * 3
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((6, 7)), rng.standard_normal((3, 2))
    np.testing.assert_allclose(
        F.convolve2d(minigrad.tensor(x), minigrad.tensor(k)).numpy(), textbook_convolution(x, k), atol=1e-12
    )
    # A kernel symmetric under a 180-degree turn gives the same answer both ways.
    box = minigrad.ones(1, 1, 3, 3)
    batch = minigrad.randn(2, 1, 5, 5)
    assert F.convolve2d(batch, box).allclose(F.conv2d(batch, box), atol=1e-6)


def test_convolve2d_is_differentiable():
    kernel = minigrad.tensor(SOBEL_X, requires_grad=True)
    image = minigrad.randn(5, 6)
    F.convolve2d(image, kernel).sum().backward()
    assert kernel.grad.shape == (3, 3)


def test_conv2d_layer_parameter_count():
    # N kernels of k1 * k2 * C weights plus one bias each: 4 * (3 * 3 * 3 + 1) = 112.
    layer = nn.Conv2d(3, 4, 3)
    assert sum(p.numel() for p in layer.parameters()) == 4 * (3 * 3 * 3 + 1) == 112
    assert sum(p.numel() for p in nn.Conv2d(3, 4, 3, bias=False).parameters()) == 108


@pytest.mark.parametrize(
    "args, expected",
    [
        ((5, 3), 3),  # valid: 5 - 3 + 1
        ((28, 5, 1, 2), 28),  # "same" for k = 5: p = 2
        ((7, 3, 2, 1), 4),  # floor((7 + 2 - 3) / 2) + 1
        ((7, 3, 1, 0, 2), 3),  # dilation 2 makes the 3-kernel span 5
        ((32, 2, 2), 16),  # 2x2 pooling halves
        (((5, 7), (3, 2), (1, 2), (0, 1)), (3, 4)),
    ],
)
def test_conv_output_size(args, expected):
    assert F.conv_output_size(*args) == expected


def test_conv_output_size_agrees_with_the_layer():
    x = minigrad.zeros(1, 1, 13, 11)
    for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (3, 2, 2)]:
        out = F.conv2d(x, minigrad.zeros(1, 1, 3, 3), stride=stride, padding=padding, dilation=dilation)
        assert out.shape[2:] == F.conv_output_size((13, 11), 3, stride, padding, dilation)
