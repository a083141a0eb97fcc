"""``map_location``: where loaded tensors go, in each form ``torch.load`` accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy

# A saved tensor's device string and its array on the host -> the tensor to return.
Placer = Callable[[numpy.ndarray, str], Any]


def placer(map_location: Any) -> Placer:
    """How to place each loaded array, given ``load``'s ``map_location``:

    * ``None``: on the CPU. (PyTorch restores each tensor to the device it was saved from;
      minigrad loads on the CPU so that a GPU checkpoint opens on any machine. Pass
      ``map_location=lambda tensor, location: tensor.to(location)`` for PyTorch's behaviour.)
    * a str or ``minigrad.device``: every tensor on that device.
    * a dict ``{saved: new}`` of device strings (``{"cuda:1": "cuda:0"}``): saved devices it
      names are mapped, others keep their saved device, as in PyTorch.
    * a callable ``f(tensor, location)``: ``tensor`` is the CPU tensor, ``location`` the saved
      device string; it returns the tensor to use, or None for the CPU one.
    """
    from minigrad.tensor import Tensor

    if map_location is None:
        return lambda array, saved: Tensor(array, device="cpu")
    if isinstance(map_location, dict):
        mapping = {str(key): str(value) for key, value in map_location.items()}
        return lambda array, saved: Tensor(array, device=mapping.get(saved, saved))
    if callable(map_location):
        def call(array: numpy.ndarray, saved: str) -> Any:
            tensor = Tensor(array, device="cpu")
            placed = map_location(tensor, saved)
            if placed is None:
                return tensor
            if not isinstance(placed, Tensor):
                raise TypeError(f"map_location returned a {type(placed).__name__}; it must return a "
                                "Tensor (e.g. tensor.to(location)) or None")
            return placed
        return call
    device = str(map_location)
    return lambda array, saved: Tensor(array, device=device)
