"""``F.dropout``: inverted dropout (scale at training time, identity at evaluation)."""

from __future__ import annotations

from minigrad.tensor import Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:  # noqa: A002
    """Zero each element with probability ``p`` and scale the survivors by ``1 / (1 - p)``,
    so the expected value is unchanged and evaluation needs no rescaling. Any shape.

    The mask comes from the tensor's backend generator: ``minigrad.manual_seed`` makes it
    reproducible. ``inplace`` overwrites the input only when no graph is recorded for it.
    """
    if not isinstance(p, (int, float)) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if input.dtype.kind != "f":
        raise TypeError(f"dropout needs a floating-point tensor, got {input.dtype}: call .float() first")
    backend = input.backend
    if p == 1.0:
        mask = backend.xp.zeros(input.shape, dtype=input.dtype)
    else:
        draw_dtype = input.dtype if input.dtype.name in ("float32", "float64") else "float32"
        keep = backend.rand(tuple(input.shape), draw_dtype) >= p
        # One array holding 0 or 1/(1-p): the multiply is the only recorded op.
        mask = keep.astype(input.dtype) * (1.0 / (1.0 - p))
    if inplace:
        return input.mul_(Tensor._make(mask, backend))
    return input * Tensor._make(mask, backend)
