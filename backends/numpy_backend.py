"""The CPU backend: NumPy arrays and NumPy's PCG64 generator."""

from __future__ import annotations

from typing import Any

import numpy
from minigrad.backends.base import Backend
from minigrad.backends.host_memory import tune_malloc_for_arrays
from minigrad.backends.kernels import cpu_kernels


class NumpyBackend(Backend):
    xp = numpy
    type = "cpu"
    index = 0
    array_type = numpy.ndarray

    def __init__(self) -> None:
        self.generator = numpy.random.default_rng()
        self.kernels = cpu_kernels()  # numba's where it is installed, else NumPy's
        self.malloc_tuned = tune_malloc_for_arrays()  # reuse array buffers (see host_memory)

    def asarray(self, data: Any, dtype: Any = None) -> numpy.ndarray:
        if hasattr(data, "__cuda_array_interface__") and hasattr(data, "get"):
            data = data.get()  # a CuPy array coming home
        return numpy.asarray(data, dtype=dtype)

    def to_numpy(self, array: Any) -> numpy.ndarray:
        return numpy.asarray(array)

    def is_array(self, obj: Any) -> bool:
        return isinstance(obj, numpy.ndarray)

    def manual_seed(self, seed: int) -> None:
        self.generator = numpy.random.default_rng(seed)

    def get_rng_state(self) -> dict:
        return self.generator.bit_generator.state

    def set_rng_state(self, state: dict) -> None:
        self.generator.bit_generator.state = state

    def randn(self, shape: tuple[int, ...], dtype: Any) -> numpy.ndarray:
        dtype = numpy.dtype(dtype)
        if dtype.char not in "fd":  # NumPy draws only float32/float64: cast for float16
            return self.generator.standard_normal(shape, dtype=numpy.float32).astype(dtype)
        return self.generator.standard_normal(shape, dtype=dtype)

    def rand(self, shape: tuple[int, ...], dtype: Any) -> numpy.ndarray:
        dtype = numpy.dtype(dtype)
        if dtype.char not in "fd":
            return self.generator.random(shape, dtype=numpy.float32).astype(dtype)
        return self.generator.random(shape, dtype=dtype)

    def randint(self, low: int, high: int, shape: tuple[int, ...], dtype: Any) -> numpy.ndarray:
        return self.generator.integers(low, high, size=shape, dtype=numpy.dtype(dtype))

    def poisson(self, rates: numpy.ndarray) -> numpy.ndarray:
        return self.generator.poisson(rates).astype(rates.dtype)

    def scatter_add(self, target: numpy.ndarray, index: Any, values: numpy.ndarray) -> None:
        numpy.add.at(target, index, values)

    def sliding_window_view(
        self, array: numpy.ndarray, window_shape: tuple[int, ...], axis: tuple[int, ...]
    ) -> numpy.ndarray:
        return numpy.lib.stride_tricks.sliding_window_view(array, window_shape, axis=axis)

    def erf(self, array: numpy.ndarray) -> numpy.ndarray:
        try:  # SciPy's kernel when installed (not a dependency); else the array-op fallback
            from scipy.special import erf
        except ImportError:
            return super().erf(array)
        return erf(array).astype(array.dtype, copy=False)

    def erfc(self, array: numpy.ndarray) -> numpy.ndarray:
        try:
            from scipy.special import erfc
        except ImportError:
            return super().erfc(array)
        return erfc(array).astype(array.dtype, copy=False)

    def erfinv(self, array: numpy.ndarray) -> numpy.ndarray:
        try:
            from scipy.special import erfinv
        except ImportError:
            return super().erfinv(array)
        return numpy.where(array == 0, array, erfinv(array)).astype(array.dtype, copy=False)  # -0.0 kept

