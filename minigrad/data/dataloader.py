"""DataLoader: iterate over a dataset in (optionally shuffled) mini-batches.

Shuffled order is a pure function of ``(seed, epoch)``: epoch ``e`` uses the permutation drawn
from ``numpy.random.default_rng([seed, e])``. Each ``iter(loader)`` uses ``loader.epoch`` and
then advances it, so successive epochs differ, a loader re-created with the same seed replays
the same sequence, and a run resumed from a checkpoint taken before epoch ``k`` reproduces
epoch ``k``'s order with ``loader.set_epoch(k)`` (or ``loader.load_state_dict(saved)``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


class DataLoader:
    """Batches of ``batch_size`` examples from ``dataset``, with PyTorch's semantics.

    Args:
        dataset: supports ``len()`` and ``dataset[i]``. If it also has
            ``get_batch(indices: np.ndarray)``, each batch is that one call (a single fancy
            index) instead of ``batch_size`` calls to ``dataset[i]`` and a collate.
        batch_size: examples per batch; the last batch may be smaller.
        shuffle: draw a new permutation of the examples every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        seed: non-negative int that fixes the shuffled order of every epoch (see the module
            docstring). ``None``: a seed is drawn once, here, from minigrad's global random
            generator, so ``minigrad.manual_seed(s)`` before building the loader fixes it too.
        generator: a ``numpy.random.Generator`` to draw each epoch's permutation from,
            statefully. Its orders can't be replayed by ``set_epoch``; prefer ``seed``.

    Iterating yields what ``get_batch`` returns, or else the collated examples: a tuple of
    examples collates to a tuple of tensors of shape ``(B, ...)``, arrays and tensors are
    stacked, Python ints become int64, floats float32, bools bool.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("pass either seed or generator, not both")
        if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
            raise ValueError(f"seed must be a non-negative int, got {seed!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = generator
        if seed is None and generator is None and shuffle:
            seed = _draw_seed()
        self.seed = None if seed is None else int(seed)
        self.epoch = 0  # the epoch the next iter() will produce

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
        self.set_epoch(int(state["epoch"]))  # type: ignore[arg-type]

    def __len__(self) -> int:
        """The number of batches in one epoch."""
        count = len(self.dataset)
        if self.drop_last:
            return count // self.batch_size
        return math.ceil(count / self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        # Not a generator function: the epoch must advance when iteration starts, not at
        # the first next(), or set_epoch() between iter() and next() would be confusing.
        order = self._order(self.epoch)
        self.epoch += 1
        return self._batches(order)

    def _order(self, epoch: int) -> np.ndarray:
        """The example indices of epoch ``epoch``, in the order they are visited."""
        count = len(self.dataset)
        if not self.shuffle:
            return np.arange(count)
        if self.generator is not None:
            return self.generator.permutation(count)
        return np.random.default_rng([self.seed, epoch]).permutation(count)

    def _batches(self, order: np.ndarray) -> Iterator[Any]:
        get_batch = getattr(self.dataset, "get_batch", None)
        for start in range(0, len(order), self.batch_size):
            indices = order[start:start + self.batch_size]
            if self.drop_last and len(indices) < self.batch_size:
                return
            if get_batch is not None:
                yield get_batch(indices)
            else:
                yield default_collate([self.dataset[int(index)] for index in indices])


def default_collate(examples: Sequence[Any]) -> Any:
    """Merge ``B`` examples into one batch, field by field (see :class:`DataLoader`)."""
    import minigrad

    first = examples[0]
    if isinstance(first, (tuple, list)):
        return tuple(default_collate(list(field)) for field in zip(*examples, strict=True))
    if isinstance(first, dict):
        return {key: default_collate([example[key] for example in examples]) for key in first}
    if isinstance(first, minigrad.Tensor):
        return minigrad.stack(list(examples))
    if isinstance(first, (np.ndarray, np.generic)):
        return minigrad.from_numpy(np.stack([np.asarray(example) for example in examples]))
    if isinstance(first, bool):
        return minigrad.from_numpy(np.array(examples, dtype=np.bool_))
    if isinstance(first, int):
        return minigrad.from_numpy(np.array(examples, dtype=np.int64))
    if isinstance(first, float):
        # float32, not NumPy's float64: Python floats must not promote a model to double.
        return minigrad.from_numpy(np.array(examples, dtype=np.float32))
    return list(examples)  # strings and other objects pass through as a list


def _draw_seed() -> int:
    import minigrad

    return int(minigrad.randint(0, 2**62, (1,)).numpy()[0])
