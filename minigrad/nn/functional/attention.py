"""Attention: ``F.scaled_dot_product_attention`` and ``F.multi_head_attention_forward``
(PyTorch's signatures and mask rules).

``softmax(q k^T * scale + mask) v``, composed from matmul, softmax and ``where``: its gradients
(and their gradients) come from autograd. One memory-hungry realisation (the whole ``L x S``
score matrix), the textbook one, as PyTorch's "math" backend.

Mask conventions differ, as in PyTorch: for ``scaled_dot_product_attention`` a bool mask is
True where attention IS allowed; for ``multi_head_attention_forward`` (``attn_mask``,
``key_padding_mask``) True means "do NOT attend". A float mask is added to the scores in both.
"""

from __future__ import annotations

import math

from minigrad.errors import ShapeError
from minigrad.nn.functional.dropout import dropout
from minigrad.nn.functional.linear import linear
from minigrad.ops.composite import cat, pad
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


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """PyTorch's ``F.multi_head_attention_forward``: the math of ``nn.MultiheadAttention``.

    ``query`` ``(L, N, E)``, ``key`` ``(S, N, kdim)``, ``value`` ``(S, N, vdim)`` (or unbatched
    ``(L, E)``...). The projections are ``in_proj_weight``'s three ``E``-row blocks (or
    ``q/k/v_proj_weight`` with ``use_separate_proj_weight``), ``bias_k``/``bias_v`` add a learned
    key/value position, ``add_zero_attn`` a zero one. ``key_padding_mask`` ``(N, S)`` and
    ``attn_mask`` ``(L, S)`` or ``(N * num_heads, L, S)``: True = do not attend (or float, added).
    With ``need_weights`` the scores go through an explicit softmax (a row masked everywhere is
    NaN, as PyTorch's) and the weights come back, ``(N, L, S)`` averaged over heads or
    ``(N, num_heads, L, S)``; without, the heads go through ``scaled_dot_product_attention``
    (such a row is zeros there, as PyTorch's). Returns ``(attn_output (L, N, E), weights or None)``.
    """
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            "query, key and value should be 3-D (batched) or 2-D (unbatched) alike, got "
            f"{query.ndim}-D, {key.ndim}-D and {value.ndim}-D"
        )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            "Need attn_mask if specifying the is_causal hint. You may use the Transformer module method "
            "`generate_square_subsequent_mask` to create this mask."
        )
    batched = query.ndim == 3
    if not batched:
        query, key, value = (t.unsqueeze(1) for t in (query, key, value))
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    length, batch, embed = query.shape
    if embed != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed}")
    heads = num_heads
    head_dim = embed // heads
    w_q, w_k, w_v, b_q, b_k, b_v = _projection_weights(
        in_proj_weight, in_proj_bias, use_separate_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight
    )
    q, k, v = linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)
    mask = _as_float_mask(attn_mask, q)
    padding = _as_float_mask(key_padding_mask, q)
    if bias_k is not None and bias_v is not None:  # one more key/value position, a learned one
        k = cat([k, bias_k.expand(1, batch, embed)], 0)
        v = cat([v, bias_v.expand(1, batch, embed)], 0)
        mask = None if mask is None else pad(mask, [0, 1])
        padding = None if padding is None else pad(padding, [0, 1])
    # (L, N, E) -> (N * heads, L, head_dim): batch-major, each head its own "batch" entry.
    q = q.reshape(length, batch * heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], batch * heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], batch * heads, head_dim).transpose(0, 1)
    if static_k is not None:  # precomputed (N * heads, S, head_dim) keys replace the projected ones
        k = static_k
    if static_v is not None:
        v = static_v
    if add_zero_attn:  # one more all-zero key/value position
        k = cat([k, k.new_zeros(batch * heads, 1, head_dim)], 1)
        v = cat([v, v.new_zeros(batch * heads, 1, head_dim)], 1)
        mask = None if mask is None else pad(mask, [0, 1])
        padding = None if padding is None else pad(padding, [0, 1])
    source = k.shape[1]
    if padding is not None:  # (N, S) -> (N * heads, 1, S)
        padding = padding.reshape(batch, 1, 1, source).expand(batch, heads, 1, source)
        padding = padding.reshape(batch * heads, 1, source)
        mask = padding if mask is None else mask + padding
    if mask is not None and mask.ndim == 2:
        mask = mask.unsqueeze(0)
    p = dropout_p if training else 0.0

    if need_weights:
        scores = (q * (1.0 / math.sqrt(head_dim))) @ k.transpose(1, 2)
        if mask is not None:
            scores = scores + mask
        weights = scores.softmax(-1)  # a row masked everywhere is NaN, as PyTorch's
        if p > 0.0:
            weights = dropout(weights, p, True)
        out = weights @ v
    else:
        # As PyTorch: without weights the heads go through scaled_dot_product_attention.
        shape = (batch, heads, length, head_dim)
        if mask is not None and mask.shape[0] > 1:  # (N * heads, L, S) -> (N, heads, L, S)
            mask = mask.reshape(batch, heads, -1, source)
        k, v = (t.reshape(batch, heads, source, head_dim) for t in (k, v))
        out = scaled_dot_product_attention(q.reshape(shape), k, v, mask, p)
        out = out.reshape(batch * heads, length, head_dim)
        weights = None
    out = out.transpose(0, 1).reshape(length, batch, embed)
    out = linear(out, out_proj_weight, out_proj_bias)
    if weights is not None:
        weights = weights.reshape(batch, heads, length, source)
        if average_attn_weights:
            weights = weights.mean(1)
    if not batched:
        out = out.squeeze(1)
        weights = None if weights is None else weights.squeeze(0)
    return out, weights


def _projection_weights(in_proj_weight, in_proj_bias, separate, q_proj_weight, k_proj_weight, v_proj_weight):
    """The query, key and value weights and biases (None without bias)."""
    if separate:
        weights = (q_proj_weight, k_proj_weight, v_proj_weight)
    else:
        weights = in_proj_weight.chunk(3, 0)
    biases = (None,) * 3 if in_proj_bias is None else in_proj_bias.chunk(3, 0)
    return (*weights, *biases)


def _as_float_mask(mask: Tensor | None, like: Tensor) -> Tensor | None:
    """PyTorch's ``_canonical_mask``: a bool mask (True = blocked) becomes 0 / -inf in
    ``like``'s dtype; a float mask is used as given."""
    if mask is None:
        return None
    if mask.dtype.kind == "b":
        return where(mask, -math.inf, 0.0).to(like.dtype)
    if mask.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of masks are supported, got {mask.dtype}")
    return mask
