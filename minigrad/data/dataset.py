"""Datasets: indexable collections of examples, as in ``torch.utils.data``.

A dataset may also define ``get_batch(indices)``; :class:`~minigrad.data.DataLoader` then
builds a whole batch with one fancy index instead of one Python call per example.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate
from typing import Any

import numpy as np


class Dataset:
    """A map-style dataset: ``dataset[i]`` is the i-th example, ``len(dataset)`` their number.

    Subclasses define ``__getitem__`` and usually ``__len__`` (as in PyTorch, neither is
    enforced at construction: a dataset read through a custom sampler may have no length).
    ``a + b`` is ``ConcatDataset([a, b])``.
    """

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(
            f"Subclasses of Dataset should implement __getitem__ ({type(self).__name__} does not)."
        )

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: ``iter(dataset)`` yields its examples (``__iter__``).

    With ``num_workers > 0`` every worker process iterates its own copy of the dataset; split
    the work with ``minigrad.utils.data.get_worker_info()`` or each example comes once per
    worker, as in PyTorch. ``a + b`` is ``ChainDataset([a, b])``.
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(
            f"Subclasses of IterableDataset should implement __iter__ ({type(self).__name__} does not)."
        )

    def __add__(self, other: Dataset) -> ChainDataset:  # type: ignore[override]
        return ChainDataset([self, other])


class ConcatDataset(Dataset):
    """The examples of several map-style datasets, one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        # PyTorch checks these with assert (AssertionError); so does minigrad, explicitly.
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = list(accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            index = len(self) + index
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """Several iterable datasets, streamed one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")  # PyTorch's assert
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self.datasets)  # type: ignore[arg-type]


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator: Any = None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random :class:`Subset` s of the given ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1: then each
    gets ``floor(fraction * len)`` and the examples left over go one each to the first subsets
    (PyTorch's rule). ``generator`` (a ``minigrad.Generator``) fixes the split; without one it
    comes from the global generator (``minigrad.manual_seed``).
    """
    from minigrad.data.sampler import _Draws

    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        count = len(dataset)
        for i, fraction in enumerate(lengths):
            if fraction < 0 or fraction > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
        sizes = [int(math.floor(count * fraction)) for fraction in lengths]
        for i in range(count - sum(sizes)):
            sizes[i % len(sizes)] += 1
        for i, size in enumerate(sizes):
            if size == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.",
                              stacklevel=2)
        lengths = sizes
    if sum(lengths) != len(dataset):
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    order = _Draws(generator).permutation(sum(lengths)).tolist()  # type: ignore[arg-type]
    return [Subset(dataset, order[end - length:end]) for end, length in zip(accumulate(lengths), lengths)]


class TensorDataset(Dataset):
    """Examples are the rows of equal-length tensors: ``dataset[i] == (t0[i], t1[i], ...)``.

    Each tensor has shape ``(N, ...)``; ``get_batch(indices)`` returns one tensor per input,
    of shape ``(B, ...)``, on the input's device.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        sizes = [_first_dim(tensor) for tensor in tensors]
        if len(set(sizes)) != 1:
            raise ValueError(
                f"TensorDataset: all tensors must have the same size in dimension 0, got {sizes}"
            )
        self.tensors = tensors
        # Host arrays, taken once: batches are then one fancy index each.
        self.arrays = [_host_array(tensor) for tensor in tensors]
        self.devices = [str(getattr(tensor, "device", "cpu")) for tensor in tensors]

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        import minigrad

        return tuple(
            _to_device(minigrad.from_numpy(np.asarray(array[index])), device)
            for array, device in zip(self.arrays, self.devices)
        )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def get_batch(self, indices: np.ndarray) -> tuple[Any, ...]:
        """One tensor of shape ``(B, ...)`` per input tensor, for ``B = len(indices)`` (the
        DataLoader hands them on as a list, as ``default_collate`` of the rows)."""
        import minigrad

        return tuple(
            _to_device(minigrad.from_numpy(array[indices]), device)
            for array, device in zip(self.arrays, self.devices)
        )


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order (``torch.utils.data.Subset``)."""

    def __init__(self, dataset: Any, indices: Any) -> None:
        self.dataset = dataset
        self.indices = np.asarray(list(indices) if not hasattr(indices, "__array__") else indices, dtype=np.int64)
        if self.indices.size and (self.indices.min() < -len(dataset) or self.indices.max() >= len(dataset)):
            raise IndexError(f"Subset: indices must lie in [0, {len(dataset)}) for a dataset of that size")

    def __getitem__(self, index: int) -> Any:
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return len(self.indices)

    def get_batch(self, indices: np.ndarray) -> Any:
        """The wrapped dataset's ``get_batch`` if it has one, else its examples collated."""
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(self.indices[indices])
        from minigrad.data.collate import default_collate

        return default_collate([self.dataset[int(i)] for i in self.indices[indices]])


def _first_dim(tensor: Any) -> int:
    shape = tuple(tensor.shape)
    if not shape:
        raise ValueError("TensorDataset: a 0-d tensor has no dimension 0 to index examples by")
    return shape[0]


def _host_array(tensor: Any) -> np.ndarray:
    if isinstance(tensor, np.ndarray):
        return tensor
    # detach: numpy() refuses tensors that require grad, and a dataset holds no graph.
    tensor = tensor.detach() if hasattr(tensor, "detach") else tensor
    if hasattr(tensor, "cpu"):
        tensor = tensor.cpu()
    return np.asarray(tensor.numpy())


def _to_device(tensor: Any, device: str) -> Any:
    return tensor if device == "cpu" else tensor.to(device)
