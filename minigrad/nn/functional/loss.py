"""Loss functions (``torch.nn.functional``'s): cross_entropy, nll_loss, mse_loss.

Every loss is made of recorded primitives, so gradients (of any order) come from the graph.
cross_entropy is ``log_softmax`` (stable: the max is subtracted first) followed by the
negative log-likelihood of each sample's class. In the common case (no class weights, every
target counted, a mean or a sum) both are single primitives, PyTorch's ``LogSoftmax`` and
``NllLoss`` nodes (``ops/classification.py``); otherwise the log-probabilities are picked with
integer-array indexing (as fast as a one-hot product for 10 classes, faster for 1000) and
weighted and reduced with the ordinary ops.
"""

from __future__ import annotations

import warnings
from typing import Any

from minigrad.errors import ArgumentError
from minigrad.ops.classification import NllLoss
from minigrad.tensor import Tensor

_REDUCTIONS = ("none", "mean", "sum")


def _reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """Resolve PyTorch's deprecated ``size_average``/``reduce`` pair, then validate."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else "sum" if reduce else "none"
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
            stacklevel=3,
        )
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'none', 'mean' or 'sum', got {reduction!r}")
    return reduction


def _classes_last(x: Tensor) -> Tensor:
    """(C,), (N, C) or (N, C, d1, ..., dk) -> (M, C) with the class dim last."""
    if x.ndim == 1:
        return x.unsqueeze(0)
    if x.ndim == 2:
        return x  # already (M, C): no reshape node (PyTorch's graph has none either)
    if x.ndim > 2:
        x = x.permute(0, *range(2, x.ndim), 1)
    return x.reshape(-1, x.shape[-1])


def _check_class_target(name: str, input: Tensor, target: Tensor) -> None:  # noqa: A002
    """Class-index targets: integer dtype, the input's shape without the class dim, in range."""
    if input.ndim == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    expected = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: a target of class indices must be an integer tensor (int64), got {target.dtype}; "
            "use target.long(). A floating-point target must have the input's shape "
            f"{tuple(input.shape)} and holds class probabilities."
        )
    if tuple(target.shape) != expected:
        if input.ndim >= 2 and target.ndim >= 1 and target.shape[0] != input.shape[0]:
            raise ValueError(
                f"{name}: expected input batch_size ({input.shape[0]}) to match target batch_size "
                f"({target.shape[0]})"
            )
        raise ValueError(
            f"{name}: for input of shape {tuple(input.shape)} the target of class indices must have "
            f"shape {expected}, got {tuple(target.shape)}"
        )


def _check_range(name: str, target: Any, classes: int, ignore_index: int) -> Any:
    """The mask of targets that count (not ``ignore_index``); a clear error for bad indices."""
    valid = target != ignore_index
    bad = valid & ((target < 0) | (target >= classes))
    if bool(bad.any()):
        example = int(target[bad].reshape(-1)[0])
        raise ValueError(
            f"{name}: Target {example} is out of bounds: class indices must be in [0, {classes - 1}] "
            f"for an input with {classes} classes (or equal ignore_index={ignore_index})"
        )
    return valid


def _check_weight(name: str, weight: Tensor | None, classes: int) -> None:
    if weight is not None and tuple(weight.shape) != (classes,):
        raise ValueError(
            f"{name}: weight should hold one value per class ({classes}), got shape {tuple(weight.shape)}"
        )


def _picked_loss(log_probs: Tensor, target: Any, valid: Any, weight: Tensor | None) -> tuple[Tensor, Any]:
    """Per-sample ``-weight[t] * log_probs[i, t]`` for (M, C) log-probs and (M,) raw targets
    (``valid``: the mask of those that count), and the per-sample weights (0 where ignored) as
    a raw array."""
    xp = log_probs.backend.xp
    all_valid = bool(valid.all())
    safe_target = target if all_valid else xp.where(valid, target, 0)
    picked = log_probs[(xp.arange(target.shape[0]), safe_target)]
    if weight is None and all_valid:
        return -picked, None
    sample_weight = valid.astype(log_probs.dtype)
    if weight is not None:
        sample_weight = sample_weight * weight._array.astype(log_probs.dtype)[safe_target]
    return -(picked * Tensor._make(sample_weight, log_probs.backend)), sample_weight


def _constant(value: Any, like: Tensor) -> Tensor:
    """A raw array or array scalar as a constant tensor of ``like``'s dtype and device."""
    return Tensor._make(like.backend.xp.asarray(value, dtype=like.dtype), like.backend)


def _nll(log_probs: Tensor, target: Any, weight: Tensor | None, ignore_index: int, reduction: str,
         out_shape: tuple, name: str) -> Tensor:
    """The loss of (M, C) log-probs at the (M,) raw targets, reduced. The common case (no class
    weights, every target counted, a mean or sum over at least one sample) is one primitive
    with the same arithmetic as the composed ops that handle the rest."""
    valid = _check_range(name, target, log_probs.shape[1], ignore_index)
    if (weight is None and reduction != "none" and target.shape[0] and log_probs.dtype.kind == "f"
            and bool(valid.all())):
        return NllLoss.apply(log_probs, target=target, reduction=reduction)
    losses, sample_weight = _picked_loss(log_probs, target, valid, weight)
    return _reduce_picked(losses, sample_weight, reduction, out_shape)


def _reduce_picked(losses: Tensor, sample_weight: Any, reduction: str, out_shape: tuple) -> Tensor:
    if reduction == "none":
        return losses.reshape(out_shape)
    if reduction == "sum":
        return losses.sum()
    if sample_weight is None:
        return losses.mean() if losses.numel() else losses.sum() / 0.0
    # Weighted mean: divided by the total weight of the counted samples, as in PyTorch.
    return losses.sum() / _constant(sample_weight.sum(), losses)


def nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of log-probabilities ``input`` at the ``target`` classes.

    Shapes: input (N, C), (C,) or (N, C, d1, ..., dk); target int64 (N,), () or
    (N, d1, ..., dk) with values in [0, C) or ``ignore_index``. ``weight`` (C,) rescales each
    class; the ``"mean"`` is then divided by the total weight of the counted targets.
    """
    reduction = _reduction(size_average, reduce, reduction)
    _check_class_target("nll_loss", input, target)
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    _check_weight("nll_loss", weight, classes)
    return _nll(_classes_last(input), target._array.reshape(-1), weight, ignore_index, reduction,
                tuple(target.shape), "nll_loss")


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    ignore_index: int = -100,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy between logits ``input`` and ``target``: ``nll_loss(log_softmax(input))``.

    Shapes: input (N, C), (C,) or (N, C, d1, ..., dk) of unnormalised scores. ``target`` is
    either int64 class indices of shape (N,), () or (N, d1, ..., dk), or class probabilities
    of the input's own shape (float). ``label_smoothing`` in [0, 1] mixes the target with the
    uniform distribution. Returns a scalar, or the per-sample losses for ``reduction="none"``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be between 0.0 and 1.0, got {label_smoothing}")
    if input.dtype.kind != "f":
        raise TypeError(f"cross_entropy: input must be floating-point logits, got {input.dtype}")
    if input.ndim == 0:
        raise ValueError("cross_entropy: input must have a class dimension, got a 0-d tensor")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    _check_weight("cross_entropy", weight, classes)
    log_probs = _classes_last(input).log_softmax(1)
    if tuple(target.shape) == tuple(input.shape) and target.dtype.kind not in "iu":
        if ignore_index >= 0:
            raise ArgumentError(  # PyTorch raises RuntimeError; ArgumentError is that and a ValueError
                "cross_entropy: ignore_index is not supported for floating point target (class "
                "probabilities); leave ignore_index at its default -100"
            )
        return _cross_entropy_probabilities(log_probs, input, target, weight, reduction, label_smoothing)
    _check_class_target("cross_entropy", input, target)
    out_shape = tuple(target.shape)
    loss = _nll(log_probs, target._array.reshape(-1), weight, ignore_index, reduction, out_shape, "cross_entropy")
    if label_smoothing == 0.0:
        return loss
    # PyTorch's formula: (1 - eps) * nll + eps / C * (sum over classes of -weight_c * log p_c).
    xp = input.backend.xp
    if weight is not None:
        log_probs = log_probs * weight.to(log_probs.dtype)
    smooth = -log_probs.sum(1)
    flat_target = target._array.reshape(-1)
    valid = flat_target != ignore_index
    if not bool(valid.all()):
        smooth = smooth * Tensor._make(valid.astype(smooth.dtype), smooth.backend)
    if reduction == "none":
        smooth = smooth.reshape(out_shape)
    elif reduction == "sum":
        smooth = smooth.sum()
    else:
        if weight is None:
            denominator = valid.sum()
        else:
            safe = xp.where(valid, flat_target, 0)
            denominator = (weight._array.astype(smooth.dtype)[safe] * valid).sum()
        smooth = smooth.sum() / _constant(denominator, smooth)
    return loss * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)


def _cross_entropy_probabilities(
    log_probs: Tensor,
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None,
    reduction: str,
    label_smoothing: float,
) -> Tensor:
    """Cross entropy against a distribution over classes (target of the input's shape)."""
    classes = log_probs.shape[1]
    target = _classes_last(target.to(log_probs.dtype))
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / classes
    products = log_probs * target
    if weight is not None:
        products = products * weight.to(log_probs.dtype)
    losses = -products.sum(1)
    if reduction == "none":
        out_shape = () if input.ndim == 1 else (input.shape[0],) + tuple(input.shape[2:])
        return losses.reshape(out_shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / (input.numel() // classes) if input.numel() else losses.sum() / 0.0


def mse_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean squared error ``(input - target)^2``, reduced. Any shape; ``target`` should have the
    input's shape (broadcasting is allowed, with PyTorch's warning). ``weight`` (the input's
    shape) weights each element; the mean then divides by ``weight.sum()``."""
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=2,
        )
    reduction = _reduction(size_average, reduce, reduction)
    difference = input - target
    squared = difference * difference
    if weight is not None:
        if tuple(weight.shape) != tuple(input.shape):
            raise ValueError(
                f"Weights and input must have the same size, got {tuple(weight.shape)} and "
                f"{tuple(input.shape)}"
            )
        squared = squared * weight
        if reduction == "mean":
            return squared.sum() / weight.sum()
    if reduction == "none":
        return squared
    return squared.sum() if reduction == "sum" else squared.mean()
