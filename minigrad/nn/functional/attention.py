"""Attention: ``F.scaled_dot_product_attention`` (PyTorch's signature and mask rules).

``softmax(q k^T * scale + mask) v``, composed from matmul, softmax and ``where``: its gradients
(and their gradients) come from autograd. One memory-hungry realisation (the whole ``L x S``
score matrix), the textbook one, as PyTorch's "math" backend.
"""

from __future__ import annotations

import math

from minigrad.errors import ShapeError
from minigrad.nn.functional.dropout import dropout
from minigrad.ops.elementwise import where
from minigrad.tensor import Tensor


def causal_mask(like: Tensor, length: int, source_length: int) -> Tensor:
    """``(L, S)`` bool, True on and below the diagonal: position i sees positions 0..i (top-left
    aligned when ``L != S``, as PyTorch's ``ones(L, S).tril()``)."""
    xp = like.backend.xp
    return Tensor._make(xp.tril(xp.ones((length, source_length), dtype=bool)), like.backend)


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """``softmax(query @ key^T * scale + mask) @ value``, PyTorch's ``F.scaled_dot_product_attention``.

    Args:
        query: ``(..., L, E)``; key: ``(..., S, E)``; value: ``(..., S, Ev)`` (leading dims broadcast).
        attn_mask: broadcastable to ``(..., L, S)``: bool (True = may attend) or float (added to
            the scores, ``-inf`` blocks).
        dropout_p: dropout on the attention weights (always applied when > 0, as PyTorch's
            functional form; a module passes 0 in eval mode).
        is_causal: attend only to positions ``<= i``; an error together with ``attn_mask``, as
            PyTorch documents (its CPU kernel without autograd happens to apply both; its
            differentiable path raises, as we always do).
        scale: defaults to ``1 / sqrt(E)``.
        enable_gqa: grouped-query attention: key/value heads (dim -3) are repeated to match the
            query's heads, which must be a multiple of them.

    Returns ``(..., L, Ev)``. A query row that may attend nowhere gets zeros (not NaN), as
    PyTorch's "safe softmax".
    """
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"scaled_dot_product_attention: {name} must be a minigrad.Tensor, got {type(tensor).__name__}"
            )
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(
            "scaled_dot_product_attention: expected query (..., L, E), key (..., S, E) and value (..., S, Ev), got "
            f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
        )
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        heads, kv_heads = query.shape[-3], key.shape[-3]
        if heads % kv_heads or value.shape[-3] != kv_heads:
            raise ShapeError(
                f"scaled_dot_product_attention: with enable_gqa the query's {heads} heads must be a multiple of the "
                f"key/value heads ({kv_heads}, {value.shape[-3]})"
            )
        key, value = (_repeat_heads(t, heads // kv_heads) for t in (key, value))
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    length, source_length = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.transpose(-2, -1)) * scale
    allowed = causal_mask(query, length, source_length) if is_causal else None
    if attn_mask is not None:
        if attn_mask.dtype.kind == "b":
            allowed = attn_mask
        else:
            scores = scores + attn_mask
    if allowed is not None:
        scores = where(allowed, scores, -math.inf)
    blocked = None
    if attn_mask is not None or is_causal:
        # PyTorch's safe softmax: a row with every score -inf attends to nothing (zeros, not
        # NaN). Such rows are zeroed before the softmax too, so no NaN is ever computed.
        rows = (scores.detach()._array == -math.inf).all(-1, keepdims=True)
        if rows.any():
            blocked = Tensor._make(rows, scores.backend)
            scores = where(blocked, 0.0, scores)
    weights = scores.softmax(-1)
    if blocked is not None:
        weights = where(blocked, 0.0, weights)
    if dropout_p > 0.0:
        weights = dropout(weights, dropout_p, True)
    return weights @ value


def _repeat_heads(t: Tensor, repeats: int) -> Tensor:
    """``(..., H, S, E)`` -> ``(..., H * repeats, S, E)``, each head repeated in place
    (``repeat_interleave`` on dim -3)."""
    *lead, heads, length, features = t.shape
    expanded = t.unsqueeze(-3).expand(*lead, heads, repeats, length, features)
    return expanded.reshape(*lead, heads * repeats, length, features)
