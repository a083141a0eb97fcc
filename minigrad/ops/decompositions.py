"""The singular value decomposition, for the spectral and nuclear matrix norms.

``Svd`` is the reduced SVD ``A = U diag(S) Vh`` of the last two dims (``(..., m, n)`` ->
``U (..., m, k)``, ``S (..., k)``, ``Vh (..., k, n)``, ``k = min(m, n)``). Its backward is the
standard one (PyTorch's ``linalg_svd_backward`` for real inputs), written with tensors, so the
norms built on it have exact second derivatives too. It is defined where the singular values
are distinct and non-zero (the gradients of ``U`` and ``V`` divide by ``S_j**2 - S_i**2`` and by
``S``); a loss of ``S`` alone, as every norm here, needs only ``U diag(gS) Vh``.
"""

from __future__ import annotations

from minigrad.autograd.function import Primitive
from minigrad.ops.elementwise import where


def _skew(x):
    return x - x.mT


class Svd(Primitive):
    name = "svd"

    @staticmethod
    def forward(ctx, a):
        u, s, vh = ctx.xp.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(ctx.output(0), ctx.output(1), ctx.output(2))
        return u, s, vh

    @staticmethod
    def backward(ctx, grad_u, grad_s, grad_vh):
        from minigrad.tensor import Tensor

        u, s, vh = ctx.saved_tensors
        m, n = u.shape[-2], vh.shape[-1]
        k = s.shape[-1]
        xp = u.backend.xp
        if not (grad_u._array.any() or grad_vh._array.any()):  # a function of S only: the norms
            return (u * grad_s.unsqueeze(-2)) @ vh
        v, grad_v = vh.mT, grad_vh.mT
        squares = s * s
        eye = xp.eye(k, dtype=bool)
        gaps = where(eye, 1.0, squares.unsqueeze(-2) - squares.unsqueeze(-1))  # [i, j] = S_j^2 - S_i^2
        core = (_skew(u.mT @ grad_u) * s.unsqueeze(-2) + s.unsqueeze(-1) * _skew(vh @ grad_v)) / gaps
        core = core + grad_s.unsqueeze(-1) * Tensor._make(eye.astype(s.dtype), u.backend)  # + diag(grad_s)
        if m > k:  # the part of grad_u outside U's columns
            grad_u_scaled = grad_u / s.unsqueeze(-2)
            return (u @ core + grad_u_scaled - u @ (u.mT @ grad_u_scaled)) @ vh
        if n > k:
            grad_v_scaled = (grad_v / s.unsqueeze(-2)).mT
            return u @ (core @ vh + grad_v_scaled - (grad_v_scaled @ v) @ vh)
        return u @ core @ vh

