"""Activation functions (``torch.nn.functional``'s): relu, leaky_relu, gelu, silu, elu, softplus...

``inplace=True`` overwrites the input's array only when no graph is being recorded for it.
minigrad has no version counters to detect that an op saved the input for backward, so while
recording, ``inplace=True`` returns a new tensor instead (same values, correct gradients).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.errors import ArgumentError, ShapeError, UnsupportedDTypeError
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


# --- the course's activations, composed from primitives (exact gradients of every order) ---
# PyTorch's SELU constants (Klambauer et al., 2017).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _floating_only(x: Tensor, name: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(x).__name__}")
    if x.dtype.kind != "f":
        raise UnsupportedDTypeError(
            f'{name}: "{name}" is not implemented for {x.dtype} (as PyTorch); call .float() first'
        )


def _activation(x: Tensor, name: str, inplace: bool, compute: Callable[[Tensor], Tensor]) -> Tensor:
    """``compute(x)``, or written into ``x`` (recorded like any in-place op) when ``inplace``."""
    _floating_only(x, name)
    if inplace:
        # While recording, computed from a recorded copy: the ops inside may save their input
        # for backward, and the write below would change it under them (the version check
        # would refuse). Without a graph nothing is saved, so no copy.
        recording = is_grad_enabled() and x.requires_grad
        return x._inplace(name + "_", lambda: compute(x.clone() if recording else x))
    return compute(x)


def _stable_softplus(z: Tensor) -> Tensor:
    """``log(1 + exp(z))``: ``z + log1p(exp(-z))`` above 0, ``log1p(exp(z))`` elsewhere.

    Each branch reads ``z`` clamped to its own side, so no exp overflows (and no inf meets the
    zero gradient ``where`` sends to the branch it drops). Two branches rather than
    ``max(z, 0) + log1p(exp(-|z|))``: there the gradients 1/2 - 1/2 + exp(z) of a very
    negative z cancel to 0 when summed in that order; here the derivative is ``sigmoid(z)``."""
    above, below = z.clamp(min=0.0), z.clamp(max=0.0)
    return where(z._array > 0, above + (-above).exp().log1p(), below.exp().log1p())


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """``x * Phi(x)``, Phi the standard normal CDF: ``x/2 * (1 + erf(x/sqrt(2)))``; with
    ``approximate="tanh"``, ``x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))``. Any shape."""
    _floating_only(input, "gelu")
    if approximate == "none":
        return input * 0.5 * ((input * (1 / math.sqrt(2.0))).erf() + 1)
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * 0.5 * (inner.tanh() + 1)
    raise ValueError(f"gelu: approximate argument must be either none or tanh, got {approximate!r}")


def silu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * sigmoid(x)`` (swish). Any shape."""
    return _activation(input, "silu", inplace, lambda x: x * x.sigmoid())


def mish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * tanh(softplus(x))``. Any shape."""
    return _activation(input, "mish", inplace, lambda x: x * _stable_softplus(x).tanh())


def _exponential_linear(x: Tensor, alpha: float, scale: float, input_scale: float) -> Tensor:
    """``scale * x`` where ``x > 0``, else ``scale * alpha * (exp(input_scale * x) - 1)``.

    The negative branch reads ``min(x, 0)``: exp of a large positive x would overflow there and,
    although ``where`` drops that value, its zero gradient times inf would be NaN."""
    negative = (x.clamp(max=0.0) * input_scale).expm1() * (alpha * scale)
    return where(x._array > 0, x * scale if scale != 1.0 else x, negative)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere. Any shape."""
    return _activation(input, "elu", inplace, lambda x: _exponential_linear(x, alpha, 1.0, 1.0))


def selu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``scale * elu(x, alpha)`` with PyTorch's constants (self-normalising). Any shape."""
    return _activation(input, "selu", inplace, lambda x: _exponential_linear(x, SELU_ALPHA, SELU_SCALE, 1.0))


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``. Any shape."""
    if alpha == 0:
        raise ArgumentError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    return _activation(input, "celu", inplace, lambda x: _exponential_linear(x, alpha, 1.0, 1.0 / alpha))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """``log(1 + exp(beta * x)) / beta``, and ``x`` itself where ``beta * x > threshold`` (as
    PyTorch: there the two agree to float precision). Any shape."""
    _floating_only(input, "softplus")
    scaled = input * beta if beta != 1.0 else input
    smooth = _stable_softplus(scaled)
    if beta != 1.0:
        smooth = smooth / beta
    return where(scaled._array > threshold, input, smooth)


def softsign(input: Tensor) -> Tensor:  # noqa: A002
    """``x / (1 + |x|)``. Any shape; an integer input gives float32, as PyTorch."""
    return input / (input.abs() + 1)


def logsigmoid(input: Tensor) -> Tensor:  # noqa: A002
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large |x|. Any shape."""
    _floating_only(input, "log_sigmoid")
    return -_stable_softplus(-input)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` clipped to ``[min_val, max_val]``. As PyTorch, the gradient passes only strictly
    inside (``clamp`` would pass it at the bounds too). Any shape."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) cannot be greater than max_val ({max_val})")

    if input.dtype.kind in "iu":  # PyTorch clips integers too, keeping their dtype (no gradient)
        clipped = Tensor._make(input.backend.xp.clip(input._array, min_val, max_val).astype(input.dtype),
                               input.backend)
        return input.copy_(clipped) if inplace else clipped

    def compute(x: Tensor) -> Tensor:
        return where(x._array <= min_val, min_val, where(x._array >= max_val, max_val, x))

    return _activation(input, "hardtanh", inplace, compute)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``min(max(x, 0), 6)``: PyTorch's ``hardtanh(x, 0, 6)``. Any shape."""
    if input.dtype.kind in "iu":
        return hardtanh(input, 0.0, 6.0, inplace)
    return _activation(input, "relu6", inplace, lambda x: hardtanh(x, 0.0, 6.0))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``relu6(x + 3) / 6``: 0 below -3, 1 above 3, linear between. Any shape."""
    return _activation(input, "hardsigmoid", inplace, lambda x: hardtanh(x + 3.0, 0.0, 6.0) / 6.0)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x * relu6(x + 3) / 6`` (MobileNetV3). Any shape."""
    return _activation(input, "hardswish", inplace, lambda x: x * hardtanh(x + 3.0, 0.0, 6.0) / 6.0)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:  # noqa: A002
    """``softmax(-x)`` along ``dim``."""
    x, dim = _prepare(input, dim, dtype, "softmin")
    return (-x).softmax(dim)


def prelu(input: Tensor, weight: Tensor) -> Tensor:  # noqa: A002
    """``x`` where positive, ``weight * x`` elsewhere; ``weight`` has 1 value or one per
    channel (dim 1 of the input; a 1-D input has no channel dim)."""
    _floating_only(input, "prelu")
    if weight.numel() != 1:
        channels = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim == 1 else 1)
        if weight.ndim != 1 or weight.shape[0] != channels:
            raise ShapeError(
                f"prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                f"{weight.numel()} and channel size = {channels} (input {tuple(input.shape)})"
            )
        if input.ndim >= 2:
            weight = weight.reshape((1, channels) + (1,) * (input.ndim - 2))
    elif input.ndim > 0:
        weight = weight.reshape(())
    return where(input._array > 0, input, input * weight)


def rrelu(
    input: Tensor,  # noqa: A002
    lower: float = 1.0 / 8,
    upper: float = 1.0 / 3,
    training: bool = False,
    inplace: bool = False,
) -> Tensor:
    """Randomised leaky relu: slope ``U(lower, upper)`` per element while training (drawn from
    the tensor's generator), the mean slope ``(lower + upper) / 2`` in evaluation."""
    _floating_only(input, "rrelu")
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)

    def compute(x: Tensor) -> Tensor:
        draw_dtype = x.dtype if x.dtype.name in ("float32", "float64") else "float32"
        uniform = x.backend.rand(tuple(x.shape), draw_dtype).astype(x.dtype, copy=False)
        slope = Tensor._make(uniform * (upper - lower) + lower, x.backend)
        return where(x._array >= 0, x, x * slope)

    return _activation(input, "rrelu", inplace, compute)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` where ``x > threshold``, else ``value``. Any shape."""

    def compute(x: Tensor) -> Tensor:
        return where(x._array > threshold, x, value)

    if inplace:
        return input._inplace("threshold_", lambda: compute(input))
    return compute(input)


_threshold = threshold  # for threshold_, whose argument of the same name hides the function


def glu(input: Tensor, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: split ``dim`` into halves ``a, b``; ``a * sigmoid(b)``."""
    _floating_only(input, "glu")
    if input.ndim == 0:
        raise ShapeError("glu does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise ShapeError(f"glu: Halving dimension must be even, but dimension {dim} is size {size}")
    first, second = input.split(size // 2, dim)
    return first * second.sigmoid()


def tanhshrink(input: Tensor) -> Tensor:  # noqa: A002
    """``x - tanh(x)``. Any shape; an integer input gives float32, as PyTorch."""
    return input - input.tanh()


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between. Any shape."""
    _floating_only(input, "softshrink")
    if lambd < 0:
        raise ArgumentError(f"softshrink: lambda must be greater or equal to 0, but found to be {lambd}.")
    return where(input._array > lambd, input - lambd, where(input._array < -lambd, input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """``x`` where ``|x| > lambd``, else 0. Any shape."""
    _floating_only(input, "hardshrink")
    return where((input._array > lambd) | (input._array < -lambd), input, 0.0)


# PyTorch's in-place spellings (``F.elu_(x)`` is ``F.elu(x, inplace=True)``).
def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return elu(input, alpha, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:  # noqa: A002
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:  # noqa: A002
    return selu(input, inplace=True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    return leaky_relu(input, negative_slope, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    return hardtanh(input, min_val, max_val, inplace=True)


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False) -> Tensor:  # noqa: A002
    return rrelu(input, lower, upper, training, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:  # noqa: A002
    return _threshold(input, threshold, value, inplace=True)
