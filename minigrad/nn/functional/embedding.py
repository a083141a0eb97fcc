"""Embedding lookups (``torch.nn.functional``'s ``embedding`` and ``embedding_bag``).

A lookup is integer-array indexing of the weight, so its gradient is the scatter-add of the
upstream gradient into the looked-up rows, from the graph. A bag's sum is the same scatter-add
run forwards (``IndexAddInto``, whose gradient is the gather back).
"""

from __future__ import annotations

from typing import Any

from minigrad.autograd.grad_mode import no_grad
from minigrad.errors import ArgumentError, DTypeError
from minigrad.ops.composite import cat
from minigrad.ops.elementwise import where
from minigrad.ops.shape import IndexAddInto
from minigrad.tensor import Tensor


def _check_indices(input: Tensor, weight: Tensor, name: str) -> Any:  # noqa: A002
    """The raw int array of ``input``, after checking dtype and range (IndexError, as PyTorch)."""
    if input.dtype.kind not in "iu":
        raise DTypeError(
            f"{name}: Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
            f"Int; but got {input.dtype} instead; use .long()"
        )
    if weight.ndim != 2:
        raise ArgumentError(f"{name}: 'weight' must be 2-D (num_embeddings, embedding_dim), got {tuple(weight.shape)}")
    indices = input._array
    rows = weight.shape[0]
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= rows):
        raise IndexError(
            f"{name}: index out of range in self: indices must be in [0, {rows - 1}] for a weight of "
            f"{rows} rows, got values in [{int(indices.min())}, {int(indices.max())}]"
        )
    return indices


def _padding_row(padding_idx: int | None, rows: int) -> int | None:
    if padding_idx is None:
        return None
    if not -rows <= padding_idx < rows:
        raise ArgumentError(f"Padding_idx must be within num_embeddings (got {padding_idx} for {rows} rows)")
    return padding_idx % rows


def renorm_rows_(weight: Tensor, indices: Any, max_norm: float, norm_type: float) -> None:
    """PyTorch's ``embedding_renorm_``: rescale, in place and unrecorded, each referenced row
    whose ``norm_type``-norm exceeds ``max_norm`` to norm ``max_norm`` (times 1 / (1 + 1e-7))."""
    xp = weight.backend.xp
    rows = xp.unique(indices.reshape(-1))
    with no_grad():
        selected = weight._array[rows]
        if norm_type == float("inf"):
            norms = xp.abs(selected).max(axis=1)
        else:
            norms = (xp.abs(selected) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        over = norms > max_norm
        if bool(over.any()):
            scale = (max_norm / (norms[over] + 1e-7)).astype(weight.dtype)
            weight._array[rows[over]] = selected[over] * scale[:, None]
            weight._mark_modified()


def _scaled_by_frequency(picked: Tensor, indices: Any) -> Tensor:
    """The same values, with the gradient of each row divided by how often its index occurs."""
    xp = picked.backend.xp
    _, inverse, counts = xp.unique(indices.reshape(-1), return_inverse=True, return_counts=True)
    scale = (1.0 / counts[inverse]).reshape(indices.shape + (1,)).astype(picked.dtype)
    scale = Tensor._make(scale, picked.backend)
    return picked * scale + picked.detach() * (1 - scale)


def embedding(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, embedding_dim) at the int indices ``input`` (*) ->
    (*, embedding_dim).

    ``padding_idx``: that row gets no gradient (its value is whatever the weight holds).
    ``max_norm``: the referenced rows are first renormalised IN PLACE, as PyTorch.
    ``scale_grad_by_freq``: each row's gradient is divided by its index's count in ``input``.
    """
    if sparse:
        raise NotImplementedError("embedding: sparse=True (sparse gradients) is not supported; use sparse=False")
    indices = _check_indices(input, weight, "embedding")
    row = _padding_row(padding_idx, weight.shape[0])
    if max_norm is not None:
        renorm_rows_(weight, indices, max_norm, norm_type)
    picked = weight[Tensor._make(indices, input.backend)]
    if scale_grad_by_freq and indices.size:
        picked = _scaled_by_frequency(picked, indices)
    if row is not None and bool((indices == row).any()):
        picked = where((indices == row)[..., None], picked.detach(), picked)
    return picked


def _bags(input: Tensor, offsets: Tensor | None, include_last_offset: bool) -> tuple[Any, Any, int]:  # noqa: A002
    """Flat indices, the bag of each, and the number of bags."""
    xp = input.backend.xp
    indices = input._array
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences.")
        count, length = indices.shape
        return indices.reshape(-1), xp.repeat(xp.arange(count), length), count
    if input.ndim != 1:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if offsets is None:
        raise ValueError("offsets has to be a 1D Tensor but got None")
    if offsets.ndim != 1:
        raise ValueError("offsets has to be a 1D Tensor")
    starts = offsets._array.astype(xp.int64)
    if starts.size and int(starts[0]) != 0:
        raise ValueError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                         f"position 0. However, got {int(starts[0])}")
    if include_last_offset:
        end, starts = (int(starts[-1]) if starts.size else 0), starts[:-1]
        indices = indices[:end]
    bag = xp.searchsorted(starts, xp.arange(indices.shape[0]), side="right") - 1
    return indices, bag, starts.shape[0]


def embedding_bag(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sum, mean or max of the embeddings of each bag -> (bags, embedding_dim).

    Bags: the rows of a 2-D ``input`` (B, L), or slices of a 1-D ``input`` starting at
    ``offsets`` (B,) (B + 1 with ``include_last_offset``). Entries equal to ``padding_idx`` are
    left out (of the mean's count too); an empty bag gives zeros. ``per_sample_weights`` (the
    input's shape) scales each embedding, with ``mode="sum"`` only.
    """
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, got {mode!r}")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse=True is not supported; use sparse=False")
    if scale_grad_by_freq and mode == "max":
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for "
                f"mode='sum' (got mode='{mode}'). Please open a feature request on GitHub."
            )
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(
                f"embedding_bag: per_sample_weights must have the input's shape {tuple(input.shape)}, got "
                f"{tuple(per_sample_weights.shape)}"
            )
    _check_indices(input, weight, "embedding_bag")
    row = _padding_row(padding_idx, weight.shape[0])
    xp, backend = input.backend.xp, input.backend
    indices, bag, bags = _bags(input, offsets, include_last_offset)
    if max_norm is not None:
        renorm_rows_(weight, indices, max_norm, norm_type)
    dim = weight.shape[1]
    keep = xp.ones(indices.shape, dtype=bool) if row is None else indices != row
    picked = weight[Tensor._make(indices[keep], backend)]
    if scale_grad_by_freq and indices.size:
        picked = _scaled_by_frequency(picked, indices[keep])
    bag_of = bag[keep]
    if per_sample_weights is not None:
        flat = per_sample_weights.reshape(-1)
        if include_last_offset and input.ndim == 1:
            flat = flat[: indices.shape[0]]
        picked = picked * flat[Tensor._make(xp.nonzero(keep)[0], backend)].unsqueeze(1)
    if mode == "max":
        return _bag_max(picked, bag_of, bags, dim)
    total = IndexAddInto.apply(picked, shape=(bags, dim), key=(bag_of,))
    if mode == "sum":
        return total
    counts = xp.bincount(bag_of, minlength=bags).astype(weight.dtype)
    return total / Tensor._make(xp.maximum(counts, 1)[:, None], backend)


def _bag_max(picked: Tensor, bag_of: Any, bags: int, dim: int) -> Tensor:
    """Per-bag elementwise max: the bags laid out (bags, longest, dim), gaps at -inf, then
    ``max(1)``, whose gradient goes to the first maximal entry (as PyTorch); empty bags are 0."""
    xp, backend = picked.backend.xp, picked.backend
    counts = xp.bincount(bag_of, minlength=bags)
    longest = int(counts.max()) if counts.size and bag_of.size else 0
    if longest == 0:  # every bag empty: zeros, still connected to the weight (its gradient is 0)
        return IndexAddInto.apply(picked, shape=(bags, dim), key=(bag_of,))
    starts = xp.concatenate([xp.zeros(1, dtype=counts.dtype), xp.cumsum(counts)[:-1]])
    slot = xp.arange(bag_of.shape[0]) - starts[bag_of]  # bag_of is sorted: bags are contiguous
    position = xp.full((bags, longest), bag_of.shape[0], dtype=xp.int64)
    position[bag_of, slot] = xp.arange(bag_of.shape[0])
    gap = picked.new_full((1, dim), float("-inf"))
    padded = cat([picked, gap], 0)[Tensor._make(position, backend)]
    largest = padded.max(1).values
    empty = counts == 0
    return where(empty[:, None], 0.0, largest) if bool(empty.any()) else largest
