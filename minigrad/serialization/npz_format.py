"""minigrad's own checkpoint format: a zip of ``.npy`` arrays plus a JSON manifest.

A checkpoint is a nested structure of dicts, lists, tuples, tensors, numbers, strings and None.
Tensors go into the zip as plain ``.npy`` members (``t0.npy``, ``t1.npy``...); the structure goes
in as JSON (member ``__minigrad_manifest__.npy``, uint8), recording each tensor's member, dtype,
shape, device and requires_grad. NumPy reads the file too (``numpy.load`` gives the arrays).

Reading trusts nothing: only the members the manifest names are opened; each ``.npy`` header's
dtype, shape and size are checked against the manifest and against the bytes the zip can hold
before anything is allocated; only numeric dtypes are accepted; nothing is unpickled; deep or
malformed JSON and every broken zip are a :class:`CheckpointError` naming the file.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
import zlib
from typing import Any, BinaryIO

import numpy
from numpy.lib import format as npy_format

from minigrad.serialization.errors import CheckpointError
from minigrad.serialization.locations import Placer

MANIFEST = "__minigrad_manifest__"
FORMAT = "minigrad-checkpoint-v1"
MAX_DEPTH = 100  # nesting of dicts/lists in a checkpoint; real ones use 3 or 4
MAX_HEADER_BYTES = 10_000  # numpy's own limit for a .npy header
# Deflate cannot expand data more than ~1032x; a member claiming more is lying about its size.
MAX_DEFLATE_RATIO = 1100
# The dtypes a minigrad Tensor can hold. Strings, datetimes, objects and records are refused.
ALLOWED_DTYPES = frozenset(numpy.dtype(name) for name in (
    "bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
    "complex64", "complex128",
))
_TENSOR_KEY = re.compile(r"t[0-9]{1,9}")


# --- writing ----------------------------------------------------------------------------------------

def write(obj: Any, file: BinaryIO) -> None:
    """Write ``obj`` into ``file`` (open for binary writing) as a minigrad checkpoint."""
    from minigrad.tensor import Tensor

    arrays: dict[str, numpy.ndarray] = {}

    def encode(value: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise ValueError(f"cannot save a structure nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, Tensor):
            key = f"t{len(arrays)}"
            array = numpy.asarray(value.backend.to_numpy(value.detach()._array), order="C")
            arrays[key] = array
            return {"tensor": key, "dtype": array.dtype.name, "shape": list(array.shape),
                    "device": str(value.device), "requires_grad": value.requires_grad}
        if isinstance(value, dict):
            for k in value:
                if not isinstance(k, (str, int)) or isinstance(k, bool):
                    raise TypeError(f"checkpoint dict keys must be str or int, got {k!r}")
            return {"dict": [[k, encode(v, depth + 1)] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [encode(v, depth + 1) for v in value]}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"value": value}
        if hasattr(value, "item") and getattr(value, "shape", None) == ():
            return {"value": value.item()}
        raise TypeError(
            f"cannot save a {type(value).__name__}: checkpoints hold tensors, numbers, strings, "
            "None, and dicts/lists/tuples of them"
        )

    manifest = json.dumps({"format": FORMAT, "root": encode(obj, 0)}).encode()
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        _write_member(archive, MANIFEST, numpy.frombuffer(manifest, dtype=numpy.uint8))
        for key, array in arrays.items():
            _write_member(archive, key, array)


def _write_member(archive: zipfile.ZipFile, key: str, array: numpy.ndarray) -> None:
    with archive.open(f"{key}.npy", "w", force_zip64=True) as member:
        npy_format.write_array(member, array, allow_pickle=False)


# --- reading ----------------------------------------------------------------------------------------

def read(file: BinaryIO, name: str, size: int, place: Placer) -> Any:
    """The object in the checkpoint ``file`` (``size`` bytes, called ``name`` in messages)."""
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise CheckpointError(f"{name} is not a readable zip archive (truncated or corrupt?): {error}") from None
    with archive:
        reader = _Reader(archive, name, size)
        manifest = reader.manifest()
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
            raise CheckpointError(f"{name} has unknown format {found!r} (expected {FORMAT!r})")
        if "root" not in manifest:
            raise CheckpointError(f"{name} is corrupt: its manifest is malformed (no 'root')")
        return reader.decode(manifest["root"], place, 0)


class _Reader:
    def __init__(self, archive: zipfile.ZipFile, name: str, size: int) -> None:
        self.archive, self.name, self.size = archive, name, size
        self.members = {info.filename: info for info in archive.infolist()}
        self.cache: dict[str, numpy.ndarray] = {}

    def corrupt(self, problem: str) -> CheckpointError:
        return CheckpointError(f"{self.name} is corrupt: {problem}")

    def manifest(self) -> Any:
        if f"{MANIFEST}.npy" not in self.members:
            raise CheckpointError(f"{self.name} is a zip (.npz) file but not a minigrad checkpoint (no manifest)")
        text = self.array(MANIFEST, numpy.dtype(numpy.uint8), None)
        if text.ndim != 1:
            raise self.corrupt(f"the manifest has shape {text.shape}, expected 1-D bytes")
        try:
            return json.loads(text.tobytes().decode("utf-8"))
        except RecursionError:
            raise self.corrupt("its manifest is nested too deeply") from None
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise self.corrupt(f"its manifest is not JSON ({error})") from None

    def decode(self, node: Any, place: Placer, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.corrupt(f"its manifest nests more than {MAX_DEPTH} levels")
        if not isinstance(node, dict) or len(node) == 0:
            raise self.corrupt(f"its manifest is malformed (a node is {type(node).__name__} {_short(node)})")
        if "tensor" in node:
            return self.tensor(node, place)
        if "dict" in node:
            pairs = node["dict"]
            if not isinstance(pairs, list) or not all(
                    isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], (str, int))
                    and not isinstance(pair[0], bool) for pair in pairs):
                raise self.corrupt(f"its manifest is malformed (bad dict {_short(pairs)})")
            return {key: self.decode(value, place, depth + 1) for key, value in pairs}
        for kind, build in (("list", list), ("tuple", tuple)):
            if kind in node:
                if not isinstance(node[kind], list):
                    raise self.corrupt(f"its manifest is malformed (bad {kind} {_short(node[kind])})")
                return build(self.decode(value, place, depth + 1) for value in node[kind])
        if "value" in node:
            value = node["value"]
            if value is not None and not isinstance(value, (bool, int, float, str)):
                raise self.corrupt(f"its manifest is malformed (bad value {_short(value)})")
            return value
        raise self.corrupt(f"its manifest is malformed (unknown node {_short(node)})")

    def tensor(self, node: dict, place: Placer) -> Any:
        key, device = node["tensor"], node.get("device", "cpu")
        if not isinstance(key, str) or not _TENSOR_KEY.fullmatch(key) or not isinstance(device, str):
            raise self.corrupt(f"its manifest is malformed (bad tensor entry {_short(node)})")
        if f"{key}.npy" not in self.members:
            raise self.corrupt(f"tensor {key} is missing")
        dtype, shape = node.get("dtype"), node.get("shape")  # absent in files from minigrad 0.1.0
        if dtype is not None:
            try:
                dtype = numpy.dtype(str(dtype))
            except TypeError:
                raise self.corrupt(f"tensor {key} has unknown dtype {_short(dtype)}") from None
        if shape is not None and not (isinstance(shape, list) and all(
                isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape)):
            raise self.corrupt(f"tensor {key} has a bad shape {_short(shape)}")
        if key not in self.cache:
            self.cache[key] = self.array(key, dtype, None if shape is None else tuple(shape))
        tensor = place(self.cache[key], device)
        return tensor.requires_grad_(True) if node.get("requires_grad") is True else tensor

    def array(self, key: str, dtype: numpy.dtype | None, shape: tuple[int, ...] | None) -> numpy.ndarray:
        """Member ``key.npy``, its header checked before any data is read."""
        info = self.members[f"{key}.npy"]
        if info.compress_type == zipfile.ZIP_STORED:
            limit = self.size
        elif info.compress_type == zipfile.ZIP_DEFLATED:
            limit = info.compress_size * MAX_DEFLATE_RATIO
        else:
            raise self.corrupt(f"member {info.filename} uses an unsupported compression ({info.compress_type})")
        if info.file_size > limit:
            raise self.corrupt(f"member {info.filename} claims {info.file_size:,} bytes, more than the file can hold")
        try:
            with self.archive.open(info) as stream:
                found_shape, fortran_order, found_dtype = self.header(stream, info.filename)
                if dtype is not None and found_dtype != dtype:
                    raise self.corrupt(f"tensor {key} is {found_dtype} in its .npy header but {dtype} in the manifest")
                if shape is not None and found_shape != shape:
                    raise self.corrupt(f"tensor {key} has shape {found_shape} in its .npy header but "
                                       f"{shape} in the manifest")
                count = math.prod(found_shape)
                if stream.tell() + count * found_dtype.itemsize != info.file_size:
                    raise self.corrupt(f"member {info.filename} holds {info.file_size - stream.tell():,} data "
                                       f"bytes, but shape {found_shape} of {found_dtype} needs "
                                       f"{count * found_dtype.itemsize:,}")
                array = numpy.empty(count, dtype=found_dtype)
                _read_exactly(stream, array.view(numpy.uint8).data)
                if stream.read(1):  # reading to the end also makes zipfile check the CRC
                    raise self.corrupt(f"member {info.filename} has trailing bytes")
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error, NotImplementedError) as error:
            raise self.corrupt(f"member {info.filename}: {error}") from None
        if fortran_order:
            array = array.reshape(found_shape[::-1]).transpose()
        else:
            array = array.reshape(found_shape)
        return array.astype(found_dtype.newbyteorder("="), copy=False)

    def header(self, stream: Any, member: str) -> tuple[tuple[int, ...], bool, numpy.dtype]:
        try:
            version = npy_format.read_magic(stream)
            if version == (1, 0):
                shape, fortran_order, dtype = npy_format.read_array_header_1_0(stream, MAX_HEADER_BYTES)
            elif version in ((2, 0), (3, 0)):
                shape, fortran_order, dtype = npy_format.read_array_header_2_0(stream, MAX_HEADER_BYTES)
            else:
                raise ValueError(f".npy version {version} is not supported")
        except (ValueError, OSError, EOFError, SyntaxError, TypeError) as error:
            raise self.corrupt(f"member {member} is not a valid .npy array ({error})") from None
        if dtype.newbyteorder("=") not in ALLOWED_DTYPES or dtype.fields is not None:
            raise CheckpointError(f"{self.name}: member {member} holds {dtype!r} data; checkpoints hold only "
                                  f"numeric tensors ({', '.join(sorted(d.name for d in ALLOWED_DTYPES))})")
        return tuple(int(size) for size in shape), bool(fortran_order), dtype


def _read_exactly(stream: Any, buffer: memoryview) -> None:
    filled = 0
    while filled < len(buffer):
        count = stream.readinto(buffer[filled:])
        if not count:
            raise EOFError(f"truncated: {filled:,} of {len(buffer):,} data bytes")
        filled += count


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
