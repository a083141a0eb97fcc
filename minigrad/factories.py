"""Functions that create tensors, with PyTorch's names and signatures."""

from __future__ import annotations

import numbers
from typing import Any

from minigrad import backends
from minigrad.backends.dtypes import DEFAULT_FLOAT, as_dtype
from minigrad.tensor import Tensor, _shape_arg


def _finish(array: Any, backend: Any, requires_grad: bool) -> Tensor:
    tensor = Tensor._make(array, backend)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _float_dtype(dtype: Any) -> Any:
    return DEFAULT_FLOAT if dtype is None else as_dtype(dtype)


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
    return _finish(backend.xp.zeros(_shape_arg(size), dtype=_float_dtype(dtype)), backend, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    return _finish(backend.xp.ones(_shape_arg(size), dtype=_float_dtype(dtype)), backend, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    return _finish(backend.xp.empty(_shape_arg(size), dtype=_float_dtype(dtype)), backend, requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    if dtype is None:  # from the fill value, as PyTorch (NumPy scalars count as Python ones)
        if isinstance(fill_value, bool) or str(getattr(fill_value, "dtype", "")) == "bool":
            dtype = "bool"
        else:
            dtype = "int64" if isinstance(fill_value, numbers.Integral) else DEFAULT_FLOAT
    shape = (size,) if isinstance(size, int) else tuple(size)
    return _finish(backend.xp.full(shape, fill_value, dtype=as_dtype(dtype)), backend, requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    return _finish(backend.xp.eye(n, m, dtype=_float_dtype(dtype)), backend, requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        integral = all(isinstance(v, numbers.Integral) for v in (start, end, step))
        dtype = "int64" if integral else DEFAULT_FLOAT
    backend = backends.get(device)
    return _finish(backend.xp.arange(start, end, step, dtype=as_dtype(dtype)), backend, requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    backend = backends.get(device)
    return _finish(backend.xp.linspace(start, end, steps, dtype=_float_dtype(dtype)), backend, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the device's generator (seed it with ``manual_seed``)."""
    backend = backends.get(device)
    return _finish(backend.randn(_shape_arg(size), _float_dtype(dtype)), backend, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    backend = backends.get(device)
    return _finish(backend.rand(_shape_arg(size), _float_dtype(dtype)), backend, requires_grad)


def randint(low: int, high: Any = None, size: Any = (), dtype: Any = None, device: Any = None) -> Tensor:
    """Integers in ``[low, high)``; ``randint(high, size)`` as PyTorch's short form."""
    if isinstance(high, (tuple, list)):  # randint(10, (3,)): the second argument is the size
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    backend = backends.get(device)
    return Tensor._make(backend.randint(low, high, tuple(size), as_dtype(dtype or "int64")), backend)


def randperm(n: int, dtype: Any = None, device: Any = None) -> Tensor:
    backend = backends.get(device)
    order = backend.xp.argsort(backend.rand((n,), DEFAULT_FLOAT))
    return Tensor._make(order.astype(as_dtype(dtype or "int64")), backend)


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
    """Seed the random generator of every device, now and for devices first used later."""
    backends.manual_seed(int(seed))


def get_rng_state(device: Any = None) -> dict:
    """The random generator state of ``device`` (default device if None), as plain numbers."""
    return backends.get(device).get_rng_state()


def set_rng_state(state: dict, device: Any = None) -> None:
    """Restore a state from :func:`get_rng_state` (e.g. when resuming from a checkpoint)."""
    backends.get(device).set_rng_state(state)
