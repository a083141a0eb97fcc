"""``F.dropout`` (inverted dropout: scale at training time, identity at evaluation), its
channel-wise forms ``dropout1d/2d/3d`` and SELU's ``alpha_dropout``, ``feature_alpha_dropout``."""

from __future__ import annotations

import warnings
from typing import Any

from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.errors import ShapeError
from minigrad.tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the survivors by ``1 / (1 - p)``,
    so the expected value is unchanged and evaluation needs no rescaling. Any shape.

    The mask comes from the tensor's backend generator: ``minigrad.manual_seed`` makes it
    reproducible. ``inplace`` overwrites the input only when no graph is recorded for it.
    """
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if input.dtype.kind != "f":
        raise TypeError(f"dropout needs a floating-point tensor, got {input.dtype}: call .float() first")
    backend = input.backend
    if p == 1.0:
        mask = backend.xp.zeros(input.shape, dtype=input.dtype)
    else:
        draw_dtype = input.dtype if input.dtype.name in ("float32", "float64") else "float32"
        keep = backend.rand(tuple(input.shape), draw_dtype) >= p
        # One array holding 0 or 1/(1-p): the multiply is the only recorded op.
        mask = keep.astype(input.dtype) * (1.0 / (1.0 - p))
    if inplace:
        return input.mul_(Tensor._make(mask, backend))
    return input * Tensor._make(mask, backend)


# --- issue 11: channel-wise and alpha dropout ------------------------------------------------
# PyTorch's constant: -SELU_SCALE * SELU_ALPHA, the value SELU tends to for very negative inputs.
_ALPHA_PRIME = 1.7580993408473766


def _check_p(p: float) -> None:
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input: Tensor, p: float, per_channel: bool) -> Any:  # noqa: A002
    """0/1 array (the input's dtype), 1 with probability ``1 - p``: one draw per element, or
    per (sample, channel) broadcast over the other dims (PyTorch's "feature noise")."""
    backend = input.backend
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2) if per_channel else tuple(input.shape)
    draw_dtype = input.dtype if input.dtype.name in ("float32", "float64") else "float32"
    return (backend.rand(shape, draw_dtype) >= p).astype(input.dtype)


def _dropout_with(input: Tensor, p: float, training: bool, inplace: bool, per_channel: bool,  # noqa: A002
                  alpha: bool) -> Tensor:
    _check_p(p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if input.dtype.kind != "f":
        raise TypeError(f"dropout needs a floating-point tensor, got {input.dtype}: call .float() first")
    backend = input.backend
    if p == 1.0:
        keep = backend.xp.zeros(input.shape, dtype=input.dtype)
        scale, shift = keep, None
    elif alpha:
        # Dropped units are set to -alpha', then an affine map a*x + b restores mean 0, variance 1
        # for SELU-normalised inputs (PyTorch's formula).
        keep = _keep_mask(input, p, per_channel)
        a = 1.0 / ((_ALPHA_PRIME**2 * p + 1) * (1 - p)) ** 0.5
        scale, shift = keep * a, (keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    else:
        scale, shift = _keep_mask(input, p, per_channel) * (1.0 / (1.0 - p)), None

    def compute(x: Tensor) -> Tensor:
        out = x * Tensor._make(scale, backend)
        return out if shift is None else out + Tensor._make(shift.astype(x.dtype), backend)

    if inplace:  # a recorded copy while recording, as the activations (see _activation)
        recording = is_grad_enabled() and input.requires_grad
        return input._inplace("dropout_", lambda: compute(input.clone() if recording else input))
    return compute(input)


def _unbatched_feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,  # noqa: A002
                               batched_ndim: int, name: str) -> Tensor:
    if input.ndim not in (batched_ndim - 1, batched_ndim):
        raise ShapeError(
            f"{name}: Expected {batched_ndim - 1}D or {batched_ndim}D input, but received a {input.ndim}D input. "
            f"Note that {name} exists to provide channel-wise dropout on inputs with {batched_ndim - 2} spatial "
            f"dimension{'s' if batched_ndim > 3 else ''}, a channel dimension, and an optional batch dimension "
            f"(i.e. {batched_ndim - 1}D or {batched_ndim}D inputs)."
        )
    if input.ndim == batched_ndim:
        return _dropout_with(input, p, training, inplace, per_channel=True, alpha=False)
    if inplace and training and p > 0:
        mask_input = input.unsqueeze(0)  # a view: the in-place write lands in the input
        _dropout_with(mask_input, p, training, True, per_channel=True, alpha=False)
        return input
    return _dropout_with(input.unsqueeze(0), p, training, False, per_channel=True, alpha=False).squeeze(0)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels: input (N, C, L) or (C, L), each channel kept with probability 1 - p
    and scaled by 1 / (1 - p)."""
    _check_p(p)
    return _unbatched_feature_dropout(input, p, training, inplace, 3, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels of (N, C, H, W). As PyTorch, a 3-D input is read as (N, C, L) (with
    its warning), and other ranks are dropped per (dim 0, dim 1) pair with a deprecation warning."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(
            f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is deprecated and will result in an "
            "error in a future release. To retain the behavior and silence this warning, please use dropout "
            "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
            "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
            stacklevel=2,
        )
    if input.ndim == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is "
            "desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will "
            "change in a future release to interpret the input as one without a batch dimension, i.e. shape "
            "(C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d "
            "instead.",
            stacklevel=2,
        )
    return _dropout_with(input, p, training, inplace, per_channel=True, alpha=False)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero whole channels: input (N, C, D, H, W) or (C, D, H, W)."""
    _check_p(p)
    return _unbatched_feature_dropout(input, p, training, inplace, 5, "dropout3d")


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: A002
    """Dropout for SELU networks: dropped units take SELU's negative saturation value, then an
    affine map keeps mean 0 and variance 1. Note PyTorch's default ``training=False``."""
    return _dropout_with(input, p, training, inplace, per_channel=False, alpha=True)


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False) -> Tensor:  # noqa: A002
    """Alpha dropout of whole channels (one draw per (sample, channel))."""
    return _dropout_with(input, p, training, inplace, per_channel=True, alpha=True)
