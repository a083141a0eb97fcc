"""Data loading: datasets, the DataLoader, and MNIST / Fashion-MNIST from IDX files.

Host-side code: it works on NumPy arrays and hands batches over as minigrad Tensors.
"""

from minigrad.data.dataloader import DataLoader, default_collate
from minigrad.data.dataset import Dataset, Subset, TensorDataset
from minigrad.data.distributed import DistributedSampler
from minigrad.data.idx import IDXError, read_idx
from minigrad.data.mnist import MNIST, DatasetNotFoundError, FashionMNIST, SampleDatasetWarning

__all__ = [
    "Dataset", "Subset", "TensorDataset", "DataLoader", "DistributedSampler", "default_collate", "MNIST",
    "FashionMNIST", "read_idx", "IDXError", "DatasetNotFoundError", "SampleDatasetWarning",
]
