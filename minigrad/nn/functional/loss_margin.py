"""Margin and embedding losses (``torch.nn.functional``'s): margin ranking, hinge embedding,
cosine embedding, triplet margin, multi-class margin. Labels ``y`` are 1 or -1 (or class
indices for ``multi_margin_loss``). Composed from recorded primitives."""

from __future__ import annotations

from minigrad.nn.functional.distance import pairwise_distance
from minigrad.nn.functional.loss import _reduction
from minigrad.nn.functional.loss_pointwise import reduce_loss
from minigrad.ops.composite import minimum
from minigrad.ops.elementwise import where
from minigrad.tensor import Tensor


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """``max(0, -y (x1 - x2) + margin)``: ``y = 1`` asks for ``x1`` to rank above ``x2``."""
    reduction = _reduction(size_average, reduce, reduction)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise ValueError(
            f"margin_ranking_loss : All input tensors should have same dimension but got sizes: input1: "
            f"{tuple(input1.shape)}, input2: {tuple(input2.shape)}, target: {tuple(target.shape)} "
        )
    return reduce_loss((-target * (input1 - input2) + margin).clamp(min=0.0), reduction)


def hinge_embedding_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    margin: float = 1.0,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """``x`` where ``y = 1``, ``max(0, margin - x)`` where ``y = -1`` (x: a distance)."""
    reduction = _reduction(size_average, reduce, reduction)
    # PyTorch's composition: labels other than 1 and -1 get both terms.
    margin_part = where(target._array != 1, (margin - input).clamp(min=0.0), 0.0)
    self_part = where(target._array != -1, input, 0.0)
    return reduce_loss(margin_part + self_part, reduction)


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """``1 - cos(x1, x2)`` where ``y = 1``, ``max(0, cos(x1, x2) - margin)`` where ``y = -1``.

    Inputs (N, D) with target (N,), or (D,) with a 0-d target. The cosine is PyTorch's:
    ``sum(x1 x2) / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12))``."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(
            f"cosine_embedding_loss: expected two inputs of one shape, (N, D) or (D,), got "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    if target.ndim != input1.ndim - 1:
        raise RuntimeError(
            f"{input1.ndim - 1}D target tensor expects {input1.ndim}D input tensors, but found inputs with sizes "
            f"{tuple(input1.shape)} and {tuple(input2.shape)}."
        )
    dim = input1.ndim - 1
    epsilon = 1e-12
    product = (input1 * input2).sum(dim)
    squares = ((input1 * input1).sum(dim) + epsilon) * ((input2 * input2).sum(dim) + epsilon)
    cosine = product / squares.sqrt()
    positive = where(target._array == 1, 1 - cosine, 0.0)
    negative = where(target._array == -1, (cosine - margin).clamp(min=0.0), 0.0)
    return reduce_loss(positive + negative, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """``max(0, d(a, p) - d(a, n) + margin)`` with ``d = pairwise_distance(., ., p, eps)``;
    ``swap`` uses ``min(d(a, n), d(p, n))`` as the negative distance. Inputs (N, D) or (D,)."""
    reduction = _reduction(size_average, reduce, reduction)
    if not (anchor.ndim == positive.ndim == negative.ndim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number of dimensions, but "
            f"got: anchor {anchor.ndim}D, positive {positive.ndim}D, and negative {negative.ndim}D inputs"
        )
    distance_positive = pairwise_distance(anchor, positive, p, eps)
    distance_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        distance_negative = minimum(distance_negative, pairwise_distance(positive, negative, p, eps))
    return reduce_loss((distance_positive - distance_negative + margin).clamp(min=0.0), reduction)


def multi_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    p: int = 1,
    margin: float = 1.0,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Multi-class hinge loss: ``sum_{j != y} max(0, margin - x[y] + x[j])^p / C`` per sample,
    times ``weight[y]``. Input (N, C) or (C,), int64 target (N,) or ()."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    scores = input if input.ndim == 2 else input.reshape(1, -1)
    labels = target._array.reshape(-1)
    count, classes = scores.shape
    xp = input.backend.xp
    if labels.shape[0] != count:
        raise ValueError(
            f"multi_margin_loss: inconsistent target size: {tuple(target.shape)} for input of size {tuple(input.shape)}"
        )
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise IndexError(f"multi_margin_loss: target out of range: class indices must be in [0, {classes - 1}]")
    picked = scores[(xp.arange(count), labels)].reshape(count, 1)
    hinge = (scores - picked + margin).clamp(min=0.0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight.reshape(-1)[Tensor._make(labels, input.backend)].reshape(count, 1)
    others = Tensor._make((xp.arange(classes)[None, :] != labels[:, None]).astype(input.dtype), input.backend)
    losses = (hinge * others).sum(1) / classes
    if input.ndim != 2:
        losses = losses.reshape(())
    return reduce_loss(losses, reduction)
