"""The backend conformance suite for the Fidelity III layers (transposed convolution,
interpolation, adaptive and 1-d pooling, unpooling, pixel shuffle, attention, recurrent steps):
each composite runs on every device, float32 against the float64 host reference, with its
gradient, and keeps its arrays on the device."""

from __future__ import annotations

from typing import Any

import numpy
import pytest
from test_conformance import Case, assert_on, device, forward_backward, host  # noqa: F401  (device: fixture)

import minigrad
import minigrad.nn.functional as F
from minigrad.nn.rnn_cell import gru_step, lstm_step


def unpool(x: minigrad.Tensor) -> minigrad.Tensor:
    values, indices = F.max_pool2d(x, 2, return_indices=True)
    return F.max_unpool2d(values, indices, 2)


def lstm(x, h, c, w_ih, w_hh, b):
    gates = x @ w_ih.t() + b
    return minigrad.cat(lstm_step(gates, h, c, w_hh, None), -1)


def attention(x, w_in, b_in, w_out):
    mask = minigrad.tensor([[False, True, True], [False, False, True], [False, False, False]], device=x.device)
    out, weights = F.multi_head_attention_forward(
        x, x, x, 4, 2, w_in, b_in, None, None, False, 0.0, w_out, None, attn_mask=mask
    )
    no_weights, _ = F.multi_head_attention_forward(
        x, x, x, 4, 2, w_in, b_in, None, None, True, 0.0, w_out, None, attn_mask=mask, need_weights=False
    )
    return minigrad.cat([out.reshape(-1), weights.reshape(-1), no_weights.reshape(-1)])


def gru(x, h, w_ih, w_hh, b):
    return gru_step(x @ w_ih.t(), h, w_hh, b)


CASES = {
    "conv_transpose2d": Case(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1),
        ((2, 3, 4, 4), (3, 2, 3, 3), (2,)),
    ),
    "conv_transpose1d_groups": Case(lambda x, w: F.conv_transpose1d(x, w, stride=3, groups=2), ((2, 4, 5), (4, 1, 2))),
    "conv_transpose3d": Case(
        lambda x, w: F.conv_transpose3d(x, w, stride=(2, 1, 2), padding=(1, 0, 0), output_padding=(1, 0, 0)),
        ((1, 2, 2, 3, 2), (2, 2, 2, 2, 2)),
    ),
    "conv3d": Case(lambda x, w: F.conv3d(x, w, stride=(1, 2, 1), padding=1), ((2, 2, 3, 4, 3), (3, 2, 2, 2, 2))),
    "max_pool3d": Case(lambda x: F.max_pool3d(x, 2, padding=1, ceil_mode=True), ((1, 2, 3, 4, 5),)),
    "avg_pool3d": Case(
        lambda x: F.avg_pool3d(x, (2, 1, 2), count_include_pad=False, padding=(1, 0, 1)), ((1, 2, 3, 4, 5),)
    ),
    "interpolate_nearest": Case(lambda x: F.interpolate(x, scale_factor=2.5), ((1, 2, 3, 4),)),
    "interpolate_nearest_exact": Case(lambda x: F.interpolate(x, size=(5, 3), mode="nearest-exact"), ((1, 2, 3, 4),)),
    "interpolate_bilinear": Case(lambda x: F.interpolate(x, size=(5, 7), mode="bilinear"), ((1, 2, 3, 4),)),
    "interpolate_bicubic_corners": Case(
        lambda x: F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=True), ((1, 1, 3, 3),)
    ),
    "interpolate_area": Case(lambda x: F.interpolate(x, size=3, mode="area"), ((2, 2, 7),)),
    "pixel_shuffle": Case(lambda x: F.pixel_shuffle(x, 2), ((2, 8, 3, 2),)),
    "adaptive_max_pool2d": Case(lambda x: F.adaptive_max_pool2d(x, (3, 2)), ((2, 2, 7, 5),)),
    "adaptive_avg_pool1d": Case(lambda x: F.adaptive_avg_pool1d(x, 3), ((2, 2, 7),)),
    "max_pool1d": Case(lambda x: F.max_pool1d(x, 3, 2, 1), ((2, 2, 9),)),
    "avg_pool1d": Case(lambda x: F.avg_pool1d(x, 3, 2, 1, count_include_pad=False), ((2, 2, 9),)),
    "lp_pool2d": Case(lambda x: F.lp_pool2d(x, 2.0, 2), ((1, 2, 4, 6),), positive=True),
    "max_unpool2d": Case(unpool, ((2, 2, 4, 6),)),
    "replication_pad": Case(lambda x: F.pad(x, (1, 2, 2, 0), mode="replicate"), ((1, 2, 3, 3),)),
    "sdpa_causal": Case(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True), ((2, 4, 3), (2, 5, 3), (2, 5, 2))
    ),
    "multi_head_attention": Case(attention, ((3, 2, 4), (12, 4), (12,), (4, 4))),
    "lstm_step": Case(lstm, ((2, 3), (2, 4), (2, 4), (16, 3), (16, 4), (16,))),
    "gru_step": Case(gru, ((2, 3), (2, 4), (12, 3), (12, 4), (12,))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_forward_and_gradient_match_float64_host_reference(device: str, name: str) -> None:  # noqa: F811
    case = CASES[name]
    arrays = case.inputs()
    rng = numpy.random.default_rng(1)
    weights: dict[tuple, numpy.ndarray] = {}

    def upstream(shape: tuple) -> Any:
        if shape not in weights:
            weights[shape] = rng.uniform(0.5, 1.5, shape)
        return weights[shape]

    expected, expected_grads = forward_backward(case, arrays, "cpu", "float64", upstream)
    out, grads = forward_backward(case, arrays, device, "float32", upstream)
    assert_on(out, device)
    assert out.dtype == minigrad.float32
    assert out.shape == expected.shape
    numpy.testing.assert_allclose(host(out), host(expected), rtol=1e-4, atol=1e-4, err_msg=name)
    for position, (grad, expected_grad) in enumerate(zip(grads, expected_grads)):
        assert grad is not None, f"{name}: no gradient for input {position}"
        assert_on(grad, device)
        numpy.testing.assert_allclose(
            host(grad), host(expected_grad), rtol=1e-4, atol=1e-4, err_msg=f"{name} grad {position}"
        )
