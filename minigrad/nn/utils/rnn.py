"""Batching sequences of different lengths (``torch.nn.utils.rnn``): ``pad_sequence``."""

from __future__ import annotations

from collections.abc import Iterable

from minigrad.errors import ArgumentError
from minigrad.ops.composite import pad, stack
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
