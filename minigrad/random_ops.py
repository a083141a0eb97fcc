"""Sampling with PyTorch's signatures: ``multinomial``, ``normal`` (its four overloads),
``bernoulli``, ``poisson``, and the in-place fills ``uniform_ normal_ bernoulli_ random_
exponential_`` (``RandomMethods``, a mixin of ``Tensor``). Every one takes ``generator=``.

Draws come from the device's backend or the generator's (uniform, normal, integer and Poisson
samples); the other distributions are computed from those. No gradient flows through a sample:
as in PyTorch, one drawn from inputs that require grad requires grad and passes back zeros.
"""

from __future__ import annotations

from typing import Any

from minigrad import backends
from minigrad.backends.dtypes import DEFAULT_FLOAT, as_dtype
from minigrad.errors import UnsupportedDTypeError
from minigrad.generator import Generator, source_of


def _tensor():
    from minigrad.tensor import Tensor

    return Tensor


def _float_dtype(dtype: Any, op: str) -> Any:
    dtype = DEFAULT_FLOAT if dtype is None else as_dtype(dtype)
    if dtype.kind != "f":
        raise UnsupportedDTypeError(f'"{op}" not implemented for \'{dtype}\' (as PyTorch): sample a float dtype')
    return dtype


def uniform_array(backend: Any, shape: tuple, dtype: Any, generator: Generator | None, op: str) -> Any:
    """Uniform samples in [0, 1) for a tensor on ``backend``, from ``generator`` or the device's."""
    return backend.asarray(source_of(backend, generator, op).rand(shape, dtype))


def normal_array(backend: Any, shape: tuple, dtype: Any, generator: Generator | None, op: str) -> Any:
    return backend.asarray(source_of(backend, generator, op).randn(shape, dtype))


def _zero_gradient_to(sample: Any, *inputs: Any) -> Any:
    """The sample, recorded as depending on the tensor inputs with a zero gradient: PyTorch's
    ``normal``, ``bernoulli`` and ``poisson`` return samples that require grad (when an input
    does) and pass zeros back. A ``where`` that always picks the sample does exactly that."""
    from minigrad.autograd.grad_mode import is_grad_enabled
    from minigrad.ops.elementwise import where

    tensor = _tensor()
    for source in inputs:
        if isinstance(source, tensor) and source.requires_grad and is_grad_enabled():
            always = tensor._make(sample.backend.xp.ones(sample.shape, dtype=bool), sample.backend)
            sample = where(always, sample, source)
    return sample


# --- functions --------------------------------------------------------------------------------
def multinomial(input: Any, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Generator | None = None) -> Any:
    """``num_samples`` category indices per row of the (unnormalised) weights ``input`` (1-D or
    2-D), int64. Without replacement a category is drawn at most once per row (each draw is an
    exponential race: the smallest ``E / weight`` wins; zero weights come last)."""
    tensor = _tensor()
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if input.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: {input.dtype}")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    categories = input.shape[-1]
    if not replacement and num_samples > categories:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    backend, xp = input.backend, input.backend.xp
    weights = input._array.reshape(-1, categories).astype(xp.float64)
    if weights.size and bool((~xp.isfinite(weights) | (weights < 0)).any()):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if bool((weights.sum(axis=1) <= 0).any()):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rows = weights.shape[0]
    u = uniform_array(backend, (rows, num_samples if replacement else categories), xp.float64, generator,
                      "multinomial")
    if replacement:
        # Inverse CDF, all rows in one search: row r's normalised CDF shifted by r is increasing
        # overall; the pick is the first category whose CDF exceeds the uniform.
        cdf = xp.cumsum(weights, axis=1)
        offsets = xp.arange(rows, dtype=xp.float64)[:, None]
        cdf = cdf / cdf[:, -1:] + offsets
        picks = xp.searchsorted(cdf.reshape(-1), (u + offsets).reshape(-1), side="right").reshape(rows, -1)
        picks = picks - (offsets * categories).astype(picks.dtype)
        # rounding (u + r reaching r + 1) could step past the end: take the last category with weight
        last = categories - 1 - xp.argmax(xp.flip(weights > 0, axis=1), axis=1)[:, None]
        picks = xp.where(picks >= categories, last, picks)
    else:
        with_weight = weights > 0
        keys = xp.where(with_weight, -xp.log1p(-u) / xp.where(with_weight, weights, 1), xp.inf)
        picks = xp.argsort(keys, axis=1, kind="stable")[:, :num_samples]
    picks = picks.astype(xp.int64)
    return tensor._make(picks.reshape(num_samples) if input.ndim == 1 else picks, backend)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Any:
    """Normal samples: ``normal(mean_tensor, std_tensor)`` (broadcast), ``normal(mean_tensor,
    std=1.0)``, ``normal(mean, std_tensor)``, or ``normal(mean, std, size)`` of floats."""
    from minigrad.tensor import Tensor, _shape_arg, broadcast_shapes

    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    if not tensors:
        if size is None:
            raise TypeError("normal(): with float mean and std, the size argument is required")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        backend = backends.get(device)
        dtype = _float_dtype(dtype, "normal_kernel_cpu")
        noise = normal_array(backend, _shape_arg((size,)), dtype, generator, "normal")
        result = Tensor._make((noise * std + mean).astype(dtype), backend)
        return result.requires_grad_(True) if requires_grad else result
    backend = tensors[0].backend
    dtype = tensors[0].dtype
    for t in tensors:
        if t.dtype.kind != "f":
            raise RuntimeError(f"normal expects floating-point mean and std, got {t.dtype}")
    if isinstance(std, Tensor) and bool((std._array < 0).any()):
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not isinstance(std, Tensor) and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    shapes = [t.shape for t in tensors]
    full = shapes[0] if len(shapes) == 1 else broadcast_shapes(shapes[0], shapes[1], "normal")
    noise = normal_array(backend, full, dtype, generator, "normal")
    mean_array = mean._array if isinstance(mean, Tensor) else mean
    std_array = std._array if isinstance(std, Tensor) else std
    return _zero_gradient_to(Tensor._make((noise * std_array + mean_array).astype(dtype), backend), mean, std)


def bernoulli(input: Any, p: Any = None, *, generator: Generator | None = None) -> Any:  # noqa: A002
    """1 with probability ``input`` (or ``p``), else 0, in ``input``'s dtype."""
    tensor = _tensor()
    probabilities = input._array if p is None else (p._array if isinstance(p, tensor) else p)
    xp = input.backend.xp
    if p is None and input.dtype.kind != "f":
        raise RuntimeError(f"bernoulli: expected a floating-point tensor of probabilities, got {input.dtype}")
    low_or_high = (xp.asarray(probabilities) < 0) | (xp.asarray(probabilities) > 1)
    if bool(low_or_high.any()):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    u = uniform_array(input.backend, input.shape, xp.float64, generator, "bernoulli")
    return _zero_gradient_to(tensor._make((u < probabilities).astype(input.dtype), input.backend), input, p)


def poisson(input: Any, generator: Generator | None = None) -> Any:  # noqa: A002
    """Poisson counts with rates ``input`` (floats, in ``input``'s dtype)."""
    tensor = _tensor()
    if input.dtype.kind != "f":
        raise UnsupportedDTypeError(f'"poisson_cpu" not implemented for \'{input.dtype}\'')
    if bool((input._array < 0).any()):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    counts = input.backend.asarray(source_of(input.backend, generator, "poisson").poisson(input._array))
    return _zero_gradient_to(tensor._make(counts, input.backend), input)


# --- in-place fills ---------------------------------------------------------------------------
class RandomMethods:
    """Mixed into ``Tensor``: fills that overwrite the tensor with samples (recorded as a copy_,
    so a leaf that requires grad is refused, as PyTorch's in-place ops)."""

    __slots__ = ()

    def _fill_with(self, op: str, array: Any) -> Any:
        values = _tensor()._make(array.astype(self.dtype), self.backend)
        return self._put(op, Ellipsis, values)

    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Generator | None = None,
                 **kwargs: Any) -> Any:
        """Uniform samples in ``[from, to)`` (``from`` is also accepted as a keyword)."""
        from_ = kwargs.pop("from", from_)
        if from_ > to:
            raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={from_} > to={to}")
        if self.dtype.kind != "f":
            raise UnsupportedDTypeError(f'"check_uniform_bounds" not implemented for \'{self.dtype}\'')
        u = uniform_array(self.backend, self.shape, self.dtype, generator, "uniform_")
        return self._fill_with("uniform_", u * (to - from_) + from_)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Generator | None = None) -> Any:
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        if self.dtype.kind != "f":
            raise UnsupportedDTypeError(f'"normal_kernel_cpu" not implemented for \'{self.dtype}\'')
        noise = normal_array(self.backend, self.shape, self.dtype, generator, "normal_")
        return self._fill_with("normal_", noise * std + mean)

    def bernoulli_(self, p: Any = 0.5, *, generator: Generator | None = None) -> Any:
        probabilities = p._array if isinstance(p, _tensor()) else p
        xp = self.backend.xp
        if bool(((xp.asarray(probabilities) < 0) | (xp.asarray(probabilities) > 1)).any()):
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
        u = uniform_array(self.backend, self.shape, xp.float64, generator, "bernoulli_")
        return self._fill_with("bernoulli_", u < probabilities)

    def bernoulli(self, p: Any = None, *, generator: Generator | None = None) -> Any:
        return bernoulli(self, p, generator=generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Generator | None = None) -> Any:
        if not lambd > 0:
            raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
        if self.dtype.kind != "f":
            raise UnsupportedDTypeError(f'"exponential_cpu" not implemented for \'{self.dtype}\'')
        xp = self.backend.xp
        u = uniform_array(self.backend, self.shape, xp.float64, generator, "exponential_")
        return self._fill_with("exponential_", -xp.log1p(-u) / lambd)

    def random_(self, *args: Any, generator: Generator | None = None, **kwargs: Any) -> Any:
        """``random_(from, to)``: integers in ``[from, to)``; ``random_(to)``: ``[0, to)``;
        ``random_()``: ``[0, 2**digits]`` for floats (every integer the dtype holds exactly)
        and ``[0, max]`` for integers, as PyTorch."""
        if len(args) == 1 and not kwargs:
            from_, to = 0, args[0]
        else:
            from_, to = (list(args) + [kwargs.pop("from", 0), kwargs.pop("to", None)][len(args):])[:2]
        xp = self.backend.xp
        if to is None:
            if self.dtype.kind == "f":
                to = 2 ** (xp.finfo(self.dtype).nmant + 1) + 1
            elif self.dtype.kind == "b":
                to = 2
            else:
                to = int(xp.iinfo(self.dtype).max) + 1
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
        draws = source_of(self.backend, generator, "random_").randint(from_, to, self.shape, xp.int64)
        return self._fill_with("random_", self.backend.asarray(draws))

    def multinomial(self, num_samples: int, replacement: bool = False, *,
                    generator: Generator | None = None) -> Any:
        return multinomial(self, num_samples, replacement, generator=generator)
