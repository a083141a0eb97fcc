"""``minigrad.save`` / ``minigrad.load``: checkpoints without pickle, in two formats.

* minigrad's own (any path, e.g. ``.npz`` or ``.pt``; see :mod:`.npz_format`): any nesting of
  dicts, lists, tuples, tensors, numbers, strings and None (a model, its optimizer, the epoch).
* safetensors (a path ending in ``.safetensors``; see :mod:`.safetensors_format`): a flat
  ``{name: tensor}`` state dict, the format PyTorch users share weights in. No torch needed.

``load`` recognises the format by the file's first bytes, not its name. Loading never unpickles,
so a checkpoint from a stranger cannot run code, and every malformed file is a
:class:`CheckpointError` that names it. Saving to a path writes a temporary file and renames it
over the target, so a crash mid-save never destroys the previous checkpoint (:mod:`.atomic`).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any, BinaryIO

from minigrad.serialization import npz_format, safetensors_format
from minigrad.serialization.atomic import write_atomically
from minigrad.serialization.errors import CheckpointError
from minigrad.serialization.locations import placer

__all__ = ["CheckpointError", "load", "save"]

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_NPY_MAGIC = b"\x93NUMPY"
_PICKLE_PROTOCOL = b"\x80"  # the first byte of a pickle (protocol 2+): torch.save's legacy format


def save(obj: Any, f: str | os.PathLike[str] | BinaryIO) -> None:
    """Write ``obj`` (e.g. ``{"model": model.state_dict(), "epoch": 3}``) to ``f``.

    ``f`` is a path (written atomically; a name ending in ``.safetensors`` picks that format,
    which holds a flat ``{name: Tensor}`` dict) or a binary file object such as ``io.BytesIO``
    (minigrad's format, written at its current position).
    """
    if hasattr(f, "write"):
        npz_format.write(obj, f)  # type: ignore[arg-type]
        return
    path = Path(os.fspath(f))  # type: ignore[arg-type]
    if path.suffix == ".safetensors":
        safetensors_format.check_writable(obj)  # before touching the disk
        write_atomically(path, lambda file: safetensors_format.write(obj, file))
    else:
        write_atomically(path, lambda file: npz_format.write(obj, file))


def load(
    f: str | os.PathLike[str] | BinaryIO,
    map_location: Any = None,
    *,
    weights_only: bool | None = None,
) -> Any:
    """Read a checkpoint written by :func:`save`, or a ``.safetensors`` file (PyTorch's too).

    ``f`` is a path or a binary file object (``io.BytesIO``). ``map_location`` says where the
    tensors go, in each form ``torch.load`` accepts (a device, a str, a dict, a callable; see
    :func:`minigrad.serialization.locations.placer`); by default on the CPU, so a GPU
    checkpoint loads on a machine without one. ``weights_only`` is accepted for PyTorch's
    signature: minigrad files never hold pickled objects, so True and False load the same
    files and nothing is ever unpickled.

    Raises:
        FileNotFoundError: no file at the path.
        CheckpointError: the file is not a valid checkpoint; the message names it and why.
    """
    if weights_only not in (None, True, False):
        raise TypeError(f"weights_only must be a bool, got {weights_only!r}")
    place = placer(map_location)
    if hasattr(f, "read"):
        return _load_from(f, _name_of(f), place)  # type: ignore[arg-type]
    path = Path(os.fspath(f))  # type: ignore[arg-type]
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a checkpoint file")
    with open(path, "rb") as file:
        return _load_from(file, str(path), place)


def _load_from(file: BinaryIO, name: str, place: Any) -> Any:
    if not (hasattr(file, "seekable") and file.seekable()):
        file = io.BytesIO(file.read())  # zip and safetensors both need to seek
    start = file.tell()
    size = file.seek(0, os.SEEK_END) - start
    file.seek(start)
    prefix = file.read(16)
    file.seek(start)
    if prefix.startswith(_ZIP_MAGIC):
        if start:
            file = io.BytesIO(file.read())  # zipfile reads offsets from the start of the file
        return npz_format.read(file, name, size, place)
    if safetensors_format.looks_like_safetensors(prefix, size):
        return safetensors_format.read(_Offset(file, start), name, size, place)
    raise CheckpointError(f"{name} is not a checkpoint: {_what_it_is(prefix, size)}")


def _what_it_is(prefix: bytes, size: int) -> str:
    if size == 0:
        return "the file is empty"
    if prefix.startswith(_NPY_MAGIC):
        return "it holds a single .npy array, not a minigrad checkpoint or a .safetensors file"
    if prefix.startswith(_PICKLE_PROTOCOL):
        return ("it is a pickle (a legacy torch.save file?); minigrad never unpickles. In PyTorch, save the "
                "weights with safetensors.torch.save_file(model.state_dict(), 'model.safetensors')")
    return "it is neither a minigrad checkpoint (a zip of .npy arrays) nor a .safetensors file (truncated or corrupt?)"


def _name_of(file: Any) -> str:
    name = getattr(file, "name", None)
    return str(name) if isinstance(name, (str, os.PathLike)) else f"<{type(file).__name__}>"


class _Offset:
    """A file seen from ``start`` on, for a safetensors file at a file object's current position."""

    def __init__(self, file: BinaryIO, start: int) -> None:
        self.file, self.start = file, start

    def read(self, size: int = -1, /) -> bytes:
        return self.file.read(size)

    def readinto(self, buffer: Any, /) -> int:
        return self.file.readinto(buffer)  # type: ignore[attr-defined]

    def seek(self, position: int, /) -> int:
        return self.file.seek(self.start + position) - self.start
