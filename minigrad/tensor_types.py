"""PyTorch's legacy tensor type names (``x.type()`` is ``'minigrad.FloatTensor'``)."""

from __future__ import annotations

from minigrad import dtypes

_NAMES = {
    "float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
    "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
    "uint8": "ByteTensor", "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
    "complex128": "ComplexDoubleTensor",
}
_DTYPES = {name: dtype_name for dtype_name, name in _NAMES.items()}


def type_name(dtype: dtypes.dtype, device_type: str) -> str:
    """``'minigrad.FloatTensor'`` for a float32 CPU tensor, ``'minigrad.cuda.FloatTensor'`` on CUDA."""
    place = "minigrad." if device_type == "cpu" else f"minigrad.{device_type}."
    return place + _NAMES[dtype.name]


def dtype_of_type_name(name: str) -> dtypes.dtype:
    """The dtype a type name stands for (``'minigrad.LongTensor'`` or ``'torch.LongTensor'``)."""
    short = name.rsplit(".", 1)[-1]
    if short not in _DTYPES:
        raise ValueError(f"invalid type: {name!r}; use a name such as 'minigrad.FloatTensor' or a dtype")
    return dtypes.wrap(_DTYPES[short])
