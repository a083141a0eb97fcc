"""DataLoader worker processes: what runs inside each one, and what travels back.

A worker receives ``(task, indices)`` on its own index queue, builds that batch (reading the
dataset and collating, in the worker), and puts ``(task, batch)`` on the shared result queue.
``None`` tells it to stop. It is seeded as PyTorch seeds its workers: ``seed = base_seed +
worker_id`` for Python's ``random`` and ``minigrad.manual_seed``, and NumPy's global generator
from PyTorch's hash of ``(base_seed, worker_id)``. An exception is sent back with its formatted
traceback and re-raised in the main process. A worker ignores Ctrl-C (the main process handles
it and stops the workers) and exits by itself when the main process is gone.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import traceback
from dataclasses import dataclass
from multiprocessing.reduction import ForkingPickler
from typing import Any

import numpy as np

# How often a blocked worker or main process looks whether the other side is still alive.
STATUS_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker (PyTorch's fields)."""

    id: int
    num_workers: int
    seed: int
    dataset: Any


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker: its ``id``, ``num_workers``, ``seed`` and its copy of the
    ``dataset`` (an ``IterableDataset`` uses them to take its share); ``None`` in the main process."""
    return _worker_info


class ExceptionWrapper:
    """An exception raised in a worker, with its traceback as text (tracebacks don't pickle)."""

    def __init__(self, error: BaseException, where: str) -> None:
        self.exc_type = type(error)
        self.message = (f"Caught {type(error).__name__} {where}.\nOriginal "
                        + "".join(traceback.format_exception(type(error), error, error.__traceback__)))

    def reraise(self) -> None:
        """Raise it again in the main process: the same class, the worker's traceback in the message."""
        if self.exc_type is KeyError:
            raise KeyError(_KeyErrorMessage(self.message))  # KeyError would repr() the text
        try:
            error = self.exc_type(self.message)
        except Exception:
            error = None
        if error is None or str(error) != self.message:  # its constructor takes other arguments
            raise RuntimeError(self.message) from None
        raise error


class _KeyErrorMessage(str):
    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class IterableDatasetStop:
    """A worker's iterable dataset is exhausted (PyTorch: ``_IterableDatasetStopIteration``)."""

    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Start a new epoch (persistent workers): restart the iterable dataset's iterator."""


def generate_numpy_seed(base_seed: int, worker_id: int) -> list[int]:
    """The four 32-bit words PyTorch seeds a worker's ``numpy.random`` with (its
    ``_generate_state``: a hash of ``(worker_id, base_seed)`` in the style of NumPy's
    SeedSequence), so a worker draws the same NumPy numbers under both frameworks."""
    mask = 0xFFFFFFFF
    shift = 16
    multiplier = [0x43B0D7E5]  # advanced by every hash, as the reference does

    def hash_word(value: int) -> int:
        value = (value ^ multiplier[0]) & mask
        multiplier[0] = (multiplier[0] * 0x931E8875) & mask
        value = (value * multiplier[0]) & mask
        return (value ^ (value >> shift)) & mask

    def mix(x: int, y: int) -> int:
        result = ((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)
        result &= mask
        return (result ^ (result >> shift)) & mask

    pool = [hash_word(word) for word in (worker_id, base_seed & mask, base_seed >> 32, 0)]
    for source in range(4):
        for target in range(4):
            if source != target:
                pool[target] = mix(pool[target], hash_word(pool[source]))
    state = []
    multiplier_b = 0x8B51F9DD
    for word in pool:
        value = (word ^ multiplier_b) & mask
        multiplier_b = (multiplier_b * 0x58F38DED) & mask
        value = (value * multiplier_b) & mask
        state.append((value ^ (value >> shift)) & mask)
    return state


def worker_loop(dataset: Any, kind: str, auto_collation: bool, collate_fn: Any, drop_last: bool,
                index_queue: Any, result_queue: Any, done_event: Any, base_seed: int,
                init_fn: Any, worker_id: int, num_workers: int, parent_pid: int) -> None:
    """The body of worker ``worker_id`` (the target of its process)."""
    global _worker_info
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    register_tensor_pickling()  # a spawned worker starts without the main process's registration
    seed = base_seed + worker_id
    random.seed(seed)
    import minigrad

    minigrad.manual_seed(seed)
    np.random.seed(generate_numpy_seed(base_seed, worker_id))
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    startup_error = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as error:
        startup_error = ExceptionWrapper(error, f"in DataLoader worker process {worker_id}")
    try:
        _serve(index_queue, result_queue, done_event, startup_error, kind, dataset, auto_collation,
               collate_fn, drop_last, worker_id, parent_pid)
    finally:
        if done_event.is_set():
            result_queue.cancel_join_thread()  # the main process stopped reading: don't wait on it


def _serve(index_queue: Any, result_queue: Any, done_event: Any, startup_error: Any, kind: str,
           dataset: Any, auto_collation: bool, collate_fn: Any, drop_last: bool, worker_id: int,
           parent_pid: int) -> None:
    """Answer tasks until told to stop, the loader shuts down, or the main process is gone."""
    from minigrad.data.fetch import make_fetcher

    fetcher = None if startup_error is not None else make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
    exhausted = False
    while not done_event.is_set():
        try:
            message = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
        except queue.Empty:
            if os.getppid() != parent_pid:
                return  # the main process died: nobody will read what this worker makes
            continue
        if message is None:
            return
        if isinstance(message, ResumeIteration):
            result_queue.put((message, None))
            exhausted = False
            if startup_error is None:
                fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
            continue
        if done_event.is_set() or exhausted:
            continue  # draining: the main process is shutting down, or this stream ended
        task, indices = message
        if startup_error is not None:
            result_queue.put((task, startup_error))
            startup_error = None  # reported once; the main process raises it
            continue
        try:
            batch = fetcher.fetch(indices)
        except StopIteration:
            batch = IterableDatasetStop(worker_id)
            exhausted = True
        except Exception as error:
            batch = ExceptionWrapper(error, f"in DataLoader worker process {worker_id}")
        result_queue.put((task, batch))
        del batch


def _reduce_tensor(tensor: Any) -> tuple:
    # A batch crosses processes as its host array and device name, and is rebuilt on the
    # receiving side's own backend (a pickled backend object would be a second "cpu" device).
    return (_rebuild_tensor, (tensor.backend.to_numpy(tensor.detach()._array), str(tensor.device),
                              tensor.requires_grad))


def _rebuild_tensor(array: np.ndarray, device: str, requires_grad: bool) -> Any:
    import minigrad

    tensor = minigrad.from_numpy(array)
    if device != "cpu":
        tensor = tensor.to(device)
    return tensor.requires_grad_(True) if requires_grad else tensor


def register_tensor_pickling() -> None:
    """Let tensors travel through multiprocessing queues (sent by worker processes)."""
    from minigrad.tensor import Tensor

    classes = [Tensor]
    while classes:  # Parameter and any other subclass (the pickler's table is per class)
        cls = classes.pop()
        ForkingPickler.register(cls, _reduce_tensor)
        classes.extend(cls.__subclasses__())
