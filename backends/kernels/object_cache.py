"""An on-disk cache of the vector kernels' compiled machine code, like numba's ``cache=True``.

Compiling a kernel runs LLVM's optimiser and code generator in the process (time, and memory
that stays: ``benchmarks/kernel_cache.py`` measures both); loading the function's object code (a
few KB) skips both. So each layer geometry is compiled once per machine, not once per run.

An entry is named by a digest of everything its code depends on: the sources of the builder
and the classes it inherits from, ``llvm_vectors``' source, the geometry, llvmlite's and LLVM's
versions, and the host CPU and its features. Editing a kernel therefore never loads stale code.
An entry holds a magic number, the SHA-256 of its object code and the object code; one that
fails the check (a truncated or altered file) is compiled again and rewritten. Files are written
to a temporary name and renamed, so a crash never leaves half a file. Object code is executable
code: the cache directory must be as trusted as the Python files (numba's cache is the same); it
is the user's own by default.

``MINIGRAD_KERNEL_CACHE`` names the directory (default ``$XDG_CACHE_HOME/minigrad/kernels``, or
``~/.cache/minigrad/kernels``); ``0``, ``off`` or ``none`` turns the cache off. Where the
directory cannot be written the kernels are simply compiled in memory.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

__all__ = ["directory", "key", "read", "write"]

MAGIC = b"minigrad-kernel-1\n"
#: Larger files are not kernels of ours (each is a few KB) and are not read.
MAX_ENTRY_BYTES = 16 * 2**20
_OFF = {"0", "off", "none", "false", "no"}


def directory() -> Path | None:
    """The cache directory, or None when the cache is turned off."""
    chosen = os.environ.get("MINIGRAD_KERNEL_CACHE")
    if chosen is not None:
        return None if chosen.strip().lower() in _OFF or not chosen.strip() else Path(chosen).expanduser()
    try:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    return Path(base) / "minigrad" / "kernels"


def key(builder: type, arguments: tuple, target: str) -> str:
    """The entry name for ``builder(*arguments)`` compiled for ``target`` (triple, CPU, features)."""
    import llvmlite
    import llvmlite.binding as llvm

    digest = hashlib.sha256()
    # The sources of every class the builder inherits code from, and of the compile step.
    modules = sorted({cls.__module__ for cls in builder.__mro__ if cls is not object})
    sources = [Path(sys.modules[name].__file__) for name in modules] + [Path(__file__).with_name("llvm_vectors.py")]
    for source in sources:
        digest.update(source.read_bytes())
    description = (builder.__module__, builder.__qualname__, arguments, llvmlite.__version__,
                   llvm.llvm_version_info, target)
    digest.update(repr(description).encode())
    return f"{builder.__name__.strip('_')}-{digest.hexdigest()[:32]}"


def read(name: str) -> bytes | None:
    """The object code stored under ``name``; None if there is none or it fails its check."""
    folder = directory()
    if folder is None:
        return None
    try:
        path = folder / f"{name}.o"
        if path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    header = len(MAGIC) + 32
    if not data.startswith(MAGIC) or len(data) <= header:
        return None
    code = data[header:]
    return code if hashlib.sha256(code).digest() == data[len(MAGIC):header] else None


def write(name: str, code: bytes) -> bool:
    """Stores ``code`` under ``name`` atomically; False where the directory cannot be written."""
    folder = directory()
    if folder is None:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(MAGIC + hashlib.sha256(code).digest() + code)
            os.replace(temporary, folder / f"{name}.o")
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        return False
    return True
