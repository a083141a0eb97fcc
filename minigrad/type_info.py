"""``minigrad.finfo`` and ``minigrad.iinfo``: the limits of a floating or integer dtype
(``torch.finfo`` / ``torch.iinfo``: the same fields, values and printing; ``dtype`` is a string)."""

from __future__ import annotations

from typing import Any

import numpy

from minigrad import dtypes


class finfo:  # noqa: N801  (PyTorch's spelling)
    """``bits``, ``eps``, ``max``, ``min``, ``tiny`` (= ``smallest_normal``) and ``resolution`` of
    a floating dtype (default: the default dtype), as Python floats."""

    def __init__(self, type: Any = None) -> None:  # noqa: A002  (PyTorch's argument name)
        chosen = dtypes.get_default_dtype() if type is None else dtypes.wrap(type)
        if chosen.kind not in "fc":
            raise TypeError("minigrad.finfo() requires a floating point input type. "
                            "Use minigrad.iinfo to handle 'minigrad.finfo'")
        info = numpy.finfo(chosen.dtype)
        self.bits = int(info.bits)
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(info.precision)  # PyTorch: exactly 10 ** -digits, as a double
        self.dtype = info.dtype.name

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:  # noqa: N801
    """``bits``, ``max`` and ``min`` of an integer dtype, as Python ints."""

    def __init__(self, type: Any) -> None:  # noqa: A002
        chosen = dtypes.wrap(type)
        if chosen.kind == "b":
            raise TypeError("minigrad.bool is not supported by minigrad.iinfo")  # as PyTorch
        if chosen.kind not in "iu":
            raise TypeError("minigrad.iinfo() requires an integer input type. "
                            "Use minigrad.finfo to handle 'minigrad.iinfo'")
        info = numpy.iinfo(chosen.dtype)
        self.bits, self.min, self.max = int(info.bits), int(info.min), int(info.max)
        self.dtype = chosen.name

    def __repr__(self) -> str:
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"
