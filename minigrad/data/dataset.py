"""Datasets: indexable collections of examples, as in ``torch.utils.data``.

A dataset may also define ``get_batch(indices)``; :class:`~minigrad.data.DataLoader` then
builds a whole batch with one fancy index instead of one Python call per example.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np


class Dataset(ABC):
    """A map-style dataset: ``dataset[i]`` is the i-th example, ``len(dataset)`` their number."""

    @abstractmethod
    def __getitem__(self, index: int) -> Any:
        """The example at ``index``."""

    @abstractmethod
    def __len__(self) -> int:
        """The number of examples."""


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
        """One tensor of shape ``(B, ...)`` per input tensor, for ``B = len(indices)``."""
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
        from minigrad.data.dataloader import default_collate

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
