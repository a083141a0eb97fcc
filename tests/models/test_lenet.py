"""The reference networks: shapes, parameter counts, the registry of names."""

from __future__ import annotations

import pytest
from minigrad.models import MLP, LeNet, LeNet5, get_model, model_names

import minigrad


def count(model) -> int:
    return sum(p.numel() for p in model.parameters())


def test_lenet5_has_the_papers_61706_parameters():
    # conv1 6*(1*25+1)=156, conv2 16*(6*25+1)=2416, fc 400*120+120, 120*84+84, 84*10+10
    assert count(LeNet5()) == 156 + 2416 + 48120 + 10164 + 850 == 61_706


def test_modern_lenet_has_the_same_shapes():
    assert count(LeNet()) == 61_706
    assert [name for name, _ in LeNet().named_parameters()] == [
        name for name, _ in LeNet5().named_parameters()
    ]


@pytest.mark.parametrize("name", model_names())
def test_every_model_maps_a_batch_of_digits_to_ten_logits(name):
    model = get_model(name)
    out = model(minigrad.randn(3, 1, 28, 28))
    assert out.shape == (3, 10) and out.dtype == minigrad.float32


def test_lenet5_uses_tanh_and_average_pooling_as_in_1998():
    kinds = {type(m).__name__ for m in LeNet5().modules()}
    assert {"Tanh", "AvgPool2d"} <= kinds and not {"ReLU", "MaxPool2d"} & kinds


def test_mlp_is_784_300_100_10():
    assert count(MLP()) == 784 * 300 + 300 + 300 * 100 + 100 + 100 * 10 + 10


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="lenet.*lenet5.*mlp.*resnet"):
        get_model("vgg")
    assert isinstance(get_model("LeNet-5"), LeNet5)
