"""``minigrad.linalg``: PyTorch's ``torch.linalg`` norms.

``vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None)``, ``matrix_norm(A, ord='fro',
dim=(-2, -1), keepdim=False, *, dtype=None)``, ``norm(A, ord=None, dim=None, keepdim=False,
*, dtype=None)``, ``svd(A, full_matrices=True)`` (reduced only) and ``svdvals(A)``; the math is in
``minigrad.ops.norms`` and ``minigrad.ops.decompositions``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from minigrad.ops import decompositions, norms
from minigrad.tensor import Tensor

__all__ = ["matrix_norm", "norm", "svd", "svdvals", "vector_norm"]


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
                dtype: Any = None) -> Tensor:
    """``(sum |x|**ord) ** (1/ord)`` over ``dim`` (all elements when None); ``ord`` may be
    ``inf``, ``-inf`` (max / min of ``|x|``), 0 (the number of non-zeros) or any real number."""
    return norms.vector_norm(x, ord, dim, keepdim, dtype)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: A002, N803
                dtype: Any = None) -> Tensor:
    """The Frobenius norm (``'fro'``) or the induced 1, -1, inf, -inf norms of the matrices in
    the two dims ``dim`` (``(..., m, n)`` -> ``(...)``)."""
    return norms.matrix_norm(A, ord, dim, keepdim, dtype)


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002, N803
         dtype: Any = None) -> Tensor:
    """A vector norm over one dim, a matrix norm over two; with ``ord`` and ``dim`` None, the
    2-norm of all elements."""
    return norms.norm(A, ord, dim, keepdim, dtype)


class SVD(NamedTuple):
    """What ``svd`` returns, as PyTorch's named tuple."""

    U: Tensor
    S: Tensor
    Vh: Tensor


def svd(A: Tensor, full_matrices: bool = True) -> SVD:  # noqa: N803
    """``A = U diag(S) Vh`` for the matrices in the last two dims. Only the reduced SVD
    (``full_matrices=False``: ``U (..., m, k)``, ``Vh (..., k, n)``) is available."""
    if full_matrices and A.shape[-1] != A.shape[-2]:
        raise NotImplementedError(
            "linalg.svd: full_matrices=True (the default) of a non-square matrix is not implemented; pass "
            "full_matrices=False for the reduced SVD"
        )
    norms._check_floating("linalg.svd", A)
    return SVD(*decompositions.Svd.apply(A))


def svdvals(A: Tensor) -> Tensor:  # noqa: N803
    """The singular values, in descending order (``(..., m, n)`` -> ``(..., min(m, n))``)."""
    return norms.svdvals(A)
