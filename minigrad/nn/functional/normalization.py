"""Batch normalisation (``torch.nn.functional.batch_norm``).

Composed from differentiable ops (mean, subtraction, rsqrt, products), so its gradient, and
the gradient of that, come from the graph; no hand-written backward to get wrong.
"""

from __future__ import annotations

from minigrad.autograd.grad_mode import no_grad
from minigrad.tensor import Tensor


def batch_norm(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel (dim 1) of ``input`` (N, C), (N, C, L) or (N, C, H, W).

    ``training=True``: use this batch's mean and biased variance, and, when running buffers
    are given, update them in place (without recording a graph):
    ``running = (1 - momentum) * running + momentum * batch_stat``, with the UNBIASED
    variance for ``running_var``. ``training=False``: use ``running_mean`` / ``running_var``.
    Then ``y = (x - mean) / sqrt(var + eps) * weight + bias``, weight and bias of shape (C,).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"batch_norm: input must be a minigrad.Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(
            f"batch_norm: expected an input (N, C, ...) with at least 2 dims, got {tuple(input.shape)}"
        )
    channels = input.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and tuple(t.shape) != (channels,):
            raise ValueError(
                f"batch_norm: {name} must have shape ({channels},) (one per channel of input "
                f"{tuple(input.shape)}), got {tuple(t.shape)}"
            )
    per_channel = (1, channels) + (1,) * (input.ndim - 2)
    dims = (0,) + tuple(range(2, input.ndim))
    if training:
        count = input.numel() // channels
        if count <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, got input "
                f"{tuple(input.shape)}"
            )
        mean = input.mean(dims, keepdim=True)
        centered = input - mean
        var = (centered * centered).mean(dims, keepdim=True)
        if running_mean is not None and running_var is not None:
            with no_grad():
                _update(running_mean, mean._array.reshape(channels), momentum)
                _update(running_var, var._array.reshape(channels) * (count / (count - 1)), momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when training=False")
        centered = input - running_mean.detach().reshape(per_channel)
        var = running_var.detach().reshape(per_channel)
    out = centered * (var + eps).rsqrt()
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def _update(running: Tensor, batch_stat, momentum: float) -> None:
    """``running = (1 - momentum) * running + momentum * batch_stat``, in place, in its dtype."""
    running._array *= 1 - momentum
    running._array += (momentum * batch_stat).astype(running.dtype, copy=False)
    running._mark_modified()
