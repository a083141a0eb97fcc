"""All parameters as one flat vector and back (``torch.nn.utils.convert_parameters``)."""

from __future__ import annotations

from collections.abc import Iterable

from minigrad.ops.composite import cat
from minigrad.tensor import Tensor


def _same_device(param: Tensor, device: object) -> object:
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated in order: shape ``(total numel,)``. Part of
    the graph (gradients flow back to each parameter)."""
    device, pieces = None, []
    for param in parameters:
        device = _same_device(param, device)
        pieces.append(param.view(-1))
    return cat(pieces)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Point each parameter's ``.data`` at its slice of ``vec`` (shaped like the parameter),
    the inverse of :func:`parameters_to_vector`; the parameters then share ``vec``'s memory."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected minigrad.Tensor, but got: {type(vec).__name__}")
    device, pointer = None, 0
    for param in parameters:
        device = _same_device(param, device)
        count = param.numel()
        param.data = vec[pointer : pointer + count].view_as(param).data
        pointer += count
