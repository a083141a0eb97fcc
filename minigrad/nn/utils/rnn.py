"""Batching sequences of different lengths (``torch.nn.utils.rnn``): ``pad_sequence``,
``unpad_sequence``, and packed sequences (``PackedSequence``, ``pack_padded_sequence``,
``pad_packed_sequence``, ``pack_sequence``, ``unpack_sequence``), which the recurrent layers take."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from minigrad.errors import ArgumentError
from minigrad.ops.composite import cat, pad, stack
from minigrad.tensor import Tensor


def pad_sequence(
    sequences: Tensor | Iterable[Tensor],
    batch_first: bool = False,
    padding_value: float = 0.0,
    padding_side: str = "right",
) -> Tensor:
    """Stack sequences of shapes ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` if
    ``batch_first``), ``T = max L_i``, filling with ``padding_value`` after each sequence
    (``padding_side="left"``: before it). Trailing dims must agree; the result has the first
    sequence's dtype. Differentiable (a pad and a stack)."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            f"pad_sequence: Expected iterable for input sequences, but got arg of type: {type(sequences)}"
        )
    if padding_side not in ("left", "right"):
        raise ArgumentError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences)  # a tensor gives its rows, as in PyTorch
    if not sequences:
        raise ArgumentError("received an empty list of sequences")
    first = sequences[0]
    if first.ndim == 0:
        raise ArgumentError("pad_sequence: each sequence needs at least one dimension (its length), got a 0-d tensor")
    longest = max(sequence.shape[0] for sequence in sequences)
    padded = []
    for sequence in sequences:
        if sequence.shape[1:] != first.shape[1:]:
            raise ArgumentError(
                f"pad_sequence: every sequence must have the trailing shape {list(first.shape[1:])} of the "
                f"first, got {list(sequence.shape)}"
            )
        missing = longest - sequence.shape[0]
        widths = (0, missing) if padding_side == "right" else (missing, 0)
        # F.pad's pairs start from the last dim: leave the trailing dims, pad dim 0.
        padded.append(pad(sequence.to(first.dtype), (0, 0) * (first.ndim - 1) + widths, value=padding_value))
    return stack(padded, dim=0 if batch_first else 1)


# --- packed sequences ---------------------------------------------------------------------------
class PackedSequence(NamedTuple):
    """A batch of sequences of different lengths without padding, PyTorch's layout.

    ``data`` ``(sum L_i, *)`` holds the sequences time step by time step, longest first within a
    step; ``batch_sizes`` (int64, ``(max L,)``) says how many sequences are still running at each
    step; ``sorted_indices`` is the order (longest first) of the original batch, ``unsorted_indices``
    its inverse (both None when the batch came already sorted). Recurrent layers take and return it.
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda


def _lengths_list(lengths: Any) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise ArgumentError(f"lengths must be a 1-D tensor, got shape {list(lengths.shape)}")
        return [int(v) for v in lengths.tolist()]
    return [int(v) for v in lengths]


def pack_padded_sequence(
    input: Tensor,  # noqa: A002  (PyTorch's name)
    lengths: Any,
    batch_first: bool = False,
    enforce_sorted: bool = True,
) -> PackedSequence:
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) whose sequence ``i``
    has ``lengths[i]`` valid steps. ``enforce_sorted``: the lengths must be decreasing (else they
    are sorted, stably, and the order is recorded). Differentiable (gathers and a cat)."""
    sizes = _lengths_list(lengths)
    if input.ndim < 2:
        raise ArgumentError(
            f"pack_padded_sequence: input must have a time and a batch dim, got shape {list(input.shape)}"
        )
    batch_dim = 0 if batch_first else 1
    if len(sizes) != input.shape[batch_dim]:
        raise ArgumentError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {len(sizes)} "
            f"(batch_size={input.shape[batch_dim]})"
        )
    if any(n <= 0 for n in sizes):
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0"
        )
    if max(sizes) > input.shape[1 - batch_dim]:
        raise ArgumentError(
            f"pack_padded_sequence: a length {max(sizes)} exceeds the padded length {input.shape[1 - batch_dim]}"
        )
    xp = input.backend.xp
    if enforce_sorted:
        if any(a < b for a, b in zip(sizes, sizes[1:])):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability."
            )
        order, sorted_indices, unsorted_indices = list(range(len(sizes))), None, None
    else:
        order = sorted(range(len(sizes)), key=lambda i: -sizes[i])  # stable: ties keep their order
        inverse = [0] * len(order)
        for position, index in enumerate(order):
            inverse[index] = position
        sorted_indices = Tensor._make(xp.asarray(order, dtype=xp.int64), input.backend)
        unsorted_indices = Tensor._make(xp.asarray(inverse, dtype=xp.int64), input.backend)
    ordered = [sizes[i] for i in order]
    steps = []
    batch_sizes = []
    for t in range(ordered[0]):
        running = sum(1 for n in ordered if n > t)
        batch_sizes.append(running)
        rows = order[:running]
        step = input[t] if not batch_first else input[:, t]
        steps.append(step if rows == list(range(step.shape[0])) else step[xp.asarray(rows, dtype=xp.int64)])
    data = cat(steps, 0)
    sizes_tensor = Tensor._make(xp.asarray(batch_sizes, dtype=xp.int64), input.backend)
    return PackedSequence(data, sizes_tensor, sorted_indices, unsorted_indices)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The inverse of ``pack_padded_sequence``: ``(padded (T, B, *), lengths)`` in the batch's
    original order; ``total_length`` pads ``T`` further (it must be at least the longest length)."""
    data, batch_sizes = sequence.data, [int(b) for b in sequence.batch_sizes.tolist()]
    longest, batch = len(batch_sizes), batch_sizes[0]
    if total_length is not None:
        if total_length < longest:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {longest}"
            )
    else:
        total_length = longest
    rows, start = [], 0
    for size in batch_sizes:
        step = data[start : start + size]
        start += size
        if size < batch:  # finished sequences: padding rows
            step = pad(step, (0, 0) * (data.ndim - 1) + (0, batch - size), value=padding_value)
        rows.append(step)
    rows += [data.new_full((batch, *data.shape[1:]), padding_value)] * (total_length - longest)
    padded = stack(rows, 0)  # (T, B, *), longest first
    lengths = [sum(1 for size in batch_sizes if size > i) for i in range(batch)]
    xp = data.backend.xp
    if sequence.unsorted_indices is not None:
        padded = padded[:, sequence.unsorted_indices._array]
        lengths = [lengths[i] for i in sequence.unsorted_indices.tolist()]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._make(xp.asarray(lengths, dtype=xp.int64), data.backend)


def pack_sequence(sequences: Iterable[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)``: ``pack_padded_sequence(pad_sequence(...), lengths)``."""
    sequences = list(sequences)
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The sequences of a PackedSequence, as a list of ``(L_i, *)`` tensors in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return [padded[i, :length] for i, length in enumerate(lengths.tolist())]


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """The inverse of ``pad_sequence``: the ``lengths[i]`` valid steps of each sequence, as a list."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :length] for i, length in enumerate(_lengths_list(lengths))]
