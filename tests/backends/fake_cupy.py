"""A stand-in for CuPy built on NumPy, so the CUDA backend's code runs on a machine without a GPU.

It mimics the small part of CuPy that ``backends.cupy_backend`` and the core touch, including
the rules that make GPU code fail where CPU code passes:

* arrays are ``FakeArray`` (a NumPy subclass with ``.get()``, ``.device`` and
  ``__cuda_array_interface__``), so a NumPy array leaking into a "cuda" tensor is detected;
* mixing a device array with a host ``numpy.ndarray`` in an op raises ``TypeError`` (as CuPy);
* every array lives on one fake GPU, and an op on an array of another GPU than the current one
  raises ``ValueError`` (as CuPy without peer access), so work outside ``activate()`` shows;
* reductions return 0-d arrays, never host scalars; reading a value on the host
  (``item``, ``bool``, ``float``, ``get``...) is counted in ``fake.host_syncs``;
* ``memory_limit`` makes any larger array raise ``cuda.memory.OutOfMemoryError``.

``install(monkeypatch)`` puts it in ``sys.modules`` as ``cupy``/``cupyx`` and re-registers the
``"cuda"`` device so the next ``backends.get("cuda")`` builds a ``CupyBackend`` on it.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy
from minigrad.backends import cupy_backend

from minigrad import backends


class CUDARuntimeError(RuntimeError):
    """CuPy's ``cupy_backends.cuda.api.runtime.CUDARuntimeError``."""


class OutOfMemoryError(MemoryError):
    """CuPy's ``cupy.cuda.memory.OutOfMemoryError(size, total, limit=0)``."""

    def __init__(self, size: int, total: int, limit: int = 0) -> None:
        self._size, self._total, self._limit = size, total, limit
        super().__init__(f"Out of memory allocating {size:,} bytes (allocated so far: {total:,} bytes).")


class _State:
    """The fake driver: how many GPUs, which is current, the memory limit, host reads."""

    def __init__(self, device_count: int, memory_limit: int | None) -> None:
        self.device_count = device_count
        self.count_error: Exception | None = None
        self.current = 0
        self.memory_limit = memory_limit
        self.host_syncs = 0


_state = _State(1, None)  # replaced by every make_fake_cupy()


class FakeArray(numpy.ndarray):
    """A NumPy array that claims to live on fake GPU ``self._device_id``."""

    def __array_finalize__(self, obj: Any) -> None:
        self._device_id = getattr(obj, "_device_id", _state.current)

    # --- what CuPy arrays have and NumPy arrays do not -------------------------------------
    @property
    def device(self) -> Device:
        return Device(self._device_id)

    @property
    def __cuda_array_interface__(self) -> dict:
        return {"shape": self.shape, "typestr": self.dtype.str, "version": 3,
                "data": (self.ctypes.data, False), "strides": self.strides}

    def get(self) -> numpy.ndarray:
        _state.host_syncs += 1
        return numpy.array(self.view(numpy.ndarray))

    def copy(self, order: str = "C") -> FakeArray:  # CuPy copies to the CURRENT device
        result = _wrap(numpy.array(self.view(numpy.ndarray), order=order))
        return result

    # --- host reads (a GPU waits for its queue) -------------------------------------------
    def item(self, *args: Any) -> Any:
        _state.host_syncs += 1
        return self.view(numpy.ndarray).item(*args)

    def tolist(self) -> Any:
        _state.host_syncs += 1
        return self.view(numpy.ndarray).tolist()

    def __bool__(self) -> bool:
        _state.host_syncs += 1
        return bool(self.view(numpy.ndarray))

    def __float__(self) -> float:
        _state.host_syncs += 1
        return float(self.view(numpy.ndarray))

    def __int__(self) -> int:
        _state.host_syncs += 1
        return int(self.view(numpy.ndarray))

    def __index__(self) -> int:
        _state.host_syncs += 1
        return self.view(numpy.ndarray).__index__()

    # --- CuPy's rules for ops ----------------------------------------------------------------
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        outputs = kwargs.get("out")
        if outputs is not None:
            _check_operands(outputs, ufunc.__name__)
            kwargs["out"] = tuple(_unwrap(o) for o in outputs)
        _check_operands(inputs, ufunc.__name__)
        result = getattr(ufunc, method)(*(_unwrap(i) for i in inputs), **kwargs)
        if outputs is not None:
            return outputs[0] if len(outputs) == 1 else outputs
        return None if method == "at" else _wrap(result)

    def __array_function__(self, func: Any, types_: Any, args: tuple, kwargs: dict) -> Any:
        _check_operands(args, func.__name__)
        _check_operands(tuple(kwargs.values()), func.__name__)
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))


def _check_operands(values: Any, name: str) -> None:
    for value in values:
        if isinstance(value, (list, tuple)):
            _check_operands(value, name)
        elif isinstance(value, FakeArray):
            if value._device_id != _state.current:
                raise ValueError(
                    f"{name}: the device where the array resides ({value._device_id}) is different "
                    f"from the current device ({_state.current}). Peer access is unavailable between "
                    "these devices."
                )
        elif isinstance(value, numpy.ndarray):
            raise TypeError(f"{name}: Unsupported type <class 'numpy.ndarray'> (a host array in a GPU op)")


def _unwrap(value: Any) -> Any:
    if isinstance(value, FakeArray):
        return value.view(numpy.ndarray)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _wrap(value: Any) -> Any:
    """A NumPy result as a FakeArray on the current GPU (host scalars become 0-d arrays)."""
    if isinstance(value, FakeArray):
        return value
    if isinstance(value, (numpy.ndarray, numpy.generic)):
        if _state.memory_limit is not None and value.nbytes > _state.memory_limit:
            raise OutOfMemoryError(value.nbytes, 0)
        array = numpy.asarray(value).view(FakeArray)
        array._device_id = _state.current
        return array
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _device_function(function: Any, accepts_host: bool = False) -> Any:
    """``cupy.<name>``: NumPy's function with CuPy's operand rules and device results."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if not accepts_host:
            _check_operands(args, function.__name__)
            _check_operands(tuple(kwargs.values()), function.__name__)
        return _wrap(function(*_unwrap(args), **_unwrap(kwargs)))

    call.__name__ = function.__name__
    return call


# --- cupy.cuda -----------------------------------------------------------------------------
class Device:
    """``cupy.cuda.Device``: a context manager that makes a GPU current."""

    def __init__(self, device: int | None = None) -> None:
        self.id = _state.current if device is None else int(device)
        self._previous: list[int] = []

    def __enter__(self) -> Device:
        self._previous.append(_state.current)
        _runtime_set_device(self.id)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _state.current = self._previous.pop()

    def use(self) -> None:
        _runtime_set_device(self.id)

    def synchronize(self) -> None:
        """Nothing is asynchronous here."""


def _runtime_get_device_count() -> int:
    if _state.count_error is not None:
        raise _state.count_error
    return _state.device_count


def _runtime_set_device(index: int) -> None:
    if not 0 <= index < _state.device_count:
        raise CUDARuntimeError("cudaErrorInvalidDevice: invalid device ordinal")
    _state.current = index


def _runtime_get_device() -> int:
    return _state.current


def _runtime_mem_get_info() -> tuple[int, int]:
    total = _state.memory_limit or 80 * 2**30
    return total // 2, total


# --- cupy.random -----------------------------------------------------------------------------
class _FakeBitGenerator:
    """Keeps its state in a device array, as cuRAND's XORWOW does: (seed, draws so far)."""

    def __init__(self, seed: int | None) -> None:
        if seed is None:
            seed = int(numpy.random.SeedSequence().generate_state(1, numpy.uint32)[0])
        self._device_id = _state.current
        self._state = _wrap(numpy.array([seed, 0], dtype=numpy.uint64).view(numpy.int8))

    def next_host_generator(self) -> numpy.random.Generator:
        if _state.current != self._device_id:
            raise RuntimeError("This Generator state is allocated in a different device")
        words = self._state.view(numpy.ndarray).view(numpy.uint64)
        seed, draws = int(words[0]), int(words[1])
        words[1] = draws + 1
        return numpy.random.default_rng([seed, draws])


class Generator:
    """``cupy.random.Generator`` over the fake bit generator (CuPy's dtype rules)."""

    def __init__(self, bit_generator: _FakeBitGenerator) -> None:
        self.bit_generator = bit_generator

    def standard_normal(self, size: Any = None, dtype: Any = numpy.float64) -> FakeArray:
        if numpy.dtype(dtype).char not in "fd":
            raise TypeError(f"Unsupported dtype {numpy.dtype(dtype).name} for standard_normal")
        host = self.bit_generator.next_host_generator()
        return _wrap(numpy.asarray(host.standard_normal(size, dtype=numpy.dtype(dtype))))

    def random(self, size: Any = None, dtype: Any = numpy.float64) -> FakeArray:
        host = self.bit_generator.next_host_generator()
        return _wrap(numpy.asarray(host.random(size)).astype(dtype))

    def integers(
        self, low: int, high: int | None = None, size: Any = None, dtype: Any = numpy.int64
    ) -> FakeArray:
        host = self.bit_generator.next_host_generator()
        return _wrap(numpy.asarray(host.integers(low, high, size=size)).astype(dtype))

    def poisson(self, lam: Any = 1.0, size: Any = None) -> FakeArray:
        host = self.bit_generator.next_host_generator()
        return _wrap(numpy.asarray(host.poisson(_unwrap(lam), size)))


def _default_rng(seed: int | None = None) -> Generator:
    return Generator(_FakeBitGenerator(seed))


# --- the module -------------------------------------------------------------------------------
class _FakeCupyModule(types.ModuleType):
    """``cupy``: explicit pieces below; anything else is NumPy's, with CuPy's rules applied."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(numpy, name)
        if callable(value) and not isinstance(value, (type, numpy.ufunc)):
            value = _device_function(value, accepts_host=name in ("asarray", "array", "asanyarray"))
        setattr(self, name, value)
        return value


def make_fake_cupy(device_count: int = 1, memory_limit: int | None = None) -> tuple[Any, Any]:
    """A fresh ``(cupy, cupyx)`` pair sharing a new fake driver state."""
    global _state
    _state = _State(device_count, memory_limit)

    cupy = _FakeCupyModule("cupy")
    cupy.__version__ = "14.0.0+fake"
    cupy.ndarray = FakeArray
    cupy.fake_state = _state

    def asnumpy(array: Any) -> numpy.ndarray:
        return array.get() if isinstance(array, FakeArray) else numpy.asarray(array)

    cupy.asnumpy = asnumpy
    cupy.random = types.SimpleNamespace(default_rng=_default_rng, Generator=Generator)
    # No sliding_window_view: the backend must not use CuPy's (it syncs with the host).
    cupy.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
        as_strided=_device_function(numpy.lib.stride_tricks.as_strided),
    ))
    runtime = types.SimpleNamespace(
        getDeviceCount=_runtime_get_device_count, getDevice=_runtime_get_device,
        setDevice=_runtime_set_device, memGetInfo=_runtime_mem_get_info, CUDARuntimeError=CUDARuntimeError,
    )
    cupy.cuda = types.SimpleNamespace(
        Device=Device, runtime=runtime, memory=types.SimpleNamespace(OutOfMemoryError=OutOfMemoryError),
    )

    def scatter_add(target: FakeArray, index: Any, values: Any) -> None:
        _check_operands((target, index, values), "scatter_add")
        numpy.add.at(_unwrap(target), _unwrap(index), _unwrap(values))

    cupyx = types.ModuleType("cupyx")
    cupyx.scatter_add = scatter_add
    return cupy, cupyx


def _reset_cuda_registry() -> None:
    # Registering again drops every cached "cuda:N" backend, real or fake.
    backends.register("cuda", backends._cupy_factory, backends._cupy_probe)


def install(monkeypatch: Any, device_count: int = 1, memory_limit: int | None = None) -> Any:
    """Make ``import cupy`` give a fresh fake until ``monkeypatch`` undoes; returns the fake.

    The ``"cuda"`` backends cached before are dropped, so the next ``backends.get("cuda")``
    builds one on the fake. Call :func:`uninstall` when the test ends (the ``fake_cuda``
    fixture does), so real and fake backends never mix.
    """
    cupy, cupyx = make_fake_cupy(device_count, memory_limit)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupyx", cupyx)
    monkeypatch.setattr(cupy_backend, "_current_device_chosen", False)
    _reset_cuda_registry()
    return cupy


def uninstall() -> None:
    """Drop the backends built on the fake."""
    _reset_cuda_registry()


def installer(monkeypatch: Any) -> Iterator[Callable[..., Any]]:
    """The body of a ``fake_cuda`` fixture: yields ``make(device_count=1, memory_limit=None)``,
    already called once (its fake is ``make.cupy``), and drops the fake backends at the end."""

    def make(device_count: int = 1, memory_limit: int | None = None) -> Any:
        return install(monkeypatch, device_count, memory_limit)

    make.cupy = make()
    yield make
    uninstall()
