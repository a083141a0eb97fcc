"""Math composed from primitives: lerp, logaddexp, logsumexp, prod, nansum, nanmean,
var_mean, std_mean, aminmax, count_nonzero. No backward of their own: the graph of the
primitives they call is differentiated, to any order.

Where a formula has a removable singularity (``log(0)`` in logsumexp of ``-inf``s, the
``0 * inf`` of a norm's gradient at 0), the "double where" keeps both the value and the
gradient finite: the unsafe input is replaced before the singular op, the result after it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from minigrad.backends.dtypes import floating_result, result_type
from minigrad.errors import DTypeError, UnsupportedDTypeError
from minigrad.ops import reduction, scan
from minigrad.ops.composite import mean, var
from minigrad.ops.elementwise import where


class MinMax(NamedTuple):
    """What ``aminmax`` returns, as PyTorch's named tuple."""

    min: Any
    max: Any


def refuse_integers(op: str, x: Any) -> None:
    if x.dtype.kind not in "fc":
        name = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                "bool": "Bool"}.get(x.dtype.name, x.dtype.name)
        raise UnsupportedDTypeError(f'"{op}" not implemented for \'{name}\': convert with .float() first')


def lerp(start: Any, end: Any, weight: Any) -> Any:
    """``start + weight * (end - start)``; from ``weight >= 0.5`` on, ``end - (end - start) *
    (1 - weight)``, as PyTorch, so that ``weight == 1`` gives ``end`` exactly."""
    from minigrad.tensor import Tensor

    refuse_integers("lerp_kernel", start)
    for name, other in (("end", end), ("weight", weight)):
        if isinstance(other, Tensor) and other.dtype != start.dtype:
            raise DTypeError(
                f"lerp: expected dtype {start.dtype} for `{name}` but got dtype {other.dtype} (PyTorch does not "
                "promote here); convert it with .to(start.dtype)"
            )
    difference = end - start
    low = start + weight * difference
    high = end - difference * (1 - weight)
    if not isinstance(weight, Tensor):
        return low if abs(weight) < 0.5 else high
    return where(weight.detach().abs()._array < 0.5, low, high)


def _finite_or_zero(m: Any) -> Any:
    """A shift for log-sum-exp: the max where it is finite, else 0 (a constant: no gradient)."""
    xp = m.backend.xp
    return where(xp.isfinite(m._array), m, 0).detach()


def logaddexp(a: Any, b: Any) -> Any:
    """``log(exp(a) + exp(b))`` as ``max + log1p(exp(min - max))``: no overflow, and exact to
    the last digit when one term dominates. Where both are the same infinity, that infinity."""
    from minigrad.ops.composite import maximum, minimum
    from minigrad.ops.logic import _other_as_tensor

    _other_as_tensor("logaddexp", b)
    a, b = a._promoted(b, "logaddexp", exact=True)
    refuse_integers("logaddexp_cpu", a)
    high, low = maximum(a, b), minimum(a, b)
    same_infinity = high.backend.xp.isinf(high._array) & (high._array == low._array)
    gap = where(same_infinity, 0.0, low - high)  # <= 0, and never inf - inf
    return high + gap.exp().log1p()


def logsumexp(x: Any, dim: Any, keepdim: bool = False) -> Any:
    """``log(sum(exp(x), dim))``, shifted by the max (or by 0 where the max is infinite)."""
    if x.dtype.kind not in "fc":
        x = x._floating()
    dims = reduction.normalize_dims(dim, x.ndim)
    if x.numel() == 0:
        return x.sum(dims, keepdim).log()  # log(0) = -inf, as PyTorch
    shift = _finite_or_zero(x.detach().amax(dims, keepdim=True))
    # shift has size 1 along dims: summing it there only drops those dims (when not keepdim)
    return (x - shift).exp().sum(dims, keepdim).log() + shift.sum(dims, keepdim)


def prod(x: Any, dim: int | None = None, keepdim: bool = False) -> Any:
    """The product along ``dim`` (all elements when None): the last entry of ``cumprod``, so the
    gradient is cumprod's, exact with zeros (PyTorch's ``prod_backward``)."""
    if dim is None:
        flat = x.reshape(-1)
        result = prod(flat, 0) if flat.numel() else flat.sum() * 0 + 1
        return result.reshape((1,) * x.ndim) if keepdim else result
    (dim,) = reduction.normalize_dims(dim, x.ndim) or (0,)
    if x.ndim == 0:
        return x * 1
    if x.shape[dim] == 0:  # the empty product is 1
        return x.sum(dim, keepdim) * 0 + 1
    last = scan.Cumprod.apply(x, dim=dim)[(slice(None),) * dim + (slice(-1, None),)]
    return last if keepdim else last.squeeze(dim)


def nansum(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The sum with NaNs counted as 0; they get no gradient."""
    if x.dtype.kind == "f":
        x = where(x._array != x._array, 0, x)
    return x.sum(dim, keepdim)


def nanmean(x: Any, dim: Any = None, keepdim: bool = False) -> Any:
    """The mean of the non-NaN elements (NaN where there are none; there the gradient is 0,
    where PyTorch's is NaN: its nansum backward multiplies the infinite ``grad / 0`` by 0)."""
    if x.dtype.kind not in "fc":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point or complex dtype but got {x.dtype}; "
            "convert with .float()"
        )
    present = x._array == x._array
    from minigrad.tensor import Tensor

    counts = Tensor._make(present.astype(x.dtype), x.backend).sum(dim, keepdim)
    return nansum(x, dim, keepdim) / counts


def safe_sqrt(x: Any) -> Any:
    """``sqrt(x)`` whose gradient is 0 where ``x == 0`` (PyTorch's ``std`` backward masks the
    ``grad / (2 * 0)`` there), not ``inf * 0 = nan``."""
    zero = x.detach()._array == 0
    if not zero.any():
        return x.sqrt()
    return where(zero, 0.0, where(zero, 1.0, x).sqrt())


def var_mean(x: Any, dim: Any = None, correction: float = 1, keepdim: bool = False) -> tuple[Any, Any]:
    return var(x, dim, correction, keepdim), mean(x, dim, keepdim)


def std_mean(x: Any, dim: Any = None, correction: float = 1, keepdim: bool = False) -> tuple[Any, Any]:
    return safe_sqrt(var(x, dim, correction, keepdim)), mean(x, dim, keepdim)


def aminmax(x: Any, dim: int | None = None, keepdim: bool = False) -> MinMax:
    """``(amin, amax)``; ties share the gradient equally, as PyTorch's ``aminmax``."""
    if x.numel() == 0 and dim is None:
        raise RuntimeError(
            "aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
            "identity; pass dim= to reduce a non-empty one"
        )
    return MinMax(x.amin(dim, keepdim), x.amax(dim, keepdim))


def count_nonzero(x: Any, dim: Any = None) -> Any:
    from minigrad.tensor import Tensor

    dims = reduction.normalize_dims(dim, x.ndim)
    counts = x.backend.xp.asarray(x.backend.xp.count_nonzero(x._array, axis=dims))  # NumPy 1.x: an int
    return Tensor._make(counts.astype("int64"), x.backend)


# --- smaller elementwise composites ------------------------------------------------------------
def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Any:
    """NaN, +inf and -inf replaced (by default with 0 and the dtype's largest and smallest finite
    numbers); the replaced cells get no gradient."""
    if x.dtype.kind not in "fc":
        return x.clone()
    xp = x.backend.xp
    info = xp.finfo(x.dtype)
    a = x._array
    high = info.max if posinf is None else posinf
    low = info.min if neginf is None else neginf
    replaced = where(a != a, nan, where(xp.isinf(a) & (a > 0), high, where(xp.isinf(a) & (a < 0), low, x)))
    return replaced


def copysign(a: Any, b: Any) -> Any:
    """``|a|`` with the sign of ``b`` (a sign bit: ``-0.0`` counts as negative). The gradient is
    +-1 in ``a`` (0 where ``a == 0``, as PyTorch) and 0 in ``b``."""
    a, b = a._promoted(b, "copysign", floating=True, exact=True)
    xp = a.backend.xp
    b_array = b._array if hasattr(b, "_array") else xp.asarray(b, dtype=a.dtype)
    flip = xp.signbit(a._array) != xp.signbit(b_array)
    signed_zero = xp.copysign(xp.zeros(a.shape, dtype=a.dtype), b_array)
    result = where(a._array == 0, signed_zero, where(flip, -a, a))
    if getattr(b, "requires_grad", False):  # PyTorch gives b a zero gradient, not none at all
        result = result + where(xp.zeros(b.shape, dtype=bool), b, 0.0)
    return result


def xlogy(x: Any, y: Any) -> Any:
    """``x * log(y)``, and 0 where ``x == 0`` (unless ``y`` is NaN). As PyTorch, the gradient in
    ``x`` is ``log(y)``, except 0 where ``x == 0`` and ``y <= 0``; the one difference: where both
    are 0 the gradient in ``y`` is 0 here (PyTorch's is ``0 / 0 = nan``)."""
    from minigrad.tensor import Tensor

    if not isinstance(x, Tensor):  # xlogy(2, y): a number first, on y's device
        x = Tensor._make(y.backend.xp.asarray(x, dtype=floating_result(result_type(x, y))), y.backend)
    x, y = x._promoted(y, "xlogy", floating=True, exact=True)
    if not isinstance(y, Tensor):
        y = Tensor._make(x.backend.xp.asarray(y, dtype=x.dtype), x.backend)
    flat = (x._array == 0) & (y._array <= 0)  # 0 * log(y <= 0): 0, with no slope in x
    log_y = where(flat, 0.0, where(flat, 1.0, y).log())
    zero_times_inf = (x._array == 0) & (y._array == x.backend.xp.inf)  # 0 * log(inf): 0, not nan
    return where(zero_times_inf, 0.0, x * log_y)


def sinc(x: Any) -> Any:
    """``sin(pi x) / (pi x)``, and 1 at 0 (with gradient 0 there)."""
    import math

    x = x._floating()
    half = x.dtype.itemsize == 2  # PyTorch computes half precision in float32 (sin(pi * 1) is 0 there)
    wide = x.float() if half else x
    zero = wide._array == 0
    scaled = where(zero, 1.0, wide) * math.pi
    result = where(zero, 1.0, scaled.sin() / scaled)
    return result.to(x.dtype) if half else result


def fmax_fmin(a: Any, b: Any, op: str) -> Any:
    """``fmax``/``fmin``: like maximum/minimum, but a NaN loses to a number. On ties the gradient
    goes to ``a`` (PyTorch's rule: ``a >= b`` picks ``a``)."""
    from minigrad.ops.logic import _other_as_tensor

    _other_as_tensor(op, b)
    a, b = a._promoted(b, op)
    first, second = a._array, b._array
    wins = (first >= second) if op == "fmax" else (first <= second)
    if a.dtype.kind in "fc":
        wins = wins | (second != second)
    return where(wins, a, b)


def logit(x: Any, eps: float | None = None) -> Any:
    """``log(x / (1 - x))``; with ``eps``, ``x`` is clamped to ``[eps, 1 - eps]`` first. Outside
    ``[0, 1]`` the value is NaN and the gradient finite (PyTorch's gradient is NaN there)."""
    x = x._floating()
    if eps is not None:
        x = x.clamp(eps, 1 - eps)
    return (x / (1 - x)).log()


def heaviside(x: Any, values: Any) -> Any:
    """0 below zero, 1 above, ``values`` at zero; not differentiable (as in PyTorch)."""
    from minigrad.ops.logic import _other_as_tensor
    from minigrad.tensor import Tensor

    _other_as_tensor("heaviside", values)
    if x.dtype != values.dtype:
        raise DTypeError(f"heaviside is not yet implemented for tensors with different dtypes ({x.dtype} and "
                         f"{values.dtype}); convert one with .to()")
    xp = x.backend.xp
    a = x._array
    result = xp.where(a == 0, values._array, (a > 0).astype(a.dtype)).astype(a.dtype, copy=False)
    return Tensor._make(result, x.backend)


def clamp_with_tensors(x: Any, low: Any, high: Any) -> Any:
    """``clamp(x, min=tensor, max=tensor)``: ``min(max(x, low), high)`` elementwise, broadcast.
    The gradient goes to ``x`` where it is kept, else to the bound that replaced it (``high``
    wins where ``low > high``, as PyTorch)."""
    from minigrad.tensor import Tensor

    bounds = [b for b in (low, high) if b is not None]
    if not all(isinstance(b, Tensor) for b in bounds):
        raise TypeError(
            "clamp(): min and max must both be Tensors or both numbers (PyTorch's two overloads); "
            "make the number a tensor with minigrad.tensor(value)"
        )
    dtype = result_type(x, *bounds)
    x, low, high = (None if t is None else t.to(dtype) for t in (x, low, high))
    out = x
    if low is not None:
        out = where(out._array < low._array, low, out)
    if high is not None:
        out = where(out._array > high._array, high, out)
    return out
