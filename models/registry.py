"""Models by name, for ``scripts/train_mnist.py --model NAME`` and ``get_model``."""

from __future__ import annotations

from collections.abc import Callable

from minigrad.models.lenet import MLP, LeNet, LeNet5
from minigrad.models.resnet import resnet8, resnet20

from minigrad import nn

_MODELS: dict[str, Callable[..., nn.Module]] = {
    "lenet": LeNet,
    "lenet5": LeNet5,
    "mlp": MLP,
    "resnet": resnet8,
    "resnet20": resnet20,
}


def model_names() -> list[str]:
    return sorted(_MODELS)


def get_model(name: str, **kwargs: object) -> nn.Module:
    """Build a model by name: ``"lenet"``, ``"lenet5"``, ``"mlp"``, ``"resnet"`` (ResNet-8) or
    ``"resnet20"``; keyword arguments go to its constructor (e.g. ``in_channels=3``)."""
    key = name.lower().replace("-", "").replace("_", "")
    if key not in _MODELS:
        raise ValueError(f"unknown model {name!r}: choose one of {', '.join(model_names())}")
    return _MODELS[key](**kwargs)
