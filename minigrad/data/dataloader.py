"""DataLoader: a dataset in mini-batches, in order or shuffled, in this process or in workers.

PyTorch's ``torch.utils.data.DataLoader``: the same arguments, argument checks, samplers, length
and collation. A sampler orders the indices, a :class:`BatchSampler` groups them, a fetcher reads
and collates each batch; with ``num_workers > 0`` worker processes do the reading (see
``worker.py``) and the batches still come back in the sampler's order, identical to
``num_workers=0``.

One addition: ``shuffle=True`` without a ``generator`` shuffles with a replayable order. Epoch
``e`` uses the permutation drawn from ``numpy.random.default_rng([seed, e])``; each
``iter(loader)`` uses ``loader.epoch`` and then advances it. So successive epochs differ, a
loader re-created with the same ``seed`` replays the same sequence, and a run resumed from a
checkpoint taken before epoch ``k`` reproduces epoch ``k``'s order with ``loader.set_epoch(k)``
(or ``loader.load_state_dict(saved)``). ``seed=None`` draws the seed once, when the loader is
built, from the global generator (so ``minigrad.manual_seed`` fixes it too).
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import queue
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from minigrad.data.collate import default_collate, default_convert
from minigrad.data.dataset import IterableDataset
from minigrad.data.fetch import make_fetcher
from minigrad.data.sampler import (
    BatchSampler,
    EpochShuffleSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    _seed_from_global,
)
from minigrad.data.worker import (
    STATUS_CHECK_INTERVAL,
    ExceptionWrapper,
    IterableDatasetStop,
    ResumeIteration,
    register_tensor_pickling,
    worker_loop,
)

__all__ = ["DataLoader", "default_collate", "default_convert"]

# Attributes PyTorch refuses to change once the loader is built (its iterators rely on them).
_FROZEN = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class _InfiniteConstantSampler(Sampler):
    """An iterable dataset's "indices": ``None`` forever (the fetcher reads the stream)."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


class DataLoader:
    """Batches of ``batch_size`` examples of ``dataset`` (PyTorch's arguments and rules).

    Args:
        dataset: map-style (``len()`` and ``dataset[i]``) or an ``IterableDataset``. A map-style
            dataset with ``get_batch(indices: np.ndarray)`` builds each batch in that one call
            when no ``collate_fn`` is given (one fancy index instead of ``B`` reads).
        batch_size: examples per batch; ``None`` turns automatic batching off (examples are
            yielded one by one, through ``default_convert``).
        shuffle: a new order every epoch (see the module docstring for its replayable seeds).
        sampler, batch_sampler: the order of indices, or of lists of indices (each excludes
            ``shuffle``; ``batch_sampler`` also excludes ``batch_size`` and ``drop_last``).
        num_workers: worker processes that read and collate batches (0: this process).
        collate_fn: merges a list of examples into a batch (default: ``default_collate``).
        pin_memory: accepted; batches are host arrays already (nothing to pin on the CPU).
        drop_last: drop the last batch when it is short.
        timeout: seconds to wait for a worker's batch before raising (0: forever).
        worker_init_fn: called with the worker id in each worker, after seeding.
        multiprocessing_context: a ``multiprocessing`` context or its name ("fork", "spawn").
        generator: a ``minigrad.Generator`` (or ``numpy.random.Generator``) for the shuffle and
            the workers' base seed.
        prefetch_factor: batches loaded in advance per worker (default 2 with workers).
        persistent_workers: keep the workers between epochs.
        pin_memory_device, in_order: accepted for PyTorch's signature (batches always come in order).
        seed: minigrad's replayable shuffle seed (keyword only; excludes ``generator``).
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        if not isinstance(num_workers, int) or isinstance(num_workers, bool) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        if prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if seed is not None and generator is not None:
            raise ValueError("pass either seed or generator, not both")
        if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")

        self._kind = "iterable" if isinstance(dataset, IterableDataset) else "map"
        if self._kind == "iterable":
            # PyTorch: an iterable dataset orders itself; no sampler may reorder it.
            for name, value, unspecified in (("shuffle", shuffle, (False, None)), ("sampler", sampler, (None,)),
                                             ("batch_sampler", batch_sampler, (None,))):
                if not any(value is allowed for allowed in unspecified):
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} option, "
                                     f"but got {name}={value}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")

        if sampler is None:
            if self._kind == "iterable":
                sampler = _InfiniteConstantSampler()
            elif shuffle and generator is None:
                if seed is None:
                    seed = _seed_from_global()
                sampler = EpochShuffleSampler(dataset, int(seed))
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.collate_fn = collate_fn  # None: default_collate (or default_convert), chosen per batch
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self.shuffle = shuffle
        self.seed = None if seed is None or not isinstance(sampler, EpochShuffleSampler) else int(seed)
        self.epoch = 0  # the epoch the next iter() will produce
        self._iterator: _MultiProcessIterator | None = None
        self._initialized = True

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FROZEN and self.__dict__.get("_initialized"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None

    @property
    def _index_sampler(self) -> Any:
        return self.batch_sampler if self._auto_collation else self.sampler

    # --- the replayable shuffle ------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Make the next ``iter(loader)`` produce epoch ``epoch``'s order (0-based)."""
        if epoch < 0:
            raise ValueError(f"epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def state_dict(self) -> dict[str, int | None]:
        """What a checkpoint needs to replay the coming epochs: ``{"epoch", "seed"}``."""
        return {"epoch": self.epoch, "seed": self.seed}

    def load_state_dict(self, state: dict[str, int | None]) -> None:
        """Restore ``state_dict()``'s epoch and seed."""
        self.seed = state["seed"]
        if isinstance(self.sampler, EpochShuffleSampler) and state["seed"] is not None:
            self.sampler.seed = int(state["seed"])
        self.set_epoch(int(state["epoch"]))  # type: ignore[arg-type]

    # --- length and iteration ----------------------------------------------------------------
    def __len__(self) -> int:
        """The number of batches in one epoch (for an iterable dataset: from ``len(dataset)``)."""
        if self._kind == "iterable":
            count = len(self.dataset)
            if self.batch_size is not None:
                count = count // self.batch_size if self.drop_last else math.ceil(count / self.batch_size)
            return count
        return len(self._index_sampler)

    def __iter__(self) -> Iterator[Any]:
        # Not a generator function: the epoch advances when iteration starts, not at the
        # first next(), so set_epoch() between iter() and next() is not confusing.
        if isinstance(self.sampler, EpochShuffleSampler):
            self.sampler.epoch = self.epoch
        self.epoch += 1
        if self.num_workers == 0:
            return _SingleProcessIterator(self)
        if self.persistent_workers:
            if self._iterator is None or self._iterator.shut_down:
                self._iterator = _MultiProcessIterator(self)
            else:
                self._iterator.reset()
            return self._iterator
        return _MultiProcessIterator(self)

    def _base_seed(self) -> int:
        """The workers' base seed (worker ``i`` is seeded ``base_seed + i``), from ``generator``
        or the global generator. Drawn by every new iterator, workers or not, as in PyTorch: so
        a sampler sharing that generator draws the same numbers whatever ``num_workers``."""
        if isinstance(self.generator, np.random.Generator):
            return int(self.generator.integers(0, 2**62))
        if self.generator is not None:
            source = self.generator.source
            return int(source.to_numpy(source.randint(0, 2**62, (1,), "int64"))[0])
        return _seed_from_global()


class _SingleProcessIterator:
    def __init__(self, loader: DataLoader) -> None:
        self._sampler_iter = iter(loader._index_sampler)
        loader._base_seed()  # drawn, unused, as PyTorch: the same draws with and without workers
        self._fetcher = make_fetcher(loader._kind, loader.dataset, loader._auto_collation,
                                     loader.collate_fn, loader.drop_last)
        self._loader = loader

    def __iter__(self) -> _SingleProcessIterator:
        return self

    def __next__(self) -> Any:
        indices = next(self._sampler_iter)
        return self._fetcher.fetch(indices)  # an ended iterable dataset raises StopIteration

    def __len__(self) -> int:
        return len(self._loader)


class _MultiProcessIterator:
    """Batches made by ``loader.num_workers`` worker processes, yielded in the sampler's order.

    Task ``t`` (the ``t``-th batch of indices) goes to worker ``t mod num_workers`` (skipping
    workers whose stream ended); at most ``prefetch_factor`` tasks per worker are outstanding.
    Batches that arrive early wait in ``_task_info`` until their turn.
    """

    def __init__(self, loader: DataLoader) -> None:
        self._loader = loader
        self._num_workers = loader.num_workers
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._timeout = loader.timeout
        self._persistent = loader.persistent_workers
        context = loader.multiprocessing_context
        if context is None:
            context = multiprocessing.get_context()
        elif isinstance(context, str):
            context = multiprocessing.get_context(context)
        register_tensor_pickling()
        self._result_queue = context.Queue()
        self._done_event = context.Event()
        self.shut_down = False
        self._sampler_iter = iter(loader._index_sampler)  # before the base seed, as PyTorch
        base_seed = loader._base_seed()
        self._index_queues = []
        self._workers = []
        for worker_id in range(self._num_workers):
            index_queue = context.Queue()
            index_queue.cancel_join_thread()  # never block this process's exit on unsent indices
            worker = context.Process(
                target=worker_loop,
                args=(loader.dataset, loader._kind, loader._auto_collation, loader.collate_fn,
                      loader.drop_last, index_queue, self._result_queue, self._done_event, base_seed,
                      loader.worker_init_fn, worker_id, self._num_workers, os.getpid()),
                daemon=True,  # ended with this process, whatever happens
            )
            worker.start()
            self._index_queues.append(index_queue)
            self._workers.append(worker)
        self._start_epoch(first=True)

    def __iter__(self) -> _MultiProcessIterator:
        return self

    def __len__(self) -> int:
        return len(self._loader)

    def reset(self) -> None:
        """A new epoch on the same (persistent) workers."""
        self._start_epoch(first=False)

    def _start_epoch(self, first: bool) -> None:
        if not first:
            self._sampler_iter = iter(self._loader._index_sampler)
        self._send_index = 0
        self._received_index = 0
        self._task_info: dict[int, tuple] = {}  # task -> (worker,) or, arrived early, (worker, batch)
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        self._active = [True] * self._num_workers
        if not first:
            for index_queue in self._index_queues:
                index_queue.put(ResumeIteration())
            waiting = self._num_workers
            while waiting:
                task, _ = self._get_data()
                if isinstance(task, ResumeIteration):
                    waiting -= 1
        for _ in range(self._prefetch):
            self._try_put_index()

    def _try_put_index(self) -> None:
        try:
            indices = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker = next(self._worker_cycle)
            if self._active[worker]:
                break
        else:
            return  # every worker's stream has ended
        self._index_queues[worker].put((self._send_index, indices))
        self._task_info[self._send_index] = (worker,)
        self._send_index += 1

    def __next__(self) -> Any:
        while True:
            # Tasks given to a worker whose stream ended will never come back: skip them.
            while self._received_index < self._send_index:
                info = self._task_info[self._received_index]
                if len(info) == 2 or self._active[info[0]]:
                    break
                del self._task_info[self._received_index]
                self._received_index += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._received_index]
            if len(info) == 2:  # it arrived earlier
                return self._deliver(info[1])
            task, batch = self._get_data()
            if isinstance(batch, IterableDatasetStop):
                self._active[batch.worker_id] = False
                if not self._persistent:
                    self._index_queues[batch.worker_id].put(None)  # that worker may leave
                self._try_put_index()
                continue
            if task != self._received_index:
                self._task_info[task] = (*self._task_info[task], batch)
                continue
            return self._deliver(batch)

    def _deliver(self, batch: Any) -> Any:
        del self._task_info[self._received_index]
        self._received_index += 1
        self._try_put_index()
        if isinstance(batch, ExceptionWrapper):
            batch.reraise()
        return batch

    def _get_data(self) -> tuple[Any, Any]:
        """The next ``(task, batch)`` from any worker; raises if ``timeout`` passes or a worker
        died, instead of waiting forever."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = STATUS_CHECK_INTERVAL
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
            try:
                return self._result_queue.get(timeout=max(wait, 0.0))
            except queue.Empty:
                pass
            except KeyboardInterrupt:
                self._shutdown()  # Ctrl-C: the workers go too
                raise
            dead = [worker for worker, active in zip(self._workers, self._active)
                    if active and not worker.is_alive()]
            if dead:
                self._shutdown(force=True)
                pids = ", ".join(str(worker.pid) for worker in dead)
                codes = ", ".join(str(worker.exitcode) for worker in dead)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code {codes}); "
                                   "a worker killed by the system often ran out of memory: try fewer workers")
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown(force=True)  # the late worker may be stuck: don't wait for it
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _shutdown(self, force: bool = False) -> None:
        """Stop the workers: ask, wait a little (not at all with ``force``), then terminate."""
        if self.shut_down:
            return
        self.shut_down = True
        self._done_event.set()
        for index_queue in self._index_queues:
            try:
                index_queue.put(None)
            except (OSError, ValueError):
                pass
        for worker in self._workers:
            worker.join(timeout=0 if force else 5 * STATUS_CHECK_INTERVAL)
            if worker.is_alive():
                worker.terminate()  # stuck in user code: it must not outlive the loader
                worker.join()
        for index_queue in self._index_queues:
            index_queue.close()
        self._result_queue.cancel_join_thread()
        self._result_queue.close()

    def __del__(self) -> None:
        try:
            self._shutdown()
        except Exception:
            pass
