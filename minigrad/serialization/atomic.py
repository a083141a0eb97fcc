"""Writing a file so that a crash never leaves a broken one: a temporary file, then a rename.

The temporary file is ``.<name>.<pid>-<random>.tmp`` beside the target. A process killed
mid-save leaves its temporary behind; the next save of the same target removes those whose
process is gone, so repeated crashes don't fill the disk. The new file gets the mode a plain
``open(path, "wb")`` would give it (torch.save's behaviour): the old file's mode when it is
replaced, else 0666 minus the umask. After the rename the folder is fsynced, so the rename
itself survives a power cut.
"""

from __future__ import annotations

import os
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

# Temporaries without a parsable pid (written by minigrad 0.1.0) count as stale after this long.
_LEGACY_STALE_AFTER_S = 600.0


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fchmod(file.fileno(), _mode_for(path))
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    _fsync_folder(path.parent)


def _mode_for(path: Path) -> int:
    """The permission bits ``open(path, "wb")`` would leave: the existing file's, else 0666 & ~umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        pass
    # os.umask can only be read by setting it; set it straight back (nothing runs in between).
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def remove_stale_temporaries(path: Path) -> None:
    """Delete temporaries of ``path`` left by processes that no longer run."""
    prefix = f".{path.name}."
    try:
        candidates = [entry for entry in os.scandir(path.parent)
                      if entry.name.startswith(prefix) and entry.name.endswith(".tmp")]
    except OSError:
        return
    for entry in candidates:
        owner = entry.name[len(prefix):].split("-", 1)[0]
        if owner.isdigit():
            stale = int(owner) != os.getpid() and not _process_exists(int(owner))
        else:
            try:
                stale = time.time() - entry.stat().st_mtime > _LEGACY_STALE_AFTER_S
            except OSError:
                continue
        if stale:
            try:
                os.unlink(entry.path)
            except OSError:
                pass  # another save removed it first, or we may not: not our file to fight over


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists but belongs to someone else
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); folders cannot be opened this way on Windows."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
