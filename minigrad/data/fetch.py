"""Fetchers: one batch from a dataset, given what the batch sampler yielded (PyTorch's rules).

Map-style: ``indices`` is a list of indices (automatic batching) or one index. A dataset with
``get_batch(indices)`` builds the whole batch in one call when the loader uses the default
collate (minigrad's fast path: one fancy index instead of ``B`` reads); a dataset with
``__getitems__`` (PyTorch's batched read) gives the examples in one call; otherwise each
``dataset[i]`` is read and collated. Iterable: ``len(indices)`` examples are taken from the
dataset's iterator; an empty (or, with ``drop_last``, short) batch ends the stream.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.data.collate import default_collate, default_convert


class MapFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable | None) -> None:
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.get_batch = getattr(dataset, "get_batch", None) if collate_fn is None and auto_collation else None
        self.collate_fn = collate_fn or (default_collate if auto_collation else default_convert)

    def fetch(self, indices: Any) -> Any:
        if not self.auto_collation:
            return self.collate_fn(self.dataset[indices])
        if self.get_batch is not None:
            batch = self.get_batch(np.asarray(indices, dtype=np.int64))
            # default_collate gives a list for tuple examples: so does the fast path.
            return list(batch) if type(batch) is tuple else batch
        if hasattr(self.dataset, "__getitems__"):
            return self.collate_fn(self.dataset.__getitems__(indices))
        return self.collate_fn([self.dataset[index] for index in indices])


class IterableFetcher:
    def __init__(self, dataset: Any, auto_collation: bool, collate_fn: Callable | None, drop_last: bool) -> None:
        self.iterator = iter(dataset)
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn or (default_collate if auto_collation else default_convert)
        self.drop_last = drop_last
        self.ended = False

    def fetch(self, indices: Any) -> Any:
        if self.ended:
            raise StopIteration
        if not self.auto_collation:
            return self.collate_fn(next(self.iterator))
        examples = []
        for _ in indices:
            try:
                examples.append(next(self.iterator))
            except StopIteration:
                self.ended = True
                break
        if not examples or (self.drop_last and len(examples) < len(indices)):
            raise StopIteration
        return self.collate_fn(examples)


def make_fetcher(kind: str, dataset: Any, auto_collation: bool, collate_fn: Callable | None,
                 drop_last: bool) -> MapFetcher | IterableFetcher:
    if kind == "iterable":
        return IterableFetcher(dataset, auto_collation, collate_fn, drop_last)
    return MapFetcher(dataset, auto_collation, collate_fn)
