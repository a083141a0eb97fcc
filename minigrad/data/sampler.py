"""Samplers: the order in which a DataLoader visits a dataset (``torch.utils.data``'s samplers).

A sampler yields dataset indices; a :class:`BatchSampler` groups them into lists. Their
arguments, checks and lengths are PyTorch's. Random draws come from a ``minigrad.Generator``
(or a ``numpy.random.Generator``) passed as ``generator=``, else from a generator seeded from
the global one (``minigrad.manual_seed``). The numbers differ from PyTorch's (its generator is
its own Mersenne Twister), the rules do not: ``RandomSampler`` without replacement yields
whole permutations, with replacement draws uniformly, ``WeightedRandomSampler`` in proportion
to the weights.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np


class Sampler:
    """Base class: a sampler is an iterable of indices (it may define ``__len__``)."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass  # PyTorch accepts and ignores data_source (deprecated there)

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``, in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices of ``data_source``: permutations (each index once per ``len`` draws), or,
    with ``replacement=True``, ``num_samples`` independent uniform draws.

    Without ``generator``, every ``iter()`` seeds a fresh generator from the global one, so
    each pass differs and ``minigrad.manual_seed`` fixes them all (PyTorch's rule).
    """

    def __init__(self, data_source: Sized, replacement: bool = False, num_samples: int | None = None,
                 generator: Any = None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got replacement={replacement}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not _positive_int(self.num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={self.num_samples}")

    @property
    def num_samples(self) -> int:
        # Read at every use: the dataset may change size between epochs, as PyTorch allows.
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        count = len(self.data_source)
        random = _Draws(self.generator)
        if self.replacement:
            for start in range(0, self.num_samples, 32):  # draws in chunks of 32, as PyTorch
                yield from random.integers(count, min(32, self.num_samples - start)).tolist()
            return
        for _ in range(self.num_samples // count):
            yield from random.permutation(count).tolist()
        yield from random.permutation(count)[:self.num_samples % count].tolist()

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one every pass)."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator[Any]:
        for position in _Draws(self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[position]

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in ``[0, len(weights))``, index ``i`` drawn with probability
    ``weights[i] / sum(weights)``; without replacement, each index at most once."""

    def __init__(self, weights: Sequence[float], num_samples: int, replacement: bool = True,
                 generator: Any = None) -> None:
        if not _positive_int(num_samples):
            raise ValueError(f"num_samples should be a positive integer value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got replacement={replacement}")
        weights_array = np.asarray(_host(weights), dtype=np.float64)
        if weights_array.ndim != 1:
            raise ValueError(
                f"weights should be a 1d sequence but given weights have shape {tuple(weights_array.shape)}"
            )
        self.weights = weights_array
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self) -> Iterator[int]:
        # A generator function: nothing is drawn before the first next(), as in PyTorch.
        # Checked when drawing, as PyTorch's multinomial does.
        if (self.weights < 0).any() or not np.isfinite(self.weights).all() or self.weights.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution: weights must be finite, >= 0 and have a positive sum")
        if not self.replacement and self.num_samples > len(self.weights):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
        random = _Draws(self.generator)
        if self.replacement:
            cumulative = np.cumsum(self.weights)
            picks = np.searchsorted(cumulative, random.uniform(self.num_samples) * cumulative[-1], side="right")
            yield from np.minimum(picks, len(self.weights) - 1).tolist()
            return
        # Without replacement: the largest u ** (1 / w) (Efraimidis and Spirakis), which picks
        # index after index in proportion to the weights of those not yet picked; once they are
        # used up, zero weights follow in index order (PyTorch also returns them then).
        with np.errstate(divide="ignore"):
            keys = np.log(random.uniform(len(self.weights))) / self.weights  # -inf for weight 0
        yield from np.argsort(-keys, kind="stable")[:self.num_samples].tolist()

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler``; the last may be shorter unless
    ``drop_last``."""

    def __init__(self, sampler: Iterable[Any], batch_size: int, drop_last: bool) -> None:
        if not _positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[Any]]:
        batch: list[Any] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        count = len(self.sampler)  # type: ignore[arg-type]
        return count // self.batch_size if self.drop_last else math.ceil(count / self.batch_size)


class EpochShuffleSampler(RandomSampler):
    """``DataLoader(shuffle=True)``'s sampler: epoch ``e``'s order is the permutation drawn from
    ``numpy.random.default_rng([seed, e])``, so a resumed run replays it from ``(seed, epoch)``.
    The DataLoader sets ``epoch`` before each pass."""

    def __init__(self, data_source: Sized, seed: int) -> None:
        super().__init__(data_source)
        self.seed = seed
        self.epoch = 0

    def __iter__(self) -> Iterator[int]:
        return iter(np.random.default_rng([self.seed, self.epoch]).permutation(len(self.data_source)).tolist())


class _Draws:
    """Uniform floats, integers and permutations from a ``minigrad.Generator``, a
    ``numpy.random.Generator``, or (``None``) a generator seeded from the global one."""

    def __init__(self, generator: Any) -> None:
        if generator is None:
            from minigrad.generator import Generator

            generator = Generator().manual_seed(_seed_from_global())
        self.generator = generator

    def uniform(self, count: int) -> np.ndarray:
        if isinstance(self.generator, np.random.Generator):
            return self.generator.random(count)
        source = self.generator.source
        return source.to_numpy(source.rand((count,), "float64"))

    def integers(self, high: int, count: int) -> np.ndarray:
        if isinstance(self.generator, np.random.Generator):
            return self.generator.integers(0, high, count)
        source = self.generator.source
        return source.to_numpy(source.randint(0, high, (count,), "int64"))

    def permutation(self, count: int) -> np.ndarray:
        if isinstance(self.generator, np.random.Generator):
            return self.generator.permutation(count)
        return np.argsort(self.uniform(count), kind="stable")


def _seed_from_global() -> int:
    import minigrad

    return int(minigrad.randint(0, 2**62, (1,)).numpy()[0])


def _positive_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value > 0


def _host(values: Any) -> Any:
    if hasattr(values, "detach") and hasattr(values, "numpy"):
        return values.detach().cpu().numpy()
    return values
