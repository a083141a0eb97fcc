"""Read IDX files, the format MNIST and Fashion-MNIST ship in, raw or gzipped.

An IDX file is a 4-byte magic number ``0x0000TTDD`` (``TT`` the item type, ``DD`` the number
of dimensions), ``DD`` big-endian uint32 sizes, then the items in C order, big-endian.
The header is read and checked first; the items are then streamed into one array of the size
the header declares, so memory is the result's size (a gzip is never decompressed whole, and
a header that claims more than the file can hold is refused before anything is allocated).
Every way a file can be wrong is reported as an :class:`IDXError` that names the file.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"
# Deflate expands data at most ~1032x: a gzip header claiming more is lying about its size.
MAX_GZIP_RATIO = 1100
CHUNK_BYTES = 1 << 20

# The standard IDX type codes; multi-byte items are big-endian on disk.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class _Readable(Protocol):
    """What the reader needs of a file: an open raw file or a ``gzip.GzipFile``."""

    def read(self, size: int = -1, /) -> bytes: ...

    def readinto(self, buffer: Any, /) -> int: ...


class IDXError(ValueError):
    """An IDX file is malformed: bad magic, bad dimensions, truncated, or corrupt gzip."""


def read_idx(path: str | os.PathLike[str], ndim: int | None = None) -> np.ndarray:
    """Read the IDX file at ``path`` into an array of shape ``(d0, d1, ...)``.

    Gzip is recognised by its magic bytes ``1f 8b``, not by the file name. ``ndim``, when
    given, is the number of dimensions the caller expects (1 for labels, 3 for images).
    The result is a fresh, writable array in native byte order.

    Raises:
        IDXError: the file is not a valid IDX file; the message names the file.
        OSError: the file can't be opened (missing, unreadable).
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as raw:
        zipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        if not zipped:
            return _read_stream(raw, path, ndim, raw_size=size)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _read_stream(stream, path, ndim, gzip_size=size)
        except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
            raise IDXError(f"{path}: corrupt gzip data ({error})") from error


def _read_stream(stream: _Readable, path: Path, ndim: int | None, raw_size: int | None = None,
                 gzip_size: int | None = None) -> np.ndarray:
    """The array in ``stream``: a raw file of ``raw_size`` bytes, or a gzip of ``gzip_size``."""
    magic = stream.read(4)
    if len(magic) < 4:
        raise IDXError(f"{path}: {len(magic)} bytes is too short for an IDX header (4 bytes)")
    zero, type_code, dims_count = int.from_bytes(magic[0:2], "big"), magic[2], magic[3]
    if zero != 0 or type_code not in IDX_DTYPES:
        raise IDXError(
            f"{path}: bad magic number 0x{magic.hex()}, expected 0x0000TTDD with type "
            f"code TT in {{{', '.join(f'0x{code:02x}' for code in IDX_DTYPES)}}}: not an IDX file"
        )
    if dims_count == 0:
        raise IDXError(f"{path}: the header declares 0 dimensions")
    if ndim is not None and dims_count != ndim:
        raise IDXError(f"{path}: has {dims_count} dimensions, expected {ndim}")
    sizes = stream.read(4 * dims_count)
    header_length = 4 + 4 * dims_count
    if len(sizes) < 4 * dims_count:
        raise IDXError(
            f"{path}: truncated header: expected {header_length} bytes for {dims_count} "
            f"dimensions, got {4 + len(sizes)}"
        )
    shape = tuple(int.from_bytes(sizes[4 * axis: 4 * axis + 4], "big") for axis in range(dims_count))
    dtype = IDX_DTYPES[type_code]
    expected = math.prod(shape) * dtype.itemsize  # Python ints: (2^31, 2^31, 4) cannot overflow
    if raw_size is not None and raw_size - header_length != expected:
        _wrong_size(path, shape, dtype, expected, raw_size - header_length)
    if gzip_size is not None and expected > gzip_size * MAX_GZIP_RATIO:
        raise IDXError(f"{path}: the header declares shape {shape} of {dtype.name} ({expected:,} bytes), more "
                       f"than a {gzip_size:,}-byte gzip can expand to: truncated, or not an IDX file")
    items = np.empty(math.prod(shape), dtype=dtype)
    buffer = items.view(np.uint8).data
    filled = 0
    while filled < expected:
        # Bounded slices: GzipFile.readinto(big) would build a bytes object of the whole size first.
        count = stream.readinto(buffer[filled:filled + CHUNK_BYTES])
        if not count:
            break
        filled += count
    extra = 0 if filled < expected else _count_rest(stream)
    if filled != expected or extra:
        _wrong_size(path, shape, dtype, expected, filled + extra, more=extra >= CHUNK_BYTES * 64)
    # astype copies only when the file is big-endian; the result owns writable memory either way.
    return items.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _wrong_size(path: Path, shape: tuple[int, ...], dtype: np.dtype, expected: int, actual: int,
                more: bool = False) -> None:
    problem = "truncated" if actual < expected else "has trailing bytes"
    raise IDXError(f"{path}: {problem}: shape {shape} of {dtype.name} needs {expected} payload bytes, "
                   f"the file has {actual}{'+' if more else ''}")


def _count_rest(stream: _Readable) -> int:
    """Bytes left after the payload (only counted up to 64 MiB: enough to say there are some)."""
    total = 0
    while total < CHUNK_BYTES * 64 and (chunk := stream.read(CHUNK_BYTES)):
        total += len(chunk)
    return total
