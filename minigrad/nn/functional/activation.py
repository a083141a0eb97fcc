"""Activation functions (``torch.nn.functional``'s): relu, leaky_relu, tanh, sigmoid, softmax.

``inplace=True`` overwrites the input's array only when no graph is being recorded for it.
minigrad has no version counters to detect that an op saved the input for backward, so while
recording, ``inplace=True`` returns a new tensor instead (same values, correct gradients).
"""

from __future__ import annotations

import warnings
from typing import Any

from minigrad.ops.elementwise import where
from minigrad.tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(input, 0)`` elementwise; any shape."""
    return input.relu_() if inplace else input.relu()


def relu_(input: Tensor) -> Tensor:  # noqa: A002
    """In-place relu, recorded like any in-place op (refused on a leaf that requires grad)."""
    return input.relu_()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """``input`` where positive, ``negative_slope * input`` elsewhere; any shape."""
    if inplace:
        return input._inplace("leaky_relu_", lambda: leaky_relu(input, negative_slope))
    return where(input._array > 0, input, input * negative_slope)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return input.tanh()


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return input.sigmoid()


def _softmax_dim(name: str, ndim: int) -> int:
    # PyTorch's legacy choice when no dim is given; it warns too.
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
        "as an argument.",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(x: Tensor, dim: int | None, dtype: Any, name: str) -> tuple[Tensor, int]:
    if dim is None:
        dim = _softmax_dim(name, x.ndim)
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"{name} needs a floating-point tensor, got {x.dtype}: call .float() first")
    if x.ndim and not -x.ndim <= dim < x.ndim:
        raise IndexError(
            f"{name}: dim {dim} is out of range for a tensor with {x.ndim} dims "
            f"(expected [{-x.ndim}, {x.ndim - 1}])"
        )
    return x, dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """``exp(x) / sum(exp(x))`` along ``dim`` (computed stably); ``dtype`` casts first."""
    x, dim = _prepare(input, dim, dtype, "softmax")
    return x.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """``x - logsumexp(x)`` along ``dim``, stable for large inputs; ``dtype`` casts first."""
    x, dim = _prepare(input, dim, dtype, "log_softmax")
    return x.log_softmax(dim)
