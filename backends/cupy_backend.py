"""The CUDA backend: CuPy arrays on one NVIDIA GPU.

CuPy mirrors NumPy's API, so the core runs the very same code on both; this file only

* imports CuPy when a ``"cuda"`` device is first used or probed (importing minigrad, or working
  on the CPU, never loads it);
* places work on the right GPU: every op's forward runs inside :meth:`CupyBackend.activate`,
  which makes this backend's GPU the current one (CuPy allocates on, and launches kernels on,
  the current GPU);
* keeps one random generator per GPU, seeded by ``minigrad.manual_seed``;
* turns CuPy's failures into errors that say how to fix them.

One process, one GPU is the supported pattern: the first CUDA device a process uses becomes its
current GPU, so code that works on raw arrays outside an op (``xp.zeros`` in a factory, an
optimizer's in-place update) lands on that GPU too.
"""

from __future__ import annotations

from typing import Any

import numpy
from minigrad.backends.base import Backend, BackendUnavailableError
from minigrad.backends.kernels.array_kernels import ArrayKernels

INSTALL_HINT = (
    "pip install cupy-cuda12x (or cupy-cuda13x) matching the CUDA version nvidia-smi shows; "
    'from a minigrad checkout: pip install -e ".[cuda12]"'
)

# Set once the first CUDA backend of this process has made its GPU the current one.
_current_device_chosen = False


class OutOfMemoryError(RuntimeError):
    """A GPU ran out of memory; the message says how much was requested and what to change."""


def import_cupy() -> Any:
    """Import CuPy, or raise :class:`BackendUnavailableError` saying how to install it."""
    try:
        import cupy
    except ModuleNotFoundError as error:
        if error.name not in ("cupy", None):
            raise BackendUnavailableError(
                f"CuPy is installed but cannot import {error.name!r} ({error}); reinstall it: "
                f"{INSTALL_HINT}"
            ) from None
        raise BackendUnavailableError(f"CuPy is not installed: {INSTALL_HINT}") from None
    except Exception as error:  # a broken install fails in many ways (missing CUDA libraries...)
        raise BackendUnavailableError(
            f"CuPy is installed but failed to import ({error}); "
            f"reinstall it: {INSTALL_HINT}"
        ) from None
    return cupy


def _import_cupyx() -> Any:
    import cupyx

    return cupyx


def gpu_count(cupy: Any) -> int:
    """How many GPUs CuPy sees; :class:`BackendUnavailableError` when there is no usable one."""
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDARuntimeError: no driver, driver too old, no device...
        if not nvidia_driver_found():
            # Without libcuda CUDA's runtime reports "driver version is insufficient": say what is true.
            raise BackendUnavailableError(
                f"no NVIDIA driver found (libcuda cannot be loaded): CuPy {cupy.__version__} is installed, but a "
                "CUDA GPU needs the NVIDIA driver. Install it (nvidia-smi then lists the GPU), or use --device cpu"
            ) from None
        raise BackendUnavailableError(
            f"CuPy {cupy.__version__} is installed but cannot use a CUDA GPU ({error}). If the "
            f"driver's CUDA version differs from CuPy's: {INSTALL_HINT}"
        ) from None
    if count < 1:
        raise BackendUnavailableError(
            "no CUDA GPU found (the driver reports 0 devices; is CUDA_VISIBLE_DEVICES empty?): "
            "check with nvidia-smi, or use --device cpu"
        )
    return count


def nvidia_driver_found() -> bool:
    """Whether the NVIDIA driver's library (libcuda.so.1, nvcuda.dll) can be loaded."""
    import ctypes
    import sys

    try:
        ctypes.CDLL("nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1")
    except OSError:
        return False
    return True


def unavailable_reason() -> str | None:
    """``None`` when ``"cuda"`` can run here, else why not and the fix (for ``backends.available``).

    Imports CuPy and counts GPUs; nothing else (no memory is allocated).
    """
    try:
        gpu_count(import_cupy())
    except BackendUnavailableError as error:
        return str(error)
    return None


def _bytes(count: int) -> str:
    """``1,000 bytes``, ``3.50 MiB``, ``2.00 GiB``."""
    if count < 1024:
        return f"{count:,} bytes"
    size, unit = count / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.2f} {unit}"


class CupyBackend(Backend):
    """The GPU ``cuda:index``: arrays are ``cupy.ndarray``, randomness a per-GPU cuRAND generator."""

    type = "cuda"
    scoped = True

    def __init__(self, index: int = 0) -> None:
        cupy = import_cupy()
        count = gpu_count(cupy)
        if not 0 <= index < count:
            gpus = "1 GPU" if count == 1 else f"{count} GPUs"
            raise BackendUnavailableError(
                f"cuda:{index} requested but only {gpus}: use cuda:0..cuda:{count - 1}"
            )
        self.xp = cupy
        self.array_type = cupy.ndarray
        self.index = index
        # The NumPy-like layouts, with every copy made at once: a GPU has no small cache to fit.
        self.kernels = ArrayKernels(block_bytes=None)
        #: CuPy's own out-of-memory type, for code that catches it outside an op.
        self.out_of_memory_error = cupy.cuda.memory.OutOfMemoryError
        self._runtime = cupy.cuda.runtime
        # cupy.add.at since CuPy 13; cupyx.scatter_add (deprecated in CuPy 14) before it.
        self._scatter_add = getattr(cupy.add, "at", None) or _import_cupyx().scatter_add
        global _current_device_chosen
        if not _current_device_chosen:
            cupy.cuda.Device(index).use()  # see the module docstring: one process, one GPU
            _current_device_chosen = True
        with self.activate():
            self.generator = cupy.random.default_rng()

    def activate(self, operation: str | None = None) -> _DeviceScope:
        """Run the ``with`` block on this GPU; a CuPy out-of-memory error inside it becomes an
        :class:`OutOfMemoryError` naming ``operation``, the size requested and the fix."""
        return _DeviceScope(self, operation)

    # --- moving data ---------------------------------------------------------------------
    def asarray(self, data: Any, dtype: Any = None) -> Any:
        cupy = self.xp
        with self.activate("copy to GPU"):
            if isinstance(data, cupy.ndarray):
                if data.device.id != self.index:
                    data = data.copy()  # CuPy copies to the CURRENT device (GPU to GPU)
                return data if dtype is None else data.astype(dtype, copy=False)
            return cupy.asarray(data, dtype=dtype)

    def to_numpy(self, array: Any) -> numpy.ndarray:
        return self.xp.asnumpy(array)  # waits for the GPU (a host copy)

    def is_array(self, obj: Any) -> bool:
        return isinstance(obj, self.xp.ndarray)

    def synchronize(self) -> None:
        self.xp.cuda.Device(self.index).synchronize()

    # --- randomness ----------------------------------------------------------------------
    def manual_seed(self, seed: int) -> None:
        with self.activate():  # cuRAND's state lives on, and must be used on, this GPU
            self.generator = self.xp.random.default_rng(seed)

    def get_rng_state(self) -> dict:
        """The cuRAND state array as hex text: plain JSON-able data a checkpoint can hold."""
        state = self._state_array()
        return {"bit_generator": type(self.generator.bit_generator).__name__,
                "state": self.xp.asnumpy(state).tobytes().hex()}

    def set_rng_state(self, state: dict) -> None:
        current = self._state_array()
        raw = numpy.frombuffer(bytes.fromhex(state["state"]), dtype=current.dtype)
        kind = type(self.generator.bit_generator).__name__
        if state.get("bit_generator") != kind or raw.size != current.size:
            raise ValueError(
                f"this random state is for a {state.get('bit_generator')} generator with {raw.size} "
                f"bytes of state, but {self.name} has a {kind} one with {current.size} (a checkpoint "
                "from a different GPU model?); call minigrad.manual_seed instead"
            )
        with self.activate():
            current[...] = self.xp.asarray(raw)

    def _state_array(self) -> Any:
        state = getattr(self.generator.bit_generator, "_state", None)
        if state is None:
            raise NotImplementedError(
                f"CuPy {self.xp.__version__} does not expose its generator state; use "
                "minigrad.manual_seed to make runs reproducible"
            )
        return state

    def randn(self, shape: tuple[int, ...], dtype: Any) -> Any:
        dtype = numpy.dtype(dtype)
        with self.activate("randn"):
            if dtype.char in "fd":
                return self.generator.standard_normal(shape, dtype=dtype)
            # cuRAND draws only float32/float64 normals: draw float32, then cast (float16).
            return self.generator.standard_normal(shape, dtype=numpy.float32).astype(dtype)

    def rand(self, shape: tuple[int, ...], dtype: Any) -> Any:
        with self.activate("rand"):
            return self.generator.random(shape, dtype=numpy.dtype(dtype))

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: Any) -> Any:
        with self.activate("randint"):
            return self.generator.integers(low, high, size=shape, dtype=numpy.dtype(dtype))

    def poisson(self, rates: Any) -> Any:
        with self.activate("poisson"):
            return self.generator.poisson(rates).astype(rates.dtype)

    # --- the few kernels whose spelling differs between libraries -----------------------
    def scatter_add(self, target: Any, index: Any, values: Any) -> None:
        with self.activate("scatter_add"):
            self._scatter_add(target, index, values)

    def sliding_window_view(
        self, array: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]
    ) -> Any:
        # Not cupy.lib.stride_tricks.sliding_window_view: CuPy 14's copies window_shape to the
        # GPU and reads it back to validate it, two host syncs per call (per conv and pool).
        return strided_windows(self.xp, array, window_shape, axis)

    def erf(self, array: Any) -> Any:
        try:
            from cupyx.scipy.special import erf  # CuPy's elementwise kernel
        except ImportError:  # a CuPy without cupyx.scipy: the array-op fallback
            return super().erf(array)
        with self.activate("erf"):
            return erf(array).astype(array.dtype, copy=False)

    def erfc(self, array: Any) -> Any:
        try:
            from cupyx.scipy.special import erfc
        except ImportError:
            return super().erfc(array)
        with self.activate("erfc"):
            return erfc(array).astype(array.dtype, copy=False)

    def erfinv(self, array: Any) -> Any:
        try:
            from cupyx.scipy.special import erfinv
        except ImportError:
            return super().erfinv(array)
        with self.activate("erfinv"):
            return self.xp.where(array == 0, array, erfinv(array)).astype(array.dtype, copy=False)


def strided_windows(xp: Any, array: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    """``sliding_window_view(array, window_shape, axis)`` built with ``as_strided``.

    Each window axis shrinks to ``size - window + 1`` positions and a new trailing axis of length
    ``window`` walks the same memory stride, so no data is copied and nothing runs on the GPU.
    """
    shape, strides = list(array.shape), list(array.strides)
    for window, dim in zip(window_shape, axis):
        dim %= array.ndim
        if window > shape[dim]:
            raise ValueError(f"window {window} is larger than axis {dim} of size {shape[dim]}")
        shape[dim] -= window - 1
        shape.append(window)
        strides.append(array.strides[dim])
    return xp.lib.stride_tricks.as_strided(array, shape=tuple(shape), strides=tuple(strides))


class _DeviceScope:
    """``with backend.activate():`` body of :meth:`CupyBackend.activate` (cheap: no allocation
    besides this object; the device is switched only when another one is current)."""

    __slots__ = ("backend", "operation", "previous")

    def __init__(self, backend: CupyBackend, operation: str | None) -> None:
        self.backend = backend
        self.operation = operation

    def __enter__(self) -> _DeviceScope:
        runtime = self.backend._runtime
        self.previous = runtime.getDevice()
        if self.previous != self.backend.index:
            runtime.setDevice(self.backend.index)
        return self

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> bool:
        if self.previous != self.backend.index:
            self.backend._runtime.setDevice(self.previous)
        if kind is not None and issubclass(kind, self.backend.out_of_memory_error):
            raise OutOfMemoryError(describe_out_of_memory(self.backend, error, self.operation)) from error
        return False


def describe_out_of_memory(backend: CupyBackend, error: BaseException, operation: str | None) -> str:
    """The message for a CuPy out-of-memory error: where, how much, and what to change."""
    requested = getattr(error, "_size", None)
    asked = f"tried to allocate {_bytes(requested)}" if requested else "an allocation failed"
    where = f" in {operation}" if operation else ""
    try:
        free, total = backend._runtime.memGetInfo()
        status = f"; {_bytes(free)} of the GPU's {_bytes(total)} free"
    except Exception:  # the report must not fail while reporting
        status = ""
    return (
        f"CUDA out of memory on {backend.name}{where}: {asked}{status}. Use a smaller batch "
        "(--batch-size) or model, and keep no references to tensors you no longer need "
        f"(e.g. accumulate loss.item(), not loss). CuPy said: {error}"
    )
