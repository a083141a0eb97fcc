"""``minigrad.save`` / ``minigrad.load``: state dicts as ``.npz`` files, without pickle.

A checkpoint is a nested structure of dicts, lists, tensors, numbers, strings and None. Tensors
go into the archive as plain arrays; the structure goes in as JSON. Loading never unpickles,
so a checkpoint from a stranger cannot run code. Writing goes to a temporary file that is
renamed over the target, so a crash mid-save never destroys the previous checkpoint.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy

_MANIFEST = "__minigrad_manifest__"
_FORMAT = "minigrad-checkpoint-v1"


class CheckpointError(ValueError):
    """A file is not a readable minigrad checkpoint; the message names it and the problem."""


def save(obj: Any, path: str | os.PathLike) -> None:
    """Write ``obj`` (e.g. ``{"model": model.state_dict(), "epoch": 3}``) to ``path`` atomically."""
    from minigrad.tensor import Tensor

    arrays: dict[str, numpy.ndarray] = {}

    def encode(value: Any) -> Any:
        if isinstance(value, Tensor):
            key = f"t{len(arrays)}"
            arrays[key] = value.backend.to_numpy(value.detach()._array)
            return {"tensor": key, "device": str(value.device), "requires_grad": value.requires_grad}
        if isinstance(value, dict):
            for k in value:
                if not isinstance(k, (str, int)):
                    raise TypeError(f"checkpoint dict keys must be str or int, got {k!r}")
            return {"dict": [[k, encode(v)] for k, v in value.items()]}
        if isinstance(value, (list, tuple)):
            return {"list" if isinstance(value, list) else "tuple": [encode(v) for v in value]}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"value": value}
        if hasattr(value, "item") and getattr(value, "shape", None) == ():
            return {"value": value.item()}
        raise TypeError(
            f"cannot save a {type(value).__name__}: checkpoints hold tensors, numbers, strings, "
            "None, and dicts/lists/tuples of them"
        )

    manifest = {"format": _FORMAT, "root": encode(obj)}
    arrays[_MANIFEST] = numpy.frombuffer(json.dumps(manifest).encode(), dtype=numpy.uint8)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            numpy.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load(path: str | os.PathLike, map_location: Any = None) -> Any:
    """Read a checkpoint written by :func:`save`. Tensors come back on ``map_location``
    (default: the CPU, so a GPU checkpoint loads on a machine without one)."""
    from minigrad.tensor import Tensor

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        archive = numpy.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointError(f"{path} is not a minigrad checkpoint (.npz) or is corrupt: {error}") from None
    if not hasattr(archive, "files"):  # a plain .npy array, not an archive
        raise CheckpointError(f"{path} holds a single .npy array, not a minigrad checkpoint (.npz)")
    with archive:
        if _MANIFEST not in archive.files:
            raise CheckpointError(f"{path} is an .npz file but not a minigrad checkpoint (no manifest)")
        try:
            manifest = json.loads(archive[_MANIFEST].tobytes().decode())
            arrays = {name: archive[name] for name in archive.files if name != _MANIFEST}
        except (ValueError, OSError, zipfile.BadZipFile, EOFError, zlib.error) as error:
            raise CheckpointError(f"{path} is corrupt: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise CheckpointError(f"{path} has unknown format {found!r}")
    device = "cpu" if map_location is None else str(map_location)

    def decode(node: Any) -> Any:
        if "tensor" in node:
            if node["tensor"] not in arrays:
                raise CheckpointError(f"{path} is corrupt: tensor {node['tensor']} is missing")
            tensor = Tensor(arrays[node["tensor"]], device=device)
            return tensor.requires_grad_(True) if node.get("requires_grad") else tensor
        if "dict" in node:
            return {k: decode(v) for k, v in node["dict"]}
        if "list" in node:
            return [decode(v) for v in node["list"]]
        if "tuple" in node:
            return tuple(decode(v) for v in node["tuple"])
        return node["value"]

    try:
        return decode(manifest["root"])
    except CheckpointError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise CheckpointError(f"{path} is corrupt: its manifest is malformed ({error!r})") from None
