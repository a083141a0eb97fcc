"""Normalisation (``torch.nn.functional``'s): batch_norm, layer_norm, group_norm, instance_norm,
rms_norm and local_response_norm.

Composed from differentiable ops (mean, subtraction, rsqrt, products), so its gradient, and
the gradient of that, come from the graph; no hand-written backward to get wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import ShapeError
from minigrad.ops.composite import pad
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


# --- issue 11: layer, group, instance, RMS and local response normalisation ----------------
def _normalized_dims(input: Tensor, normalized_shape: int | Sequence[int], name: str) -> tuple[int, ...]:  # noqa: A002
    """The trailing dims ``normalized_shape`` names, after checking that the input ends with it."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise ShapeError(
            f"{name}: Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size{list(input.shape)}"
        )
    return tuple(range(input.ndim - len(shape), input.ndim))


def _standardize(x: Tensor, dims: tuple[int, ...], eps: float) -> Tensor:
    """``(x - mean) / sqrt(var + eps)`` over ``dims``, with the biased variance."""
    centered = x - x.mean(dims, keepdim=True)
    return centered * ((centered * centered).mean(dims, keepdim=True) + eps).rsqrt()


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample over its last dims ``normalized_shape`` (input (*, *normalized_shape));
    then ``* weight + bias``, both of shape ``normalized_shape``."""
    out = _standardize(input, _normalized_dims(input, normalized_shape, "layer_norm"), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def rms_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    eps: float | None = None,
) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last dims ``normalized_shape``; ``eps=None``
    is the machine epsilon of the input's dtype, as PyTorch."""
    dims = _normalized_dims(input, normalized_shape, "rms_norm")
    if eps is None:
        eps = float(input.backend.xp.finfo(input.dtype).eps)
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def group_norm(
    input: Tensor,  # noqa: A002
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the channels of ``input`` (N, C, *) into ``num_groups`` groups and normalise each
    sample's group over its channels and positions; then ``* weight + bias`` per channel (C,)."""
    if input.ndim < 2:
        raise ShapeError(f"group_norm: expected an input (N, C, *) with at least 2 dims, got {tuple(input.shape)}")
    batch, channels = input.shape[0], input.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise ShapeError(
            f"group_norm: Expected number of channels in input to be divisible by num_groups, but got input of "
            f"shape {list(input.shape)} and num_groups={num_groups}"
        )
    if batch * (input.numel() // max(batch * num_groups, 1)) == 1:
        # PyTorch's check (it counts the batch too, so one sample of one-element groups fails).
        raise ValueError(
            f"Expected more than 1 value per channel when training, got input size {list(input.shape)}"
        )
    grouped = input.reshape(batch, num_groups, input.numel() // max(batch * num_groups, 1))
    out = _standardize(grouped, (2,), eps).reshape(input.shape)
    return _per_channel_affine(out, weight, bias)


def _per_channel_affine(out: Tensor, weight: Tensor | None, bias: Tensor | None) -> Tensor:
    per_channel = (1, out.shape[1]) + (1,) * (out.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    if bias is not None:
        out = out + bias.reshape(per_channel)
    return out


def instance_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    use_input_stats: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each sample's channel over its positions: input (N, C, *spatial).

    ``use_input_stats``: with this input's statistics, folding their batch average into the
    running buffers when given (the unbiased variance, as batch norm); else with the buffers.
    """
    if input.ndim < 3:
        raise ShapeError(f"instance_norm: expected an input (N, C, *spatial), got {tuple(input.shape)}")
    spatial = tuple(range(2, input.ndim))
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var are required when use_input_stats=False")
        per_channel = (1, input.shape[1]) + (1,) * len(spatial)
        centered = input - running_mean.detach().reshape(per_channel)
        out = centered * (running_var.detach().reshape(per_channel) + eps).rsqrt()
        return _per_channel_affine(out, weight, bias)
    count = input.numel() // max(input.shape[0] * input.shape[1], 1)
    if count <= 1:
        raise ValueError(
            f"Expected more than 1 spatial element when training, got input size {list(input.shape)}"
        )
    mean = input.mean(spatial, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(spatial, keepdim=True)
    if running_mean is not None and running_var is not None:
        with no_grad():
            channels = input.shape[1]
            _update(running_mean, mean._array.reshape(-1, channels).mean(0), momentum)
            unbiased = var._array.reshape(-1, channels).mean(0) * (count / (count - 1))
            _update(running_var, unbiased, momentum)
    return _per_channel_affine(centered * (var + eps).rsqrt(), weight, bias)


def local_response_norm(
    input: Tensor,  # noqa: A002
    size: int,
    alpha: float = 1e-4,
    beta: float = 0.75,
    k: float = 1.0,
) -> Tensor:
    """AlexNet's normalisation across channels: ``x / (k + alpha * mean_window(x^2))^beta``, the
    mean over ``size`` neighbouring channels (zero-padded, ``size // 2`` before), input (N, C, *)."""
    if input.ndim < 3:
        raise ValueError(
            f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)"
        )
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    squares = pad(input * input, (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2))
    window = squares[:, 0:channels]
    for offset in range(1, size):
        window = window + squares[:, offset:offset + channels]
    return input / ((window * (alpha / size)) + k) ** beta
