"""``nn.MultiheadAttention``: PyTorch's arguments, parameter names, init, masks and outputs.

``query`` is projected by ``in_proj_weight[:E]``, ``key`` by ``[E:2E]``, ``value`` by ``[2E:]``
(separate ``q_proj_weight``/``k_proj_weight``/``v_proj_weight`` when ``kdim``/``vdim`` differ
from ``embed_dim``), split into ``num_heads`` heads of ``E / num_heads`` features, attended per
head (``softmax(q k^T / sqrt(head_dim) + mask) v``) and recombined by ``out_proj``.

Mask conventions follow PyTorch (note that they are the opposite of
``F.scaled_dot_product_attention``'s bool masks): in ``key_padding_mask`` ``(N, S)`` and
``attn_mask`` ``(L, S)`` or ``(N * num_heads, L, S)``, True means "do NOT attend"; a float mask
is added to the scores.
"""

from __future__ import annotations

import math
from typing import Any

from minigrad.factories import empty
from minigrad.nn import init
from minigrad.nn.functional.attention import scaled_dot_product_attention
from minigrad.nn.functional.dropout import dropout
from minigrad.nn.linear import Linear
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.nn.rnn_cell import projection
from minigrad.ops.composite import cat, pad
from minigrad.ops.elementwise import where
from minigrad.tensor import Tensor


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear; PyTorch names ``out_proj``'s class so (to keep it out of dynamic quantization),
    and we keep the name so the module's repr reads the same."""


class MultiheadAttention(Module):
    """PyTorch's ``nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False)``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` takes ``(L, N, E)`` / ``(S, N, kdim)`` /
    ``(S, N, vdim)`` (``(N, L, E)`` ... with batch_first, or unbatched ``(L, E)``) and returns
    ``(attn_output (L, N, E), attn_weights)``: weights ``(N, L, S)`` averaged over heads, or
    ``(N, num_heads, L, S)``, or None when ``need_weights=False``.

    Init as PyTorch: ``in_proj_weight`` (or the three projection weights) xavier_uniform,
    projection biases zero, ``out_proj.weight`` a Linear's default, ``bias_k``/``bias_v``
    xavier_normal.
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
        batch_first: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(
                "embed_dim and num_heads must be greater than 0, got "
                f"embed_dim={embed_dim} and num_heads={num_heads} instead"
            )
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads, self.dropout, self.batch_first = num_heads, dropout, batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        factory = {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **factory))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, **factory))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, **factory))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, **factory))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **factory))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **factory)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, **factory))
            self.bias_v = Parameter(empty(1, 1, embed_dim, **factory))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for weight in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self) -> tuple[Tensor, ...]:
        """The query, key and value weights (and biases: None without bias)."""
        if self._qkv_same_embed_dim:
            weights = self.in_proj_weight.chunk(3, 0)
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = (None,) * 3 if self.in_proj_bias is None else self.in_proj_bias.chunk(3, 0)
        return (*weights, *biases)

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        need_weights: bool = True,
        attn_mask: Tensor | None = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
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
        if batched and self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        if not batched:
            query, key, value = (t.unsqueeze(1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        length, batch, embed = query.shape
        if embed != self.embed_dim:
            raise AssertionError(f"was expecting embedding dimension of {self.embed_dim}, but got {embed}")
        heads, head_dim = self.num_heads, self.head_dim

        w_q, w_k, w_v, b_q, b_k, b_v = self._projections()
        q, k, v = projection(query, w_q, b_q), projection(key, w_k, b_k), projection(value, w_v, b_v)
        mask = _as_float_mask(attn_mask, q)
        padding = _as_float_mask(key_padding_mask, q)
        if self.bias_k is not None:  # one more key/value position, a learned one
            k = cat([k, self.bias_k.expand(1, batch, embed)], 0)
            v = cat([v, self.bias_v.expand(1, batch, embed)], 0)
            mask = None if mask is None else pad(mask, [0, 1])
            padding = None if padding is None else pad(padding, [0, 1])
        # (L, N, E) -> (N * heads, L, head_dim): batch-major, each head its own "batch" entry.
        q = q.reshape(length, batch * heads, head_dim).transpose(0, 1)
        k = k.reshape(k.shape[0], batch * heads, head_dim).transpose(0, 1)
        v = v.reshape(v.shape[0], batch * heads, head_dim).transpose(0, 1)
        if self.add_zero_attn:  # one more all-zero key/value position
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
        p = self.dropout if self.training else 0.0

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
        out = self.out_proj(out)
        if weights is not None:
            weights = weights.reshape(batch, heads, length, source)
            if average_attn_weights:
                weights = weights.mean(1)
        if not batched:
            out = out.squeeze(1)
            weights = None if weights is None else weights.squeeze(0)
        elif self.batch_first:
            out = out.transpose(0, 1)
        return out, weights


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
