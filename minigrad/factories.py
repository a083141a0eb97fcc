"""Functions that create tensors, with PyTorch's names and signatures."""

from __future__ import annotations

import numbers
import operator
from typing import Any

from minigrad import backends
from minigrad.backends.dtypes import as_dtype, default_float
from minigrad.errors import ArgumentError, UnsupportedDTypeError
from minigrad.tensor import Tensor, _shape_arg


def _finish(array: Any, backend: Any, requires_grad: bool) -> Tensor:
    tensor = Tensor._make(array, backend)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _float_dtype(dtype: Any) -> Any:
    return default_float() if dtype is None else as_dtype(dtype)


def _size(size: tuple, op: str) -> tuple[int, ...]:
    """A new tensor's shape from ``f(2, 3)`` or ``f((2, 3))``: integers, none negative."""
    try:
        shape = _shape_arg(size)
    except TypeError as error:
        raise TypeError(f"{op}(): argument 'size': {error}") from None
    if any(n < 0 for n in shape):
        raise ArgumentError(
            f"{op}: Trying to create tensor with negative dimension {min(shape)}: {list(shape)}; "
            "every size must be >= 0"
        )
    return shape


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor from a scalar, nested list, NumPy array or Tensor (Python floats -> float32).

    Always a copy, as ``torch.tensor``: an optimizer updating it in place must not write into
    the caller's array (``from_numpy`` is the sharing variant).
    """
    result = Tensor(data, dtype=dtype, device=device)
    if result._array is data or (isinstance(data, Tensor) and result._array is data._array):
        result._array = result._array.copy(order="K")  # keeps the layout (a transposed view stays so)
    return result.requires_grad_(True) if requires_grad else result


def from_numpy(array: Any) -> Tensor:
    """A CPU tensor that shares memory with a NumPy array, keeping its dtype."""
    backend = backends.get("cpu")
    if not backend.is_array(array):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array, backend)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    return _finish(backend.xp.zeros(_size(size, "zeros"), dtype=_float_dtype(dtype)), backend, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    return _finish(backend.xp.ones(_size(size, "ones"), dtype=_float_dtype(dtype)), backend, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    return _finish(backend.xp.empty(_size(size, "empty"), dtype=_float_dtype(dtype)), backend, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    if dtype is None:  # from the fill value, as PyTorch (NumPy scalars count as Python ones)
        if isinstance(fill_value, bool) or str(getattr(fill_value, "dtype", "")) == "bool":
            dtype = "bool"
        else:
            dtype = "int64" if isinstance(fill_value, numbers.Integral) else default_float()
    shape = _size((size,), "full")
    return _finish(backend.xp.full(shape, fill_value, dtype=as_dtype(dtype)), backend, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    for name, value in (("n", n), ("m", m)):
        if value is not None and _size((value,), "eye")[0] < 0:
            raise ArgumentError(f"eye: {name} must be greater or equal to 0, got {value}")
    return _finish(backend.xp.eye(n, m, dtype=_float_dtype(dtype)), backend, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = "int64" if integral else default_float()
    backend = backends.get(device)
    return _finish(backend.xp.arange(start, end, step, dtype=as_dtype(dtype)), backend, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, both included, as ``torch.linspace``.

    PyTorch's formula: the first half counts up from ``start``, the second half down from
    ``end`` (so both ends are exact), in ``dtype``. For an integer dtype, ``start`` and ``end``
    are truncated to integers first and the steps computed in float64, then truncated
    (``linspace(0.6, 3.6, 3, dtype=int64)`` is ``[0, 1, 3]``).
    """
    steps = operator.index(steps)
    if steps < 0:
        raise ArgumentError(f"linspace: number of steps must be non-negative, got {steps}")
    dtype = _float_dtype(dtype)
    if dtype.kind == "b":
        raise UnsupportedDTypeError('linspace: "linspace" is not implemented for bool (as PyTorch); '
                                    "compare an integer linspace instead (linspace(...) > 0)")
    backend = backends.get(device)
    xp = backend.xp
    if dtype.kind in "iu":
        first, last = float(int(start)), float(int(end))
        step = (last - first) / max(steps - 1, 1)
    else:
        first, last = dtype.type(start), dtype.type(end)
        step = (last - first) / dtype.type(max(steps - 1, 1))
    half = steps // 2
    up = xp.arange(half, dtype=xp.float64)  # start + step * i for the first half...
    down = xp.arange(steps - half - 1, -1, -1, dtype=xp.float64)  # ...end - step * j for the rest
    if dtype == xp.dtype("float16"):
        values = xp.concatenate([first + step * up.astype(dtype), last - step * down.astype(dtype)])
    else:
        # PyTorch's CPU kernel rounds each multiply-add once (a fused multiply-add); float32 gets
        # that from float64 arithmetic, float64 and integers need the exact product's error.
        first, last, step = float(first), float(last), float(step)
        values = xp.concatenate([_fused_multiply_add(xp, up, step, first), _fused_multiply_add(xp, down, -step, last)])
    if steps == 1:
        values = xp.full(1, first)  # PyTorch: just start
    return _finish(values.astype(dtype), backend, requires_grad)


def _fused_multiply_add(xp: Any, a: Any, b: float, c: float) -> Any:
    """``a * b + c`` in float64 with one rounding, as a hardware FMA: the product's rounding
    error (Dekker's split) and the sum's (Knuth's two-sum) are added back before rounding."""
    product = a * b
    split = 134217729.0  # 2**27 + 1
    a_big = a * split
    a_high = a_big - (a_big - a)
    a_low = a - a_high
    b_big = b * split
    b_high = b_big - (b_big - b)
    b_low = b - b_high
    product_error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low
    total = product + c
    virtual = total - c
    sum_error = (c - (total - virtual)) + (product - virtual)
    return total + (product_error + sum_error)


def _random_size(size: tuple, keyword: Any, op: str) -> tuple[int, ...]:
    """``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))``, as PyTorch accepts."""
    if keyword is not None:
        if size:
            raise TypeError(f"{op}(): got the size both positionally and as size=")
        size = (keyword,)
    return _size(size, op)


def _random_float_dtype(dtype: Any, op: str) -> Any:
    dtype = _float_dtype(dtype)
    if dtype.kind != "f":
        raise UnsupportedDTypeError(f'{op}: "{op}" not implemented for \'{dtype}\' (as PyTorch): use a float dtype')
    return dtype


def randn(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False,
          **kwargs: Any) -> Tensor:
    """Standard normal samples from ``generator`` or the device's default one (``manual_seed``)."""
    from minigrad.random_ops import normal_array

    backend = backends.get(device)
    shape = _random_size(size, kwargs.pop("size", None), "randn")
    _no_more(kwargs, "randn")
    array = normal_array(backend, shape, _random_float_dtype(dtype, "randn"), generator, "randn")
    return _finish(array, backend, requires_grad)


def rand(*size: Any, generator: Any = None, dtype: Any = None, device: Any = None, requires_grad: bool = False,
         **kwargs: Any) -> Tensor:
    """Uniform samples in [0, 1)."""
    from minigrad.random_ops import uniform_array

    backend = backends.get(device)
    shape = _random_size(size, kwargs.pop("size", None), "rand")
    _no_more(kwargs, "rand")
    array = uniform_array(backend, shape, _random_float_dtype(dtype, "rand"), generator, "rand")
    return _finish(array, backend, requires_grad)


def _no_more(kwargs: dict, op: str) -> None:
    if kwargs:
        raise TypeError(f"{op}() got an unexpected keyword argument '{next(iter(kwargs))}'")


def randint(low: int = 0, high: Any = None, size: Any = (), *, generator: Any = None, dtype: Any = None,
            device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers in ``[low, high)`` (int64 unless ``dtype``); ``randint(high, size)`` as PyTorch's
    short form."""
    from minigrad.generator import source_of

    if isinstance(high, (tuple, list)):  # randint(10, (3,)): the second argument is the size
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if low >= high:
        raise ArgumentError(
            f"randint: random_ expects 'from' to be less than 'to', but got from={low} >= to={high}; "
            "the range [low, high) must not be empty"
        )
    backend = backends.get(device)
    dtype = as_dtype(dtype or "int64")
    drawn = dtype if dtype.kind in "iu" else backend.xp.int64  # floats: whole numbers, drawn as int64
    source = source_of(backend, generator, "randint")
    array = backend.asarray(source.randint(low, high, _size((size,), "randint"), drawn)).astype(dtype, copy=False)
    return _finish(array, backend, requires_grad)


def randperm(n: int, *, generator: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0..n-1`` (int64 unless ``dtype``)."""
    from minigrad.random_ops import uniform_array

    backend = backends.get(device)
    (n,) = _size((n,), "randperm")
    order = backend.xp.argsort(uniform_array(backend, (n,), "float32", generator, "randperm"))
    return _finish(order.astype(as_dtype(dtype or "int64")), backend, requires_grad)


def _like(maker: Any, other: Tensor, dtype: Any, device: Any, requires_grad: bool, **kwargs: Any) -> Tensor:
    return maker(
        other.shape, dtype=dtype or other.dtype, device=device or other.device,
        requires_grad=requires_grad, **kwargs,
    )


def zeros_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(ones, input, dtype, device, requires_grad)


def empty_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(empty, input, dtype, device, requires_grad)


def randn_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(randn, input, dtype, device, requires_grad)


def rand_like(input: Tensor, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(rand, input, dtype, device, requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def manual_seed(seed: int) -> None:
    """Seed the random generator of every device, now and for devices first used later.

    Any int in ``[-2**63, 2**64)`` works, as in PyTorch: a negative seed is read as its 64-bit
    two's complement (``manual_seed(-1)`` is ``manual_seed(2**64 - 1)``).
    """
    seed = int(seed)
    if not -(2**63) <= seed < 2**64:
        raise ValueError(f"manual_seed: Overflow when unpacking long long: {seed} is outside [-2**63, 2**64)")
    backends.manual_seed(seed % 2**64)


def get_rng_state(device: Any = None) -> dict:
    """The random generator state of ``device`` (default device if None), as plain numbers."""
    return backends.get(device).get_rng_state()


def set_rng_state(state: dict, device: Any = None) -> None:
    """Restore a state from :func:`get_rng_state` (e.g. when resuming from a checkpoint)."""
    backends.get(device).set_rng_state(state)
