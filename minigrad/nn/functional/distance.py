"""Distances and encodings (``torch.nn.functional``'s): ``normalize``, ``cosine_similarity``,
``pairwise_distance`` and ``one_hot``. Composed from recorded primitives."""

from __future__ import annotations

import math

from minigrad.errors import ArgumentError, UnsupportedDTypeError
from minigrad.ops.composite import dim_in_range
from minigrad.tensor import Tensor, broadcast_shapes


def vector_norm(x: Tensor, p: float = 2.0, dim: int | tuple | None = None, keepdim: bool = False) -> Tensor:
    """``(sum |x|^p)^(1/p)`` over ``dim``; ``p = inf`` is ``max |x|``, ``p = 0`` counts non-zeros."""
    if p == 2:
        return (x * x).sum(dim, keepdim).sqrt()
    if p == 1:
        return x.abs().sum(dim, keepdim)
    if p == math.inf:
        return x.abs().amax(dim, keepdim)
    if p == -math.inf:
        return x.abs().amin(dim, keepdim)
    if p == 0:
        return Tensor._make((x._array != 0).sum(axis=dim, keepdims=keepdim).astype(x.dtype), x.backend)
    return (x.abs() ** p).sum(dim, keepdim) ** (1.0 / p)


def _value_clamped(x: Tensor, eps: float) -> Tensor:
    """``max(x, eps)`` in value with the gradient of ``x`` (PyTorch clamps under ``no_grad``)."""
    held = x.detach()
    return x + (held.clamp(min=eps) - held)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: None = None) -> Tensor:  # noqa: A002
    """``input / max(||input||_p, eps)`` along ``dim`` (rows of a (N, D) input by default)."""
    if out is not None:
        raise NotImplementedError("normalize: out= is not supported; use the returned tensor")
    return input / vector_norm(input, p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """``x1 . x2 / (max(||x1||, eps) max(||x2||, eps))`` along ``dim`` (shapes broadcast).

    As PyTorch 2: each input is divided by its own norm first (no overflow of the product of
    norms), each norm clamped to ``eps`` in value only."""
    shape = broadcast_shapes(x1.shape, x2.shape, "cosine_similarity")
    dim = dim_in_range(dim, len(shape), "cosine_similarity")
    x1, x2 = x1.expand(shape), x2.expand(shape)
    norm1 = _value_clamped(vector_norm(x1, 2, dim, keepdim=True), eps)
    norm2 = _value_clamped(vector_norm(x2, 2, dim, keepdim=True), eps)
    return ((x1 / norm1) * (x2 / norm2)).sum(dim)


def pairwise_distance(x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Tensor:
    """``||x1 - x2 + eps||_p`` along the last dim: (N, D) and (N, D) -> (N,)."""
    last = max(x1.ndim, x2.ndim) - 1
    return vector_norm(x1 - x2 + eps, p, max(last, 0) if last >= 0 else None, keepdim)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 indices (*) -> int64 (*, num_classes) with a 1 at each index; ``-1`` takes
    ``max + 1`` classes."""
    if tensor.dtype.name != "int64":
        raise UnsupportedDTypeError(
            f"one_hot is only applicable to index tensor of type LongTensor (int64), got {tensor.dtype}; "
            "use .long()"
        )
    xp = tensor.backend.xp
    values = tensor._array
    if num_classes == -1:
        if values.size == 0:
            raise ArgumentError("one_hot: Can not infer total number of classes from empty tensor.")
        num_classes = int(values.max()) + 1
    if values.size and int(values.min()) < 0:
        raise ArgumentError("one_hot: Class values must be non-negative.")
    if values.size and int(values.max()) >= num_classes:
        raise ArgumentError(
            f"one_hot: Class values must be smaller than num_classes ({num_classes}), got {int(values.max())}."
        )
    encoded = (values[..., None] == xp.arange(num_classes)).astype(xp.int64)
    return Tensor._make(encoded, tensor.backend)
