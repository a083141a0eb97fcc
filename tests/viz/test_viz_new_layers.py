"""The new layers in pictures: folded boxes carry their functional names, and in backward
pictures the PyTorch node names (each checked against PyTorch itself)."""

from __future__ import annotations

import pytest

import minigrad
from minigrad import nn
from minigrad.viz import draw_model
from minigrad.viz.labels import MODULE_BACKWARD_NAMES

NEW_LAYERS = {
    "ConvTranspose1d": ((4, 2, 3), (1, 4, 6)),
    "ConvTranspose2d": ((4, 2, 3), (1, 4, 6, 6)),
    "Conv3d": ((4, 2, 2), (1, 4, 4, 4, 4)),
    "ConvTranspose3d": ((4, 2, 2), (1, 4, 3, 3, 3)),
    "PixelShuffle": ((2,), (1, 4, 6, 6)),
    "PixelUnshuffle": ((2,), (1, 4, 6, 6)),
    "AdaptiveMaxPool2d": ((2,), (1, 4, 6, 6)),
    "MaxPool3d": ((2,), (1, 4, 4, 4, 4)),
    "AvgPool3d": ((2,), (1, 4, 4, 4, 4)),
    "MaxPool1d": ((2,), (1, 4, 6)),
    "AvgPool1d": ((2,), (1, 4, 6)),
    "AdaptiveMaxPool1d": ((2,), (1, 4, 6)),
    "AdaptiveAvgPool1d": ((2,), (1, 4, 6)),
    "ZeroPad2d": ((1,), (1, 4, 6, 6)),
    "ConstantPad2d": ((1, 2.0), (1, 4, 6, 6)),
    "ReflectionPad2d": ((1,), (1, 4, 6, 6)),
    "ReplicationPad2d": ((1,), (1, 4, 6, 6)),
}


@pytest.mark.parametrize("name", sorted(NEW_LAYERS))
def test_backward_names_are_pytorch_s(torch, name):
    args, shape = NEW_LAYERS[name]
    x = torch.randn(*shape, requires_grad=True)
    assert getattr(torch.nn, name)(*args)(x).grad_fn.name() == MODULE_BACKWARD_NAMES[name]


def test_upsampling_backward_names_are_pytorch_s(torch):
    x = torch.randn(1, 2, 3, 3, requires_grad=True)
    for name in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):
        assert getattr(torch.nn, name)(scale_factor=2)(x).grad_fn.name() == MODULE_BACKWARD_NAMES[name]


def test_folded_boxes_use_the_functional_names():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.ConvTranspose2d(1, 2, 2, stride=2), nn.Upsample(scale_factor=2), nn.PixelUnshuffle(2))
    source = draw_model(model, minigrad.randn(1, 1, 3, 3)).source
    for op in ("conv_transpose2d", "interpolate", "pixel_unshuffle"):
        assert op in source, op
    lstm_source = draw_model(nn.LSTM(3, 4), minigrad.randn(2, 1, 3)).source
    assert "lstm" in lstm_source and "l_s_t_m" not in lstm_source
