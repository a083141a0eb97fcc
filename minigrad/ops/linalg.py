"""Matrix multiplication with NumPy's rules: 1-D operands and broadcast batch dimensions."""

from __future__ import annotations

from minigrad.autograd.function import Primitive


class MatMul(Primitive):
    name = "matmul"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(ctx.input(0), ctx.input(1))
        # NumPy's batched matmul leaves BLAS for operands that are not row-major (backward's
        # g @ b.mT is one): copying them first is far cheaper than its fallback loop.
        if a.ndim > 2 and b.ndim >= 2 or b.ndim > 2 and a.ndim >= 2:
            a = a if a.flags.c_contiguous else ctx.xp.ascontiguousarray(a)
            b = b if b.flags.c_contiguous else ctx.xp.ascontiguousarray(b)
        return a @ b

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        needs_a, needs_b = ctx.needs_input_grad
        # Lift 1-D operands to matrices so one formula serves; the engine sums batch dims.
        a2 = a.unsqueeze(0) if a.ndim == 1 else a
        b2 = b.unsqueeze(-1) if b.ndim == 1 else b
        g2 = grad
        if a.ndim == 1:  # put back the row dim matmul removed (before the column dim, if any)
            g2 = g2.unsqueeze(g2.ndim - 1 if b.ndim > 1 else g2.ndim)
        if b.ndim == 1:
            g2 = g2.unsqueeze(g2.ndim)
        grad_a = grad_b = None
        if needs_a:
            grad_a = g2 @ b2.mT
            grad_a = grad_a.squeeze(-2) if a.ndim == 1 else grad_a
        if needs_b:
            grad_b = a2.mT @ g2
            grad_b = grad_b.squeeze(-1) if b.ndim == 1 else grad_b
        return grad_a, grad_b
