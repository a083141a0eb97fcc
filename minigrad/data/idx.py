"""Read IDX files, the format MNIST and Fashion-MNIST ship in, raw or gzipped.

An IDX file is a 4-byte magic number ``0x0000TTDD`` (``TT`` the item type, ``DD`` the number
of dimensions), ``DD`` big-endian uint32 sizes, then the items in C order, big-endian.
Every way a file can be wrong is reported as an :class:`IDXError` that names the file.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

GZIP_MAGIC = b"\x1f\x8b"

# The standard IDX type codes; multi-byte items are big-endian on disk.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


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
    content = _read_bytes(path)
    if len(content) < 4:
        raise IDXError(f"{path}: {len(content)} bytes is too short for an IDX header (4 bytes)")
    zero, type_code, dims_count = int.from_bytes(content[0:2], "big"), content[2], content[3]
    if zero != 0 or type_code not in IDX_DTYPES:
        raise IDXError(
            f"{path}: bad magic number 0x{content[:4].hex()}, expected 0x0000TTDD with type "
            f"code TT in {{{', '.join(f'0x{code:02x}' for code in IDX_DTYPES)}}}: not an IDX file"
        )
    if dims_count == 0:
        raise IDXError(f"{path}: the header declares 0 dimensions")
    if ndim is not None and dims_count != ndim:
        raise IDXError(f"{path}: has {dims_count} dimensions, expected {ndim}")

    header_length = 4 + 4 * dims_count
    if len(content) < header_length:
        raise IDXError(
            f"{path}: truncated header: expected {header_length} bytes for {dims_count} "
            f"dimensions, got {len(content)}"
        )
    shape = tuple(
        int.from_bytes(content[4 + 4 * axis: 8 + 4 * axis], "big") for axis in range(dims_count)
    )
    dtype = IDX_DTYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(content) - header_length
    if actual != expected:
        problem = "truncated" if actual < expected else "has trailing bytes"
        raise IDXError(
            f"{path}: {problem}: shape {shape} of {dtype.name} needs {expected} payload bytes, "
            f"the file has {actual}"
        )
    items = np.frombuffer(content, dtype=dtype, offset=header_length).reshape(shape)
    # astype copies: the result owns writable memory and is in the machine's byte order.
    return items.astype(dtype.newbyteorder("="))


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it starts with the gzip magic."""
    content = path.read_bytes()
    if not content.startswith(GZIP_MAGIC):
        return content
    try:
        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as error:
        raise IDXError(f"{path}: corrupt gzip data ({error})") from error
