"""The CPU's compiled kernels (numba, the ``fast`` extra): loops NumPy has no single operation for.

They cover max pooling, one pass over each independent (image, channel) plane:

* forward, for windows that do not tile the image: maxima and indices in one pass over each
  plane (tiling windows keep the NumPy kernel);
* backward: the scatter of each window's gradient to its winner (overlapping windows add up,
  in order) and its adjoint, the gather.

The loops are serial on purpose. Run in parallel (``prange``), numba's OpenMP pool and
OpenBLAS's threads each spin while waiting for work; on a 2-core machine they took the cores
from each other and a LeNet step ran 2-3x slower than with either one alone
(``benchmarks/lenet_mnist.py``). OpenBLAS keeps the cores for the GEMMs, which is where the
work is; these loops are memory-bound passes that gain little from a second thread.

Everything else is the NumPy realisations' (``ArrayKernels``). numba is imported, and each
loop compiled (then cached on disk), on first use, so importing minigrad stays light.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from typing import Any

from minigrad.backends.kernels.array_kernels import ArrayKernels


def available() -> bool:
    """Whether numba is installed (without importing it)."""
    return importlib.util.find_spec("numba") is not None


def compiles(dtype: Any) -> bool:
    """Whether the loops take this dtype: float32/64 and the integers (numba has no float16)."""
    return dtype.kind in "iu" or dtype.char in "fd"


class NumbaKernels(ArrayKernels):
    """``ArrayKernels`` with max pooling as compiled loops (CPU only)."""

    name = "numba"

    def max_pool2d(self, backend, x, kernel_size, stride, dilation, out_size):
        found = super().max_pool2d(backend, x, kernel_size, stride, dilation, out_size)  # tiling windows
        if found is not None or not compiles(x.dtype):
            return found
        xp = backend.xp
        n, c, h, w = x.shape
        planes = xp.ascontiguousarray(x).reshape(n * c, h, w)
        values = xp.empty((n * c, *out_size), dtype=x.dtype)
        indices = xp.empty((n * c, *out_size), dtype=xp.int64)
        _compiled().max_pool(planes, values, indices, *kernel_size, *stride, *dilation)
        return values.reshape(n, c, *out_size), indices.reshape(n, c, *out_size)

    def scatter_to_winners(self, backend, grad, indices, input_size, kernel_size, stride, padding, dilation):
        if not compiles(grad.dtype):
            return super().scatter_to_winners(backend, grad, indices, input_size, kernel_size, stride, padding,
                                              dilation)
        xp = backend.xp
        n, c, ho, wo = grad.shape
        h, w = input_size
        out = xp.zeros((n * c, h * w), dtype=grad.dtype)
        _compiled().scatter(
            xp.ascontiguousarray(grad).reshape(n * c, ho * wo),
            xp.ascontiguousarray(indices).reshape(n * c, ho * wo),
            out,
        )
        return out.reshape(n, c, h, w)

    def gather_winners(self, backend, x, indices, kernel_size, stride, padding, dilation):
        if not compiles(x.dtype):
            return super().gather_winners(backend, x, indices, kernel_size, stride, padding, dilation)
        xp = backend.xp
        n, c, h, w = x.shape
        out = xp.empty(indices.shape, dtype=x.dtype)
        _compiled().gather(
            xp.ascontiguousarray(x).reshape(n * c, h * w),
            xp.ascontiguousarray(indices).reshape(n * c, -1),
            out.reshape(n * c, -1),
        )
        return out


@cache
def _compiled() -> Any:
    """The loops, compiled by numba on first use (and cached on disk between runs)."""
    import numba

    jit = numba.njit(cache=True, nogil=True)  # serial: see the module docstring

    # Each loop takes one-dimensional views of its plane first: numba then compiles the inner
    # loops to plain (vectorisable) runs over memory.
    @jit
    def max_pool(planes, values, indices, kh, kw, sh, sw, dh, dw):
        w = planes.shape[2]
        ho, wo = values.shape[1], values.shape[2]
        for p in range(planes.shape[0]):
            plane = planes[p]
            for y in range(ho):
                best_row, where_row = values[p, y], indices[p, y]
                for v in range(wo):
                    top, left = y * sh, v * sw
                    best = plane[top, left]
                    where = top * w + left
                    for i in range(kh):
                        row = plane[top + i * dh]
                        for j in range(kw):
                            value = row[left + j * dw]
                            # PyTorch's rule: the first maximum, but a NaN (value != value)
                            # always takes over; never true for integers.
                            if value > best or value != value:
                                best = value
                                where = (top + i * dh) * w + left + j * dw
                    best_row[v] = best
                    where_row[v] = where

    @jit
    def scatter(grad, indices, out):
        for p in range(grad.shape[0]):  # overlapping windows add in order
            source, where, target = grad[p], indices[p], out[p]
            for k in range(source.shape[0]):
                target[where[k]] += source[k]

    @jit
    def gather(x, indices, out):
        for p in range(x.shape[0]):
            source, where, target = x[p], indices[p], out[p]
            for k in range(where.shape[0]):
                target[k] = source[where[k]]

    return _Loops(max_pool, scatter, gather)


class _Loops:
    def __init__(self, max_pool, scatter, gather) -> None:
        self.max_pool, self.scatter, self.gather = max_pool, scatter, gather
