"""torch.utils.data's API: DataLoader's arguments and checks, default_collate / default_convert,
samplers, random_split, ConcatDataset and IterableDataset, compared with PyTorch.

Where PyTorch's numbers come from its own generator (RandomSampler, SubsetRandomSampler,
WeightedRandomSampler, random_split's permutation) the tests check the rule instead of the
numbers: permutations are permutations, draws are in range and in proportion, the same seed
replays the same sequence. Worker processes are in test_dataloader_workers.py.
"""

from __future__ import annotations

import collections
import math
import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.utils import data


def as_plain(value: Any) -> Any:
    """A batch as comparable Python data: (container type name, dtype, values) all the way down."""
    if isinstance(value, (minigrad.Tensor,)) or type(value).__name__ == "Tensor":
        return ("tensor", str(value.dtype).split(".")[-1], value.tolist())
    if isinstance(value, dict):
        return ("dict", {key: as_plain(item) for key, item in value.items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [as_plain(item) for item in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [as_plain(item) for item in value])
    return ("object", value)


class Rows(data.Dataset):
    """Example i is whatever ``make(i)`` returns (shared by both frameworks' loaders)."""

    def __init__(self, count: int, make: Any) -> None:
        self.count, self.make = count, make

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> Any:
        return self.make(index)


def torch_rows(torch: Any, count: int, make: Any) -> Any:
    class TorchRows(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return count

        def __getitem__(self, index: int) -> Any:
            return make(index)

    return TorchRows()


def test_every_torch_utils_data_name_is_there(torch: Any) -> None:
    names = ["DataLoader", "Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
             "ChainDataset", "random_split", "default_collate", "default_convert", "get_worker_info",
             "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
             "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]
    assert all(hasattr(torch.utils.data, name) for name in names)  # the list is PyTorch's
    assert [name for name in names if not hasattr(data, name)] == []


# --- DataLoader's argument checks ------------------------------------------------------------------

BAD_ARGUMENTS = {
    "sampler with shuffle": lambda d, m: {"sampler": m.SequentialSampler(d), "shuffle": True},
    "batch_sampler with batch_size": lambda d, m: {"batch_sampler": [[0]], "batch_size": 2},
    "batch_sampler with shuffle": lambda d, m: {"batch_sampler": [[0]], "shuffle": True},
    "batch_sampler with drop_last": lambda d, m: {"batch_sampler": [[0]], "drop_last": True},
    "batch_sampler with sampler": lambda d, m: {"batch_sampler": [[0]], "sampler": [0]},
    "no batching with drop_last": lambda d, m: {"batch_size": None, "drop_last": True},
    "negative num_workers": lambda d, m: {"num_workers": -1},
    "negative timeout": lambda d, m: {"timeout": -1},
    "prefetch_factor without workers": lambda d, m: {"prefetch_factor": 2},
    "persistent_workers without workers": lambda d, m: {"persistent_workers": True},
    "zero batch_size": lambda d, m: {"batch_size": 0},
    "float batch_size": lambda d, m: {"batch_size": 2.0},
    "non-bool drop_last": lambda d, m: {"drop_last": 1},
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_arguments_raise_what_pytorch_raises(torch: Any, case: str) -> None:
    make = BAD_ARGUMENTS[case]
    theirs_dataset = torch.utils.data.TensorDataset(torch.arange(4))
    with pytest.raises(Exception) as theirs:
        torch.utils.data.DataLoader(theirs_dataset, **make(theirs_dataset, torch.utils.data))
    ours_dataset = data.TensorDataset(minigrad.arange(4))
    with pytest.raises(theirs.type) as ours:
        data.DataLoader(ours_dataset, **make(ours_dataset, data))
    assert str(ours.value).split(",")[0][:30] == str(theirs.value).split(",")[0][:30]


class Stream(data.IterableDataset):
    def __init__(self, count: int) -> None:
        self.count = count

    def __iter__(self) -> Any:
        info = data.get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.count, step))

    def __len__(self) -> int:
        return self.count


@pytest.mark.parametrize("option", [{"shuffle": True}, {"sampler": [0, 1]}, {"batch_sampler": [[0]]}])
def test_an_iterable_dataset_takes_no_order_options(torch: Any, option: dict) -> None:
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self) -> Any:
            return iter(range(3))

    with pytest.raises(ValueError, match="expected unspecified"):
        torch.utils.data.DataLoader(TorchStream(), **option)
    with pytest.raises(ValueError, match="expected unspecified"):
        data.DataLoader(Stream(3), **option)


@pytest.mark.parametrize("name", ["batch_size", "sampler", "batch_sampler", "drop_last", "dataset"])
def test_loader_attributes_are_frozen_as_in_pytorch(torch: Any, name: str) -> None:
    theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(4)))
    with pytest.raises(ValueError, match="should not be set"):
        setattr(theirs, name, getattr(theirs, name))
    ours = data.DataLoader(data.TensorDataset(minigrad.arange(4)))
    with pytest.raises(ValueError, match=f"{name} attribute should not be set after DataLoader is initialized"):
        setattr(ours, name, getattr(ours, name))


def test_pin_memory_and_the_other_pytorch_options_are_accepted() -> None:
    loader = data.DataLoader(data.TensorDataset(minigrad.arange(6)), batch_size=4, pin_memory=True,
                             timeout=0, worker_init_fn=None, multiprocessing_context=None)
    assert [batch.tolist() for (batch,) in loader] == [[0, 1, 2, 3], [4, 5]]


# --- lengths and what the batches are ---------------------------------------------------------------


@pytest.mark.parametrize("options", [
    {}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": None},
    {"batch_sampler": "pairs"}, {"sampler": "reversed", "batch_size": 4},
])
def test_batches_and_length_match_pytorch(torch: Any, options: dict) -> None:
    def make(i: int) -> Any:
        return (np.full(2, i, np.float32), i, {"half": i / 2, "name": f"row{i}"})

    def resolve(framework: Any, dataset: Any) -> dict:
        resolved = dict(options)
        if options.get("batch_sampler") == "pairs":
            resolved["batch_sampler"] = [[0, 1], [5, 2], [9]]
        if options.get("sampler") == "reversed":
            resolved["sampler"] = list(reversed(range(10)))
        return resolved

    ours = data.DataLoader(Rows(10, make), **resolve(data, None))
    theirs = torch.utils.data.DataLoader(torch_rows(torch, 10, make), **resolve(torch.utils.data, None))
    assert len(ours) == len(theirs)
    assert [as_plain(batch) for batch in ours] == [as_plain(batch) for batch in theirs]


def test_a_batch_from_get_batch_has_default_collates_types(torch: Any) -> None:
    ours = next(iter(data.DataLoader(data.TensorDataset(minigrad.arange(4), minigrad.ones(4)), batch_size=2)))
    theirs = next(iter(torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(4), torch.ones(4)), batch_size=2)))
    assert as_plain(ours) == as_plain(theirs)


def test_a_collate_fn_gets_the_examples(torch: Any) -> None:
    def collate(examples: list) -> Any:
        return [len(examples), sum(int(label) for _, label in examples)]

    ours = list(data.DataLoader(data.TensorDataset(minigrad.zeros(5), minigrad.arange(5)), batch_size=2,
                                collate_fn=collate))
    theirs = list(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(5), torch.arange(5)),
                                              batch_size=2, collate_fn=collate))
    assert ours == theirs == [[2, 1], [2, 5], [1, 4]]


def test_getitems_reads_a_batch_in_one_call() -> None:
    class Batched(data.Dataset):
        calls: list = []

        def __len__(self) -> int:
            return 5

        def __getitem__(self, index: int) -> int:
            raise AssertionError("read one by one")

        def __getitems__(self, indices: list) -> list:
            self.calls.append(list(indices))
            return [index * 10 for index in indices]

    batches = [batch.tolist() for batch in data.DataLoader(Batched(), batch_size=2)]
    assert batches == [[0, 10], [20, 30], [40]] and Batched.calls == [[0, 1], [2, 3], [4]]


# --- default_collate and default_convert ----------------------------------------------------------------

Point = collections.namedtuple("Point", "x y")

COLLATE_CASES = {
    "ints": [1, 2, 3],
    "floats (float64, as PyTorch)": [0.5, 1.5],
    "bools": [True, False],
    "numpy float32 arrays": [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "numpy float64 arrays": [np.ones(2), np.zeros(2)],
    "numpy int32 scalars": [np.int32(1), np.int32(5)],
    "numpy float32 scalars": [np.float32(1), np.float32(2)],
    "0-d numpy arrays": [np.array(1.0), np.array(2.0)],
    "strings": ["a", "b"],
    "tuples become lists": [(1, 2.0), (3, 4.0)],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"a": 1, "b": [1.0, 2.0]}, {"a": 2, "b": [3.0, 4.0]}],
    "named tuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [((np.zeros(2, np.float32), 1), {"k": (True, "s")}), ((np.ones(2, np.float32), 2), {"k": (False, "t")})],
}


@pytest.mark.parametrize("case", list(COLLATE_CASES))
def test_default_collate_matches_pytorch(torch: Any, case: str) -> None:
    batch = COLLATE_CASES[case]
    assert as_plain(data.default_collate(batch)) == as_plain(torch.utils.data.default_collate(batch))


def test_default_collate_stacks_tensors(torch: Any) -> None:
    ours = data.default_collate([minigrad.ones(2, dtype=minigrad.int32), minigrad.zeros(2, dtype=minigrad.int32)])
    theirs = torch.utils.data.default_collate([torch.ones(2, dtype=torch.int32), torch.zeros(2, dtype=torch.int32)])
    assert as_plain(ours) == as_plain(theirs)


@pytest.mark.parametrize("batch", [[np.array(["a"])], [object()], [[1, 2], [3]]])
def test_default_collate_refuses_what_pytorch_refuses(torch: Any, batch: list) -> None:
    with pytest.raises(Exception) as theirs:
        torch.utils.data.default_collate(batch)
    with pytest.raises(theirs.type) as ours:
        data.default_collate(batch)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("value", [
    np.zeros(2), (np.zeros(1, np.float32), 1), [np.int64(3)], {"a": np.ones(1, np.int32)}, "text", 2.5,
    Point(np.zeros(1), "y"),
])
def test_default_convert_matches_pytorch(torch: Any, value: Any) -> None:
    assert as_plain(data.default_convert(value)) == as_plain(torch.utils.data.default_convert(value))


# --- samplers --------------------------------------------------------------------------------------------


def test_sequential_and_batch_samplers_match_pytorch(torch: Any) -> None:
    assert list(data.SequentialSampler(range(7))) == list(torch.utils.data.SequentialSampler(range(7)))
    for size, drop_last in [(3, False), (3, True), (7, False), (10, True)]:
        ours = data.BatchSampler(range(7), size, drop_last)
        theirs = torch.utils.data.BatchSampler(range(7), size, drop_last)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**32))
def test_random_sampler_yields_a_permutation_replayed_by_its_seed(count: int, seed: int) -> None:
    first = list(data.RandomSampler(range(count), generator=minigrad.Generator().manual_seed(seed)))
    again = list(data.RandomSampler(range(count), generator=minigrad.Generator().manual_seed(seed)))
    assert sorted(first) == list(range(count)) and first == again


def test_random_sampler_with_num_samples_and_replacement(torch: Any) -> None:
    for replacement, num_samples in [(False, 25), (True, 70), (True, 3)]:
        ours = data.RandomSampler(range(10), replacement=replacement, num_samples=num_samples,
                                  generator=minigrad.Generator().manual_seed(0))
        theirs = torch.utils.data.RandomSampler(range(10), replacement=replacement, num_samples=num_samples)
        drawn = list(ours)
        assert len(ours) == len(theirs) == len(drawn) == len(list(theirs)) == num_samples
        assert all(0 <= index < 10 for index in drawn)
        if not replacement:  # whole permutations, then part of one
            assert sorted(drawn[:10]) == sorted(drawn[10:20]) == list(range(10))
            assert len(set(drawn[20:])) == 5
    drawn = list(data.RandomSampler(range(10), replacement=True, num_samples=5000,
                                    generator=minigrad.Generator().manual_seed(1)))
    counts = np.bincount(drawn, minlength=10)
    assert counts.min() > 400 and counts.max() < 600  # uniform: 500 each, sd ~21


def test_random_sampler_without_a_generator_follows_manual_seed() -> None:
    sampler = data.RandomSampler(range(30))
    minigrad.manual_seed(5)
    first, second = list(sampler), list(sampler)
    minigrad.manual_seed(5)
    assert [list(sampler), list(sampler)] == [first, second] and first != second


@pytest.mark.parametrize("kwargs", [{"replacement": 1}, {"num_samples": 0}, {"num_samples": 2.5}])
def test_random_sampler_checks_match_pytorch(torch: Any, kwargs: dict) -> None:
    with pytest.raises(Exception) as theirs:
        torch.utils.data.RandomSampler(range(3), **kwargs)
    with pytest.raises(theirs.type, match=str(theirs.value).split(",")[0]):
        data.RandomSampler(range(3), **kwargs)


def test_subset_random_sampler_shuffles_the_given_indices(torch: Any) -> None:
    indices = [3, 8, 1, 9, 4]
    ours = data.SubsetRandomSampler(indices, generator=minigrad.Generator().manual_seed(2))
    assert sorted(ours) == sorted(torch.utils.data.SubsetRandomSampler(indices)) == sorted(indices)
    assert len(ours) == 5
    orders = {tuple(ours) for _ in range(10)}
    assert len(orders) > 1  # a new order each pass


def test_weighted_random_sampler_draws_in_proportion() -> None:
    weights = [0.1, 0.0, 0.6, 0.3]
    drawn = list(data.WeightedRandomSampler(weights, 20000, generator=minigrad.Generator().manual_seed(3)))
    shares = np.bincount(drawn, minlength=4) / len(drawn)
    assert shares[1] == 0  # a zero weight is never drawn
    np.testing.assert_allclose(shares, weights, atol=0.015)  # sd of a share ~0.0035


def test_weighted_random_sampler_without_replacement_draws_each_index_once() -> None:
    weights = [1.0, 5.0, 0.0, 2.0, 1.0]
    generator = minigrad.Generator().manual_seed(4)
    firsts = []
    for _ in range(2000):
        drawn = list(data.WeightedRandomSampler(weights, 3, replacement=False, generator=generator))
        assert len(set(drawn)) == 3 and 2 not in drawn
        firsts.append(drawn[0])
    shares = np.bincount(firsts, minlength=5) / len(firsts)
    np.testing.assert_allclose(shares, np.array(weights) / 9, atol=0.04)  # the first pick is proportional


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], 2, 1), ([[1.0, 2.0]], 2), ([1.0, 0.0], 3, False),
                                  ([-1.0, 1.0], 2)])
def test_weighted_random_sampler_checks_match_pytorch(torch: Any, args: tuple) -> None:
    def build(module: Any) -> list:
        return list(module.WeightedRandomSampler(*args))

    with pytest.raises(Exception) as theirs:
        build(torch.utils.data)
    with pytest.raises(theirs.type):
        build(data)


def test_a_loader_with_a_weighted_sampler(torch: Any) -> None:
    sampler = data.WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], 6, generator=minigrad.Generator().manual_seed(0))
    loader = data.DataLoader(data.TensorDataset(minigrad.arange(4)), batch_size=4, sampler=sampler)
    batches = [batch.tolist() for (batch,) in loader]
    assert [len(batch) for batch in batches] == [4, 2] and set(sum(batches, [])) <= {1, 3}


def test_a_generator_drives_a_shuffling_loader() -> None:
    def orders(seed: int) -> list:
        loader = data.DataLoader(data.TensorDataset(minigrad.arange(20)), batch_size=5, shuffle=True,
                                 generator=minigrad.Generator().manual_seed(seed))
        return [[batch.tolist() for (batch,) in loader] for _ in range(2)]

    assert orders(1) == orders(1) and orders(1) != orders(2)
    first, second = orders(1)
    assert first != second and sorted(sum(first, [])) == list(range(20))


# --- random_split, ConcatDataset, IterableDataset ----------------------------------------------------------


@pytest.mark.parametrize("lengths", [[3, 7], [0.5, 0.5], [0.3, 0.3, 0.4], [0.33, 0.33, 0.34], [10]])
def test_random_split_sizes_match_pytorch_and_cover_the_dataset(torch: Any, lengths: list) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.utils.data.random_split(range(10), lengths)
    ours = data.random_split(Rows(10, lambda i: i), lengths, generator=minigrad.Generator().manual_seed(0))
    assert [len(part) for part in ours] == [len(part) for part in theirs]
    assert sorted(item for part in ours for item in (part[i] for i in range(len(part)))) == list(range(10))


def test_random_split_is_replayed_by_its_generator_and_checks_lengths(torch: Any) -> None:
    def split(seed: int) -> list:
        parts = data.random_split(Rows(12, lambda i: i), [4, 8], generator=minigrad.Generator().manual_seed(seed))
        return [[part[i] for i in range(len(part))] for part in parts]

    assert split(3) == split(3) and split(3) != split(4)
    with pytest.raises(ValueError, match="Sum of input lengths"):
        torch.utils.data.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset"):
        data.random_split(Rows(10, lambda i: i), [3, 3])


def test_random_split_warns_about_each_empty_split(torch: Any) -> None:
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        torch.utils.data.random_split(range(2), [0.9, 0.05, 0.05])
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        data.random_split(Rows(2, lambda i: i), [0.9, 0.05, 0.05])
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert len(ours) == 2 and "Length of split at index 1 is 0" in str(ours[0].message)


def test_concat_dataset_matches_pytorch(torch: Any) -> None:
    parts = [list(range(3)), list(range(10, 15)), list(range(20, 22))]
    ours = data.ConcatDataset([Rows(len(p), p.__getitem__) for p in parts])
    theirs = torch.utils.data.ConcatDataset([torch_rows(torch, len(p), p.__getitem__) for p in parts])
    assert len(ours) == len(theirs) == 10 and ours.cumulative_sizes == theirs.cumulative_sizes
    assert [ours[i] for i in range(-10, 10)] == [theirs[i] for i in range(-10, 10)]
    with pytest.raises(ValueError, match="absolute value of index"):
        ours[-11]
    added = Rows(2, lambda i: i) + Rows(1, lambda i: "x")
    assert isinstance(added, data.ConcatDataset) and [added[i] for i in range(3)] == [0, 1, "x"]
    with pytest.raises(AssertionError, match="empty"):  # PyTorch checks with assert
        data.ConcatDataset([])


@pytest.mark.parametrize("options", [{"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None}])
def test_an_iterable_dataset_batches_as_in_pytorch(torch: Any, options: dict) -> None:
    class TorchStream(torch.utils.data.IterableDataset):
        def __iter__(self) -> Any:
            return iter(range(10))

        def __len__(self) -> int:
            return 10

    ours = data.DataLoader(Stream(10), **options)
    theirs = torch.utils.data.DataLoader(TorchStream(), **options)
    assert [as_plain(batch) for batch in ours] == [as_plain(batch) for batch in theirs]
    assert len(ours) == len(theirs)


def test_iterable_datasets_chain_with_plus() -> None:
    chained = Stream(3) + Stream(2)
    assert isinstance(chained, data.ChainDataset) and list(chained) == [0, 1, 2, 0, 1] and len(chained) == 5


def test_a_shuffled_loader_keeps_len_and_visits_everything_once() -> None:
    loader = data.DataLoader(data.TensorDataset(minigrad.arange(23)), batch_size=5, shuffle=True, seed=2)
    batches = [batch.tolist() for (batch,) in loader]
    assert len(loader) == len(batches) == math.ceil(23 / 5)
    assert sorted(sum(batches, [])) == list(range(23))
