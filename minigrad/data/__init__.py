"""Data loading: datasets, the DataLoader, and MNIST / Fashion-MNIST from IDX files.

Host-side code: it works on NumPy arrays and hands batches over as minigrad Tensors. Also
reachable as ``minigrad.utils.data`` (the same module), as ``torch.utils.data``.
"""

from minigrad.data.collate import default_collate, default_convert
from minigrad.data.dataloader import DataLoader
from minigrad.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from minigrad.data.distributed import DistributedSampler
from minigrad.data.idx import IDXError, read_idx
from minigrad.data.mnist import MNIST, DatasetNotFoundError, FashionMNIST, SampleDatasetWarning
from minigrad.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from minigrad.data.worker import get_worker_info

__all__ = [
    "Dataset", "IterableDataset", "Subset", "TensorDataset", "ConcatDataset", "ChainDataset", "random_split",
    "DataLoader", "default_collate", "default_convert", "get_worker_info", "Sampler", "SequentialSampler",
    "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DistributedSampler",
    "MNIST", "FashionMNIST", "read_idx", "IDXError", "DatasetNotFoundError", "SampleDatasetWarning",
]
