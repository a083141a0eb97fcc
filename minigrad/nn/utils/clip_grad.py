"""Gradient clipping (``torch.nn.utils.clip_grad``): by the total norm, or by value.

Gradients are scaled or clamped in place (``p.grad`` stays the same tensor, as in PyTorch);
the engine gives every leaf a gradient of its own, so no other tensor sees the change.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

from minigrad.autograd.grad_mode import no_grad
from minigrad.factories import tensor as make_tensor
from minigrad.ops.composite import stack
from minigrad.tensor import Tensor

TensorOrTensors = Tensor | Iterable[Tensor]


def vector_norm(values: Tensor, norm_type: float) -> Tensor:
    """``torch.linalg.vector_norm(values, norm_type)`` of all elements: ``(sum |x|^p)^(1/p)``,
    ``max |x|`` for inf, ``min |x|`` for -inf, the count of non-zeros for 0."""
    if math.isinf(norm_type):
        if values.numel() == 0:
            raise RuntimeError(
                "cannot compute the infinity norm on an empty tensor because the operation does not have an identity"
            )
        return values.abs().max() if norm_type > 0 else values.abs().min()
    if norm_type == 0:
        return (values != 0).sum().to(values.dtype)
    if norm_type == 1:
        return values.abs().sum()
    if norm_type == 2:
        return (values * values).sum().sqrt()
    return values.abs().pow(norm_type).sum().pow(1.0 / norm_type)


def _as_list(tensors: TensorOrTensors) -> list[Tensor]:
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def get_total_norm(
    tensors: TensorOrTensors, norm_type: float = 2.0, error_if_nonfinite: bool = False, foreach: bool | None = None
) -> Tensor:
    """The ``norm_type`` norm of all of ``tensors`` together, as if concatenated into one
    vector (the norm of their norms); a 0-d tensor in their dtype (``tensor(0.)`` for none).
    ``foreach`` picks a PyTorch kernel and changes nothing here."""
    tensors = _as_list(tensors)
    norm_type = float(norm_type)
    with no_grad():
        if not tensors:
            return make_tensor(0.0)
        device = tensors[0].device
        norms = [vector_norm(t, norm_type).to(device) for t in tensors]
        total = vector_norm(stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return total


def clip_grads_with_norm_(
    parameters: TensorOrTensors, max_norm: float, total_norm: Tensor, foreach: bool | None = None
) -> None:
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, in place."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    with no_grad():
        coefficient = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
        for grad in grads:
            # A 0-d factor doesn't change the gradient's dtype (PyTorch's rule): cast it first.
            grad.mul_(coefficient.to(grad.device).to(grad.dtype))


def clip_grad_norm_(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Rescale the gradients of ``parameters`` so that their total ``norm_type`` norm is at most
    ``max_norm``; returns the total norm before clipping (a 0-d tensor).

    ``clip_grad_norm_(model.parameters(), 1.0)`` between ``backward()`` and ``step()``.
    ``error_if_nonfinite=True`` raises when the norm is nan or inf instead of scaling by it.
    """
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = _as_list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(
    parameters: TensorOrTensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated spelling of :func:`clip_grad_norm_` (PyTorch warns with a FutureWarning)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    with no_grad():
        for param in _as_list(parameters):
            if param.grad is not None:
                param.grad.clamp_(min=-clip_value, max=clip_value)
