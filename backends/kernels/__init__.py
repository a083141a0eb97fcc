"""Fast realisations of the hot primitives, owned by a backend and chosen by shape.

``minigrad/ops`` holds what each primitive computes, with one reference realisation (conv2d:
im2col + one GEMM; max pooling: windows + max). A backend's ``kernels`` may compute the very
same result another way for the shapes where that pays, so a device brings its own fast code
(cache-blocked NumPy copies, numba loops, later fused CUDA kernels) without touching ``ops``.

Every method returns the primitive's result, or ``None``: "no fast realisation for these
shapes; use the reference". ``tests/backends/test_kernels.py`` pins each realisation, with
each of its internal paths, to the reference on every device.

* :class:`Kernels` (here): no fast realisations (every primitive runs its reference); the
  default for a new backend.
* :class:`~minigrad.backends.kernels.array_kernels.ArrayKernels`: written against the array
  module ``xp`` (NumPy or CuPy): shape-chosen convolution layouts (a block of images per GEMM,
  channels last, scatter), tiling max pooling.
* :class:`~minigrad.backends.kernels.numba_kernels.NumbaKernels`: the CPU's, when numba is
  installed (the ``fast`` extra): compiled loops for max pooling and for convolutions from one
  input channel, and for LeNet-sized layers the vector kernels (LLVM IR with explicit SIMD
  vectors, JIT-compiled by llvmlite, which numba brings; their machine code cached on disk by
  :mod:`~minigrad.backends.kernels.object_cache`): stride-1 convolutions by rows
  (:mod:`~minigrad.backends.kernels.vector_conv`) or over narrow planes
  (:mod:`~minigrad.backends.kernels.vector_plane_conv`), their weight gradients
  (:mod:`~minigrad.backends.kernels.vector_weight_gradient`), tiling max pooling
  (:mod:`~minigrad.backends.kernels.vector_pool`); and SGD's momentum step in one pass.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Kernels", "cpu_kernels"]


class Kernels:
    """The interface, with no fast realisations: every primitive runs its reference.

    Arguments are the primitive's arrays and its normalised ``(h, w)`` pairs, already checked
    by ``minigrad.nn.functional``; ``backend`` gives ``xp`` and the backend's array methods.
    """

    name = "reference"

    def conv2d(self, backend: Any, x: Any, weight: Any, bias: Any, stride, padding, dilation, groups: int,
               out_size: tuple[int, int]) -> Any:
        """``(N, O, Ho, Wo)``: the cross-correlation plus ``bias`` (None: no bias), or None."""
        return None

    def max_pool2d(self, backend: Any, x: Any, kernel_size, stride, dilation, out_size: tuple[int, int]) -> Any:
        """Unpadded max pooling: ``(values, indices)``, both (N, C, Ho, Wo), or None.

        ``indices`` are PyTorch's flat ``h * W + w`` (int64); ties go to the first maximum in
        row-major window order and a NaN always wins (the last of several), as in the reference.
        """
        return None

    def scatter_to_winners(self, backend: Any, grad: Any, indices: Any, input_size: tuple[int, int],
                           kernel_size, stride, padding, dilation) -> Any:
        """``(N, C, H, W)`` zeros with each window's ``grad`` (N, C, Ho, Wo) added at its flat
        index (overlapping windows add up), or None. The window geometry says whether windows
        can share a winner."""
        return None

    def gather_winners(self, backend: Any, x: Any, indices: Any, kernel_size, stride, padding, dilation) -> Any:
        """``x`` (N, C, H, W) read at each window's flat index: (N, C, Ho, Wo), or None."""
        return None

    def relu(self, backend: Any, x: Any) -> Any:
        """``max(x, 0)`` as a new array, NaN kept (NumPy's ``maximum``), or None."""
        return None

    def threshold_backward(self, backend: Any, grad: Any, out: Any) -> Any:
        """ReLU's backward from its output ``out`` (same shape and dtype as ``grad``): ``grad``
        where NOT ``out <= 0`` (so a NaN output passes its gradient), else 0 — a select, never
        NaN where the unit is dead — or None."""
        return None

    def momentum_step(self, backend: Any, param: Any, grad: Any, buffer: Any, lr: float, momentum: float) -> Any:
        """SGD's momentum step in place, ``buffer = momentum * buffer + grad; param -= lr * buffer``,
        rounded as ``optim.SGD``'s NumPy sequence (the scalars in the arrays' dtype, one rounding
        per operation, no fused multiply-add): True when done, or None."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


def cpu_kernels(prefer: str | None = None) -> Kernels:
    """The CPU's kernels: numba's where numba is installed, else the NumPy ones.

    ``prefer`` (default ``$MINIGRAD_KERNELS``): ``"numba"``, ``"numpy"`` or ``"reference"``
    (no fast realisations at all), to compare or to debug.
    """
    import os

    from minigrad.backends.kernels.array_kernels import ArrayKernels

    choice = (prefer or os.environ.get("MINIGRAD_KERNELS", "") or "numba").lower()
    if choice == "reference":
        return Kernels()
    if choice not in ("numba", "numpy"):
        raise ValueError(f"MINIGRAD_KERNELS={choice!r}: use 'numba', 'numpy' or 'reference'")
    if choice == "numba":
        from minigrad.backends.kernels import numba_kernels

        if numba_kernels.available():
            return numba_kernels.NumbaKernels(block_bytes=CPU_BLOCK_BYTES)
    return ArrayKernels(block_bytes=CPU_BLOCK_BYTES)


#: The CPU kernels copy windows (im2col) in blocks of about this many bytes (a quarter of a
#: 2 MiB L2 cache per core), each consumed by its GEMM while still in cache.
CPU_BLOCK_BYTES = 512 * 1024
