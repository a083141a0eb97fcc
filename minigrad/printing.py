"""A tensor's ``repr`` in PyTorch's style: ``tensor([1., 2.], requires_grad=True)``.

PyTorch's rules (``torch/_tensor_str.py``), reimplemented on the host array: one formatter per
tensor picks integer mode (``1.``), fixed point (``1.5000``) or scientific notation
(``1.0000e-05``) from the nonzero finite values, every element is padded to the widest, lines
wrap at ``linewidth``, and a tensor of more than ``threshold`` elements is summarised to
``edgeitems`` rows/columns at each end of every dimension. Suffixes follow: the device when it
is not the default device's type, the dtype when it is not the default float / int64 / bool,
then ``grad_fn=<MulBackward0>`` or ``requires_grad=True``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()
_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """PyTorch's ``set_printoptions``: digits after the point, the element count above which a
    tensor is summarised, the items kept at each end, the line width, a named ``profile``
    (``"default"``, ``"short"``, ``"full"``) and ``sci_mode`` (None: chosen per tensor)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; use one of {sorted(_PROFILES)}")
        for key, value in _PROFILES[profile].items():
            setattr(PRINT_OPTS, key, value)
    for key, value in (("precision", precision), ("threshold", threshold), ("edgeitems", edgeitems),
                       ("linewidth", linewidth)):
        if value is not None:
            setattr(PRINT_OPTS, key, value)
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """How every element of one (real) array is written, and the width they are padded to."""

    def __init__(self, values: numpy.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            self.max_width = max([len(str(v)) for v in flat.tolist()] or [1])
            return
        finite = flat[numpy.isfinite(flat) & (flat != 0)]
        if finite.size:  # else every element is 0, nan or inf: "0.", "nan", "inf"
            self._measure_floats(finite)

    def _measure_floats(self, finite: numpy.ndarray) -> None:
        magnitudes = numpy.abs(finite.astype(numpy.float64))
        smallest, largest = float(magnitudes.min()), float(magnitudes.max())
        values = finite.tolist()
        precision = PRINT_OPTS.precision
        self.int_mode = all(value == math.ceil(value) for value in values)
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        if self.sci_mode:
            widths = [len(f"{value:.{precision}e}") for value in values]
        elif self.int_mode:
            # Whole numbers print as "3." (the point says the dtype is floating): one more column.
            widths = [len(f"{value:.0f}") + 1 for value in values]
        else:
            widths = [len(f"{value:.{precision}f}") for value in values]
        self.max_width = max(self.max_width, *widths)

    def width(self) -> int:
        return self.max_width

    def format(self, value: Any) -> str:
        precision = PRINT_OPTS.precision
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{precision}e}"
        elif self.int_mode:
            text = f"{value:.0f}"
            if not (math.isinf(value) or math.isnan(value)):
                text += "."
        else:
            text = f"{value:.{precision}f}"
        return (self.max_width - len(text)) * " " + text


class _ComplexFormatter:
    """A complex element as PyTorch writes it: the real part, then the signed imaginary part."""

    def __init__(self, values: numpy.ndarray) -> None:
        self.real = _Formatter(values.real)
        self.imag = _Formatter(values.imag)

    def width(self) -> int:
        return self.real.width() + self.imag.width() + 1

    def format(self, value: complex) -> str:
        real = self.real.format(value.real)
        imag = (self.imag.format(value.imag) + "j").lstrip()
        return real + imag if imag[0] in "+-" else real + "+" + imag


def _summarized(array: numpy.ndarray) -> numpy.ndarray:
    """Only the elements a summarised print shows (what the formatter measures)."""
    edge = PRINT_OPTS.edgeitems
    if array.ndim == 0:
        return array
    if array.ndim == 1:
        return numpy.concatenate([array[:edge], array[-edge:]]) if len(array) > 2 * edge else array
    if not edge:
        return array[tuple(slice(0, 0) for _ in range(array.ndim))]
    rows = range(len(array))
    if len(array) > 2 * edge:
        rows = [*range(edge), *range(len(array) - edge, len(array))]
    return numpy.stack([_summarized(array[i]) for i in rows])


def _vector(array: numpy.ndarray, indent: int, summarize: bool, formatter: Any) -> str:
    element_length = formatter.width() + 2  # ", " between elements
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and len(array) > 2 * edge:
        data = ([formatter.format(v) for v in array[:edge].tolist()] + [" ..."]
                + [formatter.format(v) for v in array[-edge:].tolist()])
    else:
        data = [formatter.format(v) for v in array.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(array: numpy.ndarray, indent: int, summarize: bool, formatter: Any) -> str:
    if array.ndim == 0:
        return formatter.format(array.item())
    if array.ndim == 1:
        return _vector(array, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    if summarize and len(array) > 2 * edge:
        slices = ([_nested(array[i], indent + 1, summarize, formatter) for i in range(edge)] + ["..."]
                  + [_nested(array[i], indent + 1, summarize, formatter) for i in range(len(array) - edge, len(array))])
    else:
        slices = [_nested(array[i], indent + 1, summarize, formatter) for i in range(len(array))]
    return "[" + ("," + "\n" * (array.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def format_array(array: numpy.ndarray, indent: int) -> str:
    """The bracketed numbers of a host array, as PyTorch prints a tensor's contents."""
    if array.size == 0:
        return "[]"
    if array.dtype == numpy.float16:
        array = array.astype(numpy.float32)  # PyTorch formats half precision as float
    summarize = array.size > PRINT_OPTS.threshold
    measured = _summarized(array) if summarize else array
    formatter = _ComplexFormatter(measured) if array.dtype.kind == "c" else _Formatter(measured)
    return _nested(array, indent, summarize, formatter)


def _add_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    parts = [text]
    last_line_length = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_length + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_length = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_length += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def tensor_repr(tensor: Any) -> str:
    """``repr(tensor)``: ``tensor([...], dtype=..., device=..., grad_fn=<...>)``."""
    from minigrad import dtypes
    from minigrad.backends import default_device, parse_device
    from minigrad.backends.dtypes import default_complex

    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    device = tensor.device
    if device.type != parse_device(default_device())[0]:
        suffixes.append(f"device='{device}'")
    dtype = tensor.dtype
    default = dtypes.get_default_dtype()
    array = tensor.backend.to_numpy(tensor._array)
    if array.size == 0:
        if array.ndim != 1:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype != default:  # no elements to tell an int64 tensor by: always named
            suffixes.append(f"dtype={dtype}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(array.shape)}")
        if dtype not in (default, dtypes.wrap(default_complex()), dtypes.int64, dtypes.bool_):
            suffixes.append(f"dtype={dtype}")
        body = format_array(array, indent)
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn=<{tensor.grad_fn.display_name}>")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
