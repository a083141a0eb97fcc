"""Dataset, TensorDataset and DataLoader: PyTorch's batching semantics, shuffled orders that
are a function of (seed, epoch) so a resumed run replays them, and one fancy index per batch
for datasets with get_batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import minigrad
from minigrad.data import MNIST, DataLoader, Dataset, TensorDataset


def numbered(count: int) -> TensorDataset:
    """Example i is (features [i, i], label i)."""
    features = np.repeat(np.arange(count, dtype=np.float32)[:, None], 2, axis=1)
    return TensorDataset(minigrad.from_numpy(features), minigrad.from_numpy(np.arange(count)))


def visited(loader: DataLoader) -> list[list[int]]:
    """One epoch: the labels of each batch."""
    return [labels.numpy().tolist() for _, labels in loader]


def flat(batches: list[list[int]]) -> list[int]:
    return [index for batch in batches for index in batch]


# --- Dataset and TensorDataset ---------------------------------------------------------------------


def test_a_dataset_without_getitem_raises_when_read(torch: Any) -> None:
    # As PyTorch: Dataset() can be made (a subclass need not define __len__), reading it cannot.
    with pytest.raises(NotImplementedError):
        torch.utils.data.Dataset()[0]
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_tensor_dataset_examples_are_rows() -> None:
    dataset = numbered(4)
    features, label = dataset[2]
    assert len(dataset) == 4
    assert features.numpy().tolist() == [2.0, 2.0] and int(label.numpy()) == 2


def test_tensor_dataset_needs_equal_first_dimensions() -> None:
    with pytest.raises(ValueError, match=r"\[3, 4\]"):
        TensorDataset(minigrad.zeros(3, 2), minigrad.zeros(4))


def test_tensor_dataset_accepts_tensors_that_require_grad() -> None:
    weights = minigrad.ones(3, 2, requires_grad=True)
    (batch,) = TensorDataset(weights).get_batch(np.array([0, 2]))
    assert batch.shape == (2, 2) and not batch.requires_grad


# --- length and batching ----------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "batch_size"), [(10, 3), (9, 3), (2, 5), (0, 4), (7, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_length_and_batches_match_pytorch(
    torch: Any, count: int, batch_size: int, drop_last: bool
) -> None:
    ours = DataLoader(numbered(count), batch_size=batch_size, drop_last=drop_last)
    reference = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(count)), batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(reference)
    assert visited(ours) == [labels.tolist() for (labels,) in reference]


def test_drop_last_drops_only_a_short_last_batch() -> None:
    assert visited(DataLoader(numbered(7), batch_size=3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert visited(DataLoader(numbered(7), batch_size=3, drop_last=True)) == [[0, 1, 2], [3, 4, 5]]


def test_batches_are_tensors_with_the_datasets_dtypes() -> None:
    features, labels = next(iter(DataLoader(numbered(10), batch_size=4)))
    assert isinstance(features, minigrad.Tensor) and isinstance(labels, minigrad.Tensor)
    assert features.shape == (4, 2) and features.dtype == minigrad.float32
    assert labels.shape == (4,) and labels.dtype == minigrad.int64


@pytest.mark.parametrize("batch_size", [0, -1, 2.0])
def test_batch_size_must_be_a_positive_int(batch_size: Any) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(numbered(3), batch_size=batch_size)


# --- shuffling ------------------------------------------------------------------------------------


def test_every_epoch_visits_every_example_exactly_once() -> None:
    loader = DataLoader(numbered(103), batch_size=10, shuffle=True, seed=0)
    for _ in range(3):
        assert sorted(flat(visited(loader))) == list(range(103))


def test_epochs_differ_but_a_loader_with_the_same_seed_replays_them() -> None:
    first = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=7)
    second = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=7)
    first_epochs = [flat(visited(first)) for _ in range(3)]
    assert first_epochs == [flat(visited(second)) for _ in range(3)]
    assert len({tuple(order) for order in first_epochs}) == 3
    assert first_epochs[0] != list(range(50))


def test_different_seeds_give_different_orders() -> None:
    orders = {tuple(flat(visited(DataLoader(numbered(50), shuffle=True, seed=s)))) for s in range(4)}
    assert len(orders) == 4


def test_set_epoch_replays_that_epoch_for_a_resumed_run() -> None:
    original = DataLoader(numbered(30), batch_size=4, shuffle=True, seed=3)
    epochs = [visited(original) for _ in range(4)]

    resumed = DataLoader(numbered(30), batch_size=4, shuffle=True, seed=3)
    resumed.set_epoch(2)  # the checkpoint was taken after epochs 0 and 1
    assert [visited(resumed), visited(resumed)] == epochs[2:]


def test_state_dict_carries_the_epoch_and_seed() -> None:
    original = DataLoader(numbered(30), batch_size=4, shuffle=True)  # seed drawn for us
    visited(original)
    saved = original.state_dict()
    assert saved["epoch"] == 1
    expected = visited(original)

    resumed = DataLoader(numbered(30), batch_size=4, shuffle=True)
    resumed.load_state_dict(saved)
    assert visited(resumed) == expected


def test_the_epoch_advances_when_iteration_starts() -> None:
    loader = DataLoader(numbered(10), shuffle=True, seed=0)
    iterator = iter(loader)
    assert loader.epoch == 1
    next(iterator)


def test_manual_seed_fixes_the_order_of_loaders_built_without_a_seed() -> None:
    minigrad.manual_seed(1234)
    first = flat(visited(DataLoader(numbered(40), shuffle=True)))
    minigrad.manual_seed(1234)
    assert flat(visited(DataLoader(numbered(40), shuffle=True))) == first


def test_a_numpy_generator_can_drive_the_shuffling() -> None:
    first = DataLoader(numbered(20), shuffle=True, generator=np.random.default_rng(5))
    second = DataLoader(numbered(20), shuffle=True, generator=np.random.default_rng(5))
    assert [flat(visited(first)) for _ in range(2)] == [flat(visited(second)) for _ in range(2)]
    with pytest.raises(ValueError, match="seed or generator"):
        DataLoader(numbered(20), seed=1, generator=np.random.default_rng(5))


# --- the get_batch fast path and the default collate -------------------------------------------------


class CountingDataset(Dataset):
    """Records how it was read; has get_batch only when asked to."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.item_reads = 0
        self.batch_reads: list[list[int]] = []

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> tuple[np.ndarray, int, float]:
        self.item_reads += 1
        return np.full((2, 3), index, dtype=np.float32), index, index / 2


class BatchedDataset(CountingDataset):
    def get_batch(self, indices: np.ndarray) -> tuple[Any, Any]:
        self.batch_reads.append(indices.tolist())
        return minigrad.from_numpy(indices.astype(np.float32)), minigrad.from_numpy(indices)


def test_get_batch_is_one_call_per_batch_and_no_item_reads() -> None:
    dataset = BatchedDataset(10)
    batches = list(DataLoader(dataset, batch_size=4, shuffle=True, seed=0))
    assert len(batches) == 3 and dataset.item_reads == 0
    assert sorted(flat(dataset.batch_reads)) == list(range(10))


def test_default_collate_stacks_arrays_and_converts_numbers() -> None:
    dataset = CountingDataset(5)
    images, labels, halves = next(iter(DataLoader(dataset, batch_size=4)))
    assert dataset.item_reads == 4
    assert images.shape == (4, 2, 3) and images.dtype == minigrad.float32
    assert labels.numpy().tolist() == [0, 1, 2, 3] and labels.dtype == minigrad.int64
    assert halves.dtype == minigrad.float64  # PyTorch's default_collate: Python floats are float64


def test_default_collate_stacks_tensor_examples() -> None:
    class TensorExamples(Dataset):
        def __len__(self) -> int:
            return 3

        def __getitem__(self, index: int) -> Any:
            return minigrad.full((2,), float(index))

    (batch,) = list(DataLoader(TensorExamples(), batch_size=3))
    assert batch.numpy().tolist() == [[0, 0], [1, 1], [2, 2]]


# --- with MNIST ---------------------------------------------------------------------------------------


def test_mnist_batches(shared_mnist_dir: Path) -> None:
    loader = DataLoader(MNIST(shared_mnist_dir, train=False, download=False), batch_size=256,
                        shuffle=True, seed=0)
    assert len(loader) == 40  # ceil(10000 / 256)
    sizes = []
    for images, labels in loader:
        assert images.shape[1:] == (1, 28, 28) and images.dtype == minigrad.float32
        assert labels.dtype == minigrad.int64
        sizes.append(labels.shape[0])
    assert sizes == [256] * 39 + [16]


def test_subset_batches_come_from_the_chosen_indices():
    import minigrad
    from minigrad.data import DataLoader, Subset, TensorDataset

    values = minigrad.arange(10).float()
    subset = Subset(TensorDataset(values), [7, 3, 5])
    assert len(subset) == 3
    (batch,) = next(iter(DataLoader(subset, batch_size=3)))
    assert batch.tolist() == [7.0, 3.0, 5.0]
    assert subset[1][0].item() == 3.0
