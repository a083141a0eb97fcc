"""A rank that raises ends the whole job, with its traceback, instead of leaving the others
waiting in a collective.

MPI launchers wait for every rank: a rank that dies of an exception and exits normally leaves
the others blocked. So, while a process group of more than one rank exists, an uncaught
exception prints its traceback (naming the rank) and calls ``MPI_Abort``, which makes the
launcher stop every rank and exit non-zero (mpi4py's ``python -m mpi4py`` does the same).
"""

from __future__ import annotations

import sys
import time
from typing import Any

_previous_hook: Any = None


def install(rank: int, size: int) -> None:
    """Make an uncaught exception on this rank end the job (until :func:`uninstall`)."""
    global _previous_hook
    if _previous_hook is not None:
        return
    _previous_hook = sys.excepthook

    def abort_the_job(kind: type, error: BaseException, traceback: Any) -> None:
        # The message first and everything in one write: when several ranks fail at once, the
        # launcher interleaves their output and may drop what a rank wrote just before the abort.
        import traceback as tracebacks

        text = "".join(tracebacks.format_exception(kind, error, traceback))
        sys.stderr.write(f"minigrad.distributed: rank {rank} of {size} raised {kind.__name__}: {error}\n"
                         f"Ending every rank of the job (MPI_Abort). Rank {rank}'s traceback:\n{text}")
        sys.stderr.flush()
        if _previous_hook is not sys.__excepthook__:  # a hook of the user's own still runs
            _previous_hook(kind, error, traceback)
        time.sleep(0.2)  # lets the launcher forward this rank's output before the abort
        abort(1)

    sys.excepthook = abort_the_job


def uninstall() -> None:
    global _previous_hook
    if _previous_hook is not None:
        sys.excepthook, _previous_hook = _previous_hook, None


def abort(code: int) -> None:
    """End every rank of the job now, with exit status ``code`` (flushes this rank's output)."""
    sys.stdout.flush()
    sys.stderr.flush()
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(code)
