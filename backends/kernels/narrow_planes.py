"""Narrow planes: the copy of an image that turns a stride-1 correlation into flat runs.

Plane ``j`` of input channel ``c`` holds ``x_pad[n, c, r, j : j + Wo]`` at row ``r`` (``x_pad``:
the image with its zero padding, which is copied too), so it is ``Wo`` numbers wide. Read flat,
the window of kernel tap ``(i, j)`` over all ``Ho * Wo`` output positions is then ONE contiguous
run of plane ``j``, from row ``i`` on: ``x_pad[y + i, x + j]`` for output ``(y, x)`` sits at flat
position ``(y + i) * Wo + x = i * Wo + (y * Wo + x)``. A kernel can therefore cut every tap's
work into vectors of ``L`` neighbouring output positions, only the very last one partly
masked, whatever the output's width (a row of 10 would fill 10 of 16 lanes). One image's planes
are a few kilobytes: they stay in L1 or L2.

The padding's zeros are real numbers in the planes: an inf or nan weight over the padding gives
nan, as in the reference (``ops/conv.py``) and PyTorch.
"""

from __future__ import annotations

from minigrad.backends.kernels.llvm_vectors import VectorFunction

__all__ = ["NarrowPlanesFunction"]


class NarrowPlanesFunction(VectorFunction):
    """A :class:`VectorFunction` that copies an image into its narrow planes. The subclass sets
    ``c, h, w`` (the image), ``ph, pw`` (its padding), ``wo`` (the output's width), ``rows`` (the
    padded height, ``Ho + KH - 1``), ``kw`` and the IR values ``x`` (N, C, H, W) and ``planes``
    (KW, C, rows, Wo)."""

    def copy_narrow_planes(self, n) -> None:
        """Every plane of image ``n``."""
        for j in range(self.kw):
            self.for_range(self.const(0), self.const(self.c), lambda ci, j=j: self.copy_narrow_plane(n, ci, j))

    def copy_narrow_plane(self, n, ci, j: int) -> None:
        """Plane ``j`` of input channel ``ci``: row ``r`` is ``x_pad[n, ci, r, j : j + Wo]``."""
        b, width = self.b, self.width
        vectors = [(v * width, [v * width + lane < self.wo for lane in range(width)])
                   for v in range(-(-self.wo // width))]

        def row(r, inside: bool) -> None:
            start = self.offset(j, self.c, ci, self.rows, r, self.wo, 0)
            if inside:
                source = self.offset(n, self.c, ci, self.h, b.sub(r, self.const(self.ph)), self.w, 0)
            for first, kept in vectors:
                column = first + j - self.pw  # under the vector's first lane
                valid = [kept[lane] and 0 <= column + lane < self.w for lane in range(width)]
                value = self.zeros
                if inside and any(valid):
                    value = self.load(self.x, b.add(source, self.const(column)), valid)
                self.store(value, self.planes, b.add(start, self.const(first)), kept)

        bounds = (0, self.ph, self.ph + self.h, self.rows)  # the top padding, the image, the bottom
        for part in range(3):
            if bounds[part] < bounds[part + 1]:
                self.for_range(self.const(bounds[part]), self.const(bounds[part + 1]),
                               lambda r, inside=part == 1: row(r, inside))

