"""Module-level twins of Tensor methods (``minigrad.exp(x)`` as ``torch.exp(x)``)."""

from __future__ import annotations

from typing import Any

from minigrad.ops import composite, elementwise
from minigrad.tensor import Tensor


def exp(input: Tensor) -> Tensor:  # noqa: A002  (PyTorch's argument names)
    return input.exp()


def log(input: Tensor) -> Tensor:  # noqa: A002
    return input.log()


def sqrt(input: Tensor) -> Tensor:  # noqa: A002
    return input.sqrt()


def abs(input: Tensor) -> Tensor:  # noqa: A001, A002
    return input.abs()


def relu(input: Tensor) -> Tensor:  # noqa: A002
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A001, A002
    return input.clamp(min, max)


def softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.log_softmax(dim)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    return input.sum(dim, keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return input.mean(dim, keepdim)


def var(input: Tensor, dim: Any = None, correction: int = 1, keepdim: bool = False) -> Tensor:  # noqa: A002
    return input.var(dim, correction=correction, keepdim=keepdim)


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    return input.max(dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    return input.min(dim, keepdim)


def amax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return input.amax(dim, keepdim)


def amin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return input.amin(dim, keepdim)


def argmax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return input.argmax(dim, keepdim)


def argmin(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return input.argmin(dim, keepdim)


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return composite.maximum(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return composite.minimum(input, other)


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return input.matmul(other)


def reshape(input: Tensor, shape: Any) -> Tensor:  # noqa: A002
    return input.reshape(shape)


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    return input.flatten(start_dim, end_dim)


def squeeze(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    return input.squeeze(dim)


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return input.unsqueeze(dim)


def permute(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    return input.permute(dims)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return input.transpose(dim0, dim1)


def where(condition: Tensor, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``where(condition, input, other)`` elementwise; ``where(condition)`` alone is
    ``nonzero(condition, as_tuple=True)``, as PyTorch."""
    if input is None and other is None:
        from minigrad.ops.gather_scatter import nonzero

        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(): expected both `input` and `other`, or neither (where(condition) gives indices)")
    return elementwise.where(condition, input, other)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:  # noqa: A002
    return input.clone(memory_format=memory_format)
