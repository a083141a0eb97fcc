"""``Work``: a collective in flight (what ``all_reduce(..., async_op=True)`` returns).

A collective is started at once; ``wait()`` returns when it has finished on this rank, or
raises :class:`DistBackendError` when it has not finished within the process group's timeout
(counted from the start), so a rank that never joins cannot hang the others forever.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import timedelta

from minigrad.distributed.errors import DistBackendError

# Waiting polls the backend. MPI moves a message in several rounds, each needing both ranks
# inside an MPI call, so a short wait spins (yielding the core to any other runnable process
# between polls) for this long; then it sleeps a little more each round, up to _LONGEST_SLEEP,
# so a long wait leaves the CPU to the ranks that still compute.
_SPIN_SECONDS = 5e-3
_LONGEST_SLEEP = 1e-3
_yield = getattr(os, "sched_yield", lambda: time.sleep(0))


class Work:
    """One collective: ``is_completed()``, ``wait(timeout=None)``, ``is_success()``.

    Args:
        name: what is running, for messages (``"all_reduce"``).
        test: returns True once the backend has finished the operation (never blocks).
        finish: runs once, when the operation is seen finished (copies results into tensors).
        timeout: how long the operation may take from now.
        describe_group: ``"rank 0 of 2"``, for the timeout message.
    """

    def __init__(
        self,
        name: str,
        test: Callable[[], bool],
        finish: Callable[[], None] | None,
        timeout: timedelta,
        describe_group: str,
    ) -> None:
        self.name = name
        self._test = test
        self._finish = [finish] if finish is not None else []
        self._started = time.monotonic()
        self._timeout = timeout
        self._where = describe_group
        self._done = False

    def then(self, finish: Callable[[], None]) -> Work:
        """Also run ``finish`` when the operation is seen finished (right away if it is)."""
        if self._done:
            finish()
        else:
            self._finish.append(finish)
        return self

    def is_completed(self) -> bool:
        """Whether the operation has finished (and its results are in the tensors)."""
        if not self._done and self._test():
            self._complete()
        return self._done

    def is_success(self) -> bool:
        return self.is_completed()

    def wait(self, timeout: timedelta | None = None) -> bool:
        """Block until the operation has finished; ``True``. ``timeout`` replaces the process
        group's (counted from the start of the operation)."""
        limit = (self._timeout if timeout is None else timeout).total_seconds()
        spin_until = time.monotonic() + _SPIN_SECONDS
        while not self.is_completed() and time.monotonic() < spin_until:
            _yield()
        sleep = 0.0
        while not self.is_completed():
            if time.monotonic() - self._started > limit:
                raise DistBackendError(
                    f"minigrad.distributed: {self.name} on {self._where} timed out after {limit:g} s: "
                    "another rank did not join it (it stopped, hangs, or runs a different collective "
                    "or the same ones in another order). Every rank must call the same collectives in "
                    "the same order; init_process_group(timeout=...) sets how long to wait."
                )
            time.sleep(sleep)
            sleep = min(_LONGEST_SLEEP, sleep * 2 + 1e-5)
        return True

    def _complete(self) -> None:
        self._done = True
        finishers, self._finish = self._finish, []
        for finish in finishers:
            finish()


def completed_work(name: str, describe_group: str) -> Work:
    """A ``Work`` that is already finished (a collective with nothing to exchange)."""
    work = Work(name, lambda: True, None, timedelta(0), describe_group)
    work._done = True
    return work
