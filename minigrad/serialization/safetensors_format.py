"""The safetensors format (Hugging Face's; how PyTorch users share weights), without torch.

A file is an 8-byte little-endian header length N, N bytes of JSON, then the tensors' bytes:
``{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
"__metadata__": {"key": "value"}}``, offsets relative to the end of the header, little-endian,
C order, the tensors tiling the data region without gaps or overlaps. Only a flat mapping of
names to tensors fits, which is exactly a ``state_dict``. Spec: huggingface/safetensors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, BinaryIO, Protocol

import numpy

from minigrad.serialization.errors import CheckpointError
from minigrad.serialization.locations import Placer

MAX_HEADER_BYTES = 100_000_000  # the reference implementation's limit
_DTYPES = {
    "BOOL": numpy.dtype("bool"), "U8": numpy.dtype("<u1"), "I8": numpy.dtype("<i1"),
    "I16": numpy.dtype("<i2"), "I32": numpy.dtype("<i4"), "I64": numpy.dtype("<i8"),
    "F16": numpy.dtype("<f2"), "F32": numpy.dtype("<f4"), "F64": numpy.dtype("<f8"),
    "C64": numpy.dtype("<c8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}
# Formats PyTorch can write that NumPy (so minigrad) has no dtype for: say how to convert.
_UNSUPPORTED = ("BF16", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "U16", "U32", "U64")


class SeekableReader(Protocol):
    """What reading needs of a file: ``read``, ``readinto`` and ``seek`` (a file, ``io.BytesIO``)."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readinto(self, buffer: Any, /) -> int: ...

    def seek(self, position: int, /) -> int: ...


def check_writable(tensors: Any) -> None:
    """Raise TypeError/ValueError unless ``tensors`` is a flat ``{str: Tensor}`` mapping."""
    from minigrad.tensor import Tensor

    if not isinstance(tensors, Mapping) or not all(
            isinstance(key, str) and isinstance(value, Tensor) for key, value in tensors.items()):
        raise TypeError("a .safetensors file holds a flat dict of str names to Tensors (a state_dict); "
                        "save other checkpoints (optimizer state, epochs...) to a .npz or .pt path")
    if "__metadata__" in tensors:
        raise ValueError("'__metadata__' is reserved by the safetensors format; rename that tensor")


def write(tensors: Any, file: BinaryIO) -> None:
    """Write a flat ``{name: Tensor}`` mapping (a ``state_dict``) as a safetensors file."""
    check_writable(tensors)
    header: dict[str, Any] = {}
    arrays = []
    offset = 0
    for key, tensor in tensors.items():
        array = tensor.backend.to_numpy(tensor.detach()._array)
        code = _CODES.get(array.dtype.newbyteorder("="))
        if code is None:
            raise TypeError(f"{key}: safetensors has no {array.dtype} type")
        array = numpy.asarray(array, dtype=_DTYPES[code], order="C")
        header[key] = {"dtype": code, "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}
        arrays.append(array)
        offset += array.nbytes
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned, as the reference writer does
    file.write(len(encoded).to_bytes(8, "little"))
    file.write(encoded)
    for array in arrays:
        file.write(array.reshape(-1).view(numpy.uint8).data)


def looks_like_safetensors(prefix: bytes, size: int) -> bool:
    """Whether the file's first bytes are a plausible safetensors header."""
    if len(prefix) < 9:
        return False
    length = int.from_bytes(prefix[:8], "little")
    return 2 <= length <= min(MAX_HEADER_BYTES, size - 8) and prefix[8:9] == b"{"


def read(file: SeekableReader, name: str, size: int, place: Placer) -> dict[str, Any]:
    """The tensors of the safetensors ``file`` (``size`` bytes) by name, in the header's order."""
    def corrupt(problem: str) -> CheckpointError:
        return CheckpointError(f"{name} is not a valid safetensors file: {problem}")

    length = int.from_bytes(_read(file, 8, corrupt), "little")
    if length > min(MAX_HEADER_BYTES, size - 8):
        raise corrupt(f"its header claims {length:,} bytes, the file has {size - 8:,}")
    try:
        header = json.loads(_read(file, length, corrupt).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except RecursionError:
        raise corrupt("its header is nested too deeply") from None
    except ValueError as error:
        raise corrupt(f"its header is not JSON ({error})") from None
    if not isinstance(header, dict):
        raise corrupt(f"its header is a {type(header).__name__}, not an object")
    header.pop("__metadata__", None)
    data_start, data_size = 8 + length, size - 8 - length
    entries = [(key, *_entry(key, value, corrupt)) for key, value in header.items()]
    # The tensors must tile [0, data_size) exactly (the spec forbids gaps and overlaps).
    position = 0
    for _key, _dtype, _shape, begin, end in sorted(entries, key=lambda entry: (entry[3], entry[4])):
        if begin != position:
            raise corrupt(f"the data offsets leave a gap or overlap at byte {position:,}")
        position = end
    if position != data_size:
        raise corrupt(f"the tensors cover {position:,} data bytes, the file has {data_size:,}")
    result = {}
    for key, dtype, shape, begin, end in entries:
        array = numpy.empty(math.prod(shape), dtype=dtype)
        file.seek(data_start + begin)
        buffer = array.view(numpy.uint8).data
        if file.readinto(buffer) != end - begin:
            raise corrupt(f"truncated in tensor {key!r}")
        result[key] = place(array.reshape(shape).astype(dtype.newbyteorder("="), copy=False), "cpu")
    return result


def _entry(key: str, value: Any, corrupt: Any) -> tuple[numpy.dtype, tuple[int, ...], int, int]:
    if not isinstance(value, dict):
        raise corrupt(f"entry {key!r} is not an object")
    code, shape, offsets = value.get("dtype"), value.get("shape"), value.get("data_offsets")
    if code in _UNSUPPORTED:
        raise CheckpointError(f"tensor {key!r} is {code}, which NumPy (so minigrad) cannot hold; in PyTorch, "
                              "convert it first: state_dict = {k: v.float() for k, v in state_dict.items()}")
    if code not in _DTYPES:
        raise corrupt(f"tensor {key!r} has unknown dtype {code!r}")
    if not (isinstance(shape, list) and all(type(size) is int and size >= 0 for size in shape)):
        raise corrupt(f"tensor {key!r} has a bad shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise corrupt(f"tensor {key!r} has bad data_offsets {offsets!r}")
    dtype = _DTYPES[code]
    if offsets[1] - offsets[0] != math.prod(shape) * dtype.itemsize:
        raise corrupt(f"tensor {key!r}: shape {shape} of {code} needs {math.prod(shape) * dtype.itemsize:,} "
                      f"bytes, its offsets span {offsets[1] - offsets[0]:,}")
    return dtype, tuple(shape), offsets[0], offsets[1]


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("a name appears twice")
    return result


def _read(file: SeekableReader, count: int, corrupt: Any) -> bytes:
    data = file.read(count)
    if len(data) != count:
        raise corrupt(f"truncated ({len(data)} of {count} header bytes)")
    return data
