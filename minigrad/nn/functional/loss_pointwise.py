"""Elementwise losses (``torch.nn.functional``'s): binary cross entropy (on probabilities and
on logits), L1, smooth L1, Huber, KL divergence, Poisson and Gaussian NLL, soft margin.

Each is composed from recorded primitives, so gradients in the input AND the target (where
PyTorch has one), of any order, come from the graph. Shapes: input and target of one shape
``(*)``; the result is that shape for ``reduction="none"``, else a scalar.
"""

from __future__ import annotations

import math
import warnings

from minigrad.nn.functional.activation import _stable_softplus
from minigrad.nn.functional.loss import _reduction
from minigrad.ops.elementwise import where
from minigrad.tensor import Tensor


def reduce_loss(losses: Tensor, reduction: str) -> Tensor:
    """``"none"``: the losses; ``"sum"``; ``"mean"`` (NaN for no elements, as PyTorch)."""
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.mean() if losses.numel() else losses.sum() / 0.0


def _warn_on_broadcast(input: Tensor, target: Tensor) -> None:  # noqa: A002
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}). This will likely lead to incorrect results due to broadcasting. "
            "Please ensure they have the same size.",
            stacklevel=3,
        )


def _weighted(
    losses: Tensor, weight: Tensor | None, reduction: str, input: Tensor, by_weight: bool = True  # noqa: A002
) -> Tensor:
    """PyTorch 2's elementwise ``weight`` of l1 and huber: l1's mean divides by the total weight
    (as ``mse_loss``'s); huber's (``by_weight=False``) by the element count, PyTorch's odd rule."""
    if weight is None:
        return reduce_loss(losses, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(
            f"Weights and input must have the same size, got {tuple(weight.shape)} and {tuple(input.shape)}"
        )
    losses = losses * weight
    if reduction == "mean" and by_weight:
        return losses.sum() / weight.sum()
    return reduce_loss(losses, reduction)


def _clamped_log(p: Tensor) -> Tensor:
    """PyTorch's ``max(log p, -100)``, with ``log`` never meeting 0: at ``p = 0`` the value is
    -100 and the gradient 0 (PyTorch's own formula gives -1e12 there, from its eps), not NaN."""
    positive = p._array > 0
    return where(positive, where(positive, p, 1.0).log(), -100.0).clamp(min=-100.0)


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """``-weight * (t log(x) + (1 - t) log(1 - x))`` for probabilities ``x`` in [0, 1].

    As PyTorch, each log is clamped to >= -100, so ``x = 0`` or ``1`` gives a finite loss.
    ``weight`` broadcasts to the input's shape. Prefer ``binary_cross_entropy_with_logits``.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Using a target size ({tuple(target.shape)}) that is different to the input size "
            f"({tuple(input.shape)}) is deprecated. Please ensure they have the same size."
        )
    if input.numel() and bool(((input._array < 0) | (input._array > 1)).any()):
        raise RuntimeError(
            "binary_cross_entropy: all elements of input should be between 0 and 1 (probabilities); "
            "for scores (logits) use binary_cross_entropy_with_logits"
        )
    log_p = _clamped_log(input)
    log_not_p = _clamped_log(1 - input)
    losses = -(target * log_p + (1 - target) * log_not_p)
    if weight is not None:
        losses = losses * weight
    return reduce_loss(losses, reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Binary cross entropy of ``sigmoid(input)``, computed stably from the logits:
    ``(1 - t) x + (1 + (pos_weight - 1) t) * softplus(-x)``, times ``weight``.

    ``pos_weight`` (broadcast along the last dim, one per class) weights the positive term;
    ``weight`` broadcasts to the input's shape. Finite for any logit.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(
            f"Target size ({tuple(target.shape)}) must be the same as input size ({tuple(input.shape)})"
        )
    log_sigmoid_complement = _stable_softplus(-input)  # -log(sigmoid(x))
    if pos_weight is not None:
        log_sigmoid_complement = log_sigmoid_complement * ((pos_weight - 1) * target + 1)
    losses = (1 - target) * input + log_sigmoid_complement
    if weight is not None:
        losses = losses * weight
    return reduce_loss(losses, reduction)


def l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
    weight: Tensor | None = None,
) -> Tensor:
    """Mean absolute error ``|input - target|``; ``weight`` (the input's shape) as ``mse_loss``'s."""
    _warn_on_broadcast(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return _weighted((input - target).abs(), weight, reduction, input)


def _huber(difference: Tensor, delta: float) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)``."""
    size = difference.abs()
    inside = size._array < delta
    return where(inside, difference * difference * 0.5, (size - 0.5 * delta) * delta)


def smooth_l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (d = input - target);
    ``beta = 0`` is the L1 loss. It is ``huber_loss / beta``."""
    _warn_on_broadcast(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss does not support negative values for beta, got {beta}")
    difference = input - target
    if beta == 0.0:
        return reduce_loss(difference.abs(), reduction)
    return reduce_loss(_huber(difference, beta) / beta, reduction)


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
    weight: Tensor | None = None,
) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta * (|d| - 0.5 delta)`` (d = input - target)."""
    _warn_on_broadcast(input, target)
    reduction = _reduction(None, None, reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss does not support non-positive values for delta, got {delta}")
    return _weighted(_huber(input - target, delta), weight, reduction, input, by_weight=False)


def _xlogy(x: Tensor) -> Tensor:
    """``x log x`` with the value 0 at ``x = 0`` (PyTorch's ``xlogy(x, x)``)."""
    positive = x._array > 0
    safe = where(positive, x, 1.0)
    return where(positive, x * safe.log(), 0.0)


def kl_div(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL divergence ``target * (log(target) - input)`` for LOG-probabilities ``input``.

    ``log_target=True``: the target is given as log-probabilities too (``exp(t) * (t - x)``).
    ``reduction="batchmean"`` divides the sum by the batch size (the true KL divergence);
    ``"mean"`` divides by the number of elements and warns, as PyTorch.
    """
    if reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support size."
            "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
            "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
            stacklevel=2,
        )
    if reduction == "batchmean":
        _reduction(size_average, reduce, "sum")
    else:
        reduction = _reduction(size_average, reduce, reduction)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        losses = _xlogy(target) - target * input
    if reduction == "batchmean":
        return losses.sum() / input.shape[0] if input.ndim else losses.sum()
    return reduce_loss(losses, reduction)


def poisson_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: bool | None = None,
    eps: float = 1e-8,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood of ``target`` counts: ``exp(x) - t x`` for a log-rate
    ``x`` (``log_input=True``), else ``x - t log(x + eps)``. ``full`` adds Stirling's
    approximation of ``log(t!)``, ``t log t - t + log(2 pi t) / 2``, where ``t > 1``."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        losses = input.exp() - target * input
    else:
        losses = input - target * (input + eps).log()
    if full:
        above_one = target._array > 1
        safe = where(above_one, target, 1.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        losses = losses + where(above_one, stirling, 0.0)
    return reduce_loss(losses, reduction)


def gaussian_nll_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    var: Tensor | float,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood ``(log(var) + (input - target)^2 / var) / 2`` (+ log(2 pi)/2
    when ``full``).

    ``var`` has the input's shape, or lacks its last dim, or has size 1 there (one variance per
    sample), or is a number. As PyTorch, ``var`` is clamped to ``eps`` for the value only: its
    gradient is taken as if unclamped.
    """
    reduction = _reduction(None, None, reduction)
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = input.new_full(tuple(input.shape), float(var))
    elif tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)  # one variance per sample, the last dim dropped
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.ndim and var.shape[-1] == 1):
            raise ValueError(
                f"var is of incorrect size: got {tuple(var.shape)} for input {tuple(input.shape)}; "
                "give the input's shape, the input's shape without its last dim, or size 1 there"
            )
    if var.numel() and bool((var._array < 0).any()):
        raise ValueError("var has negative entry/entries")
    held = var.detach()
    var = var + (held.clamp(min=eps) - held)  # clamped value, identity gradient (PyTorch's no_grad clamp_)
    difference = input - target
    losses = (var.log() + difference * difference / var) * 0.5
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return reduce_loss(losses, reduction)


def soft_margin_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: bool | None = None,
    reduce: bool | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-y x))`` for labels ``y`` in {1, -1}."""
    reduction = _reduction(size_average, reduce, reduction)
    return reduce_loss(_stable_softplus(-(target * input)), reduction)
