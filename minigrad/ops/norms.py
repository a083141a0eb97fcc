"""Vector and matrix norms (``torch.linalg.vector_norm``, ``matrix_norm``, ``norm`` and
``Tensor.norm``), composed from primitives.

PyTorch's gradient of a norm is 0 where the norm is 0 (and, for ``p < 1``, at the zero
entries), where the plain formula gives ``0 * inf = nan``. The "double where" gives the same:
the zeros are replaced by 1 before the singular power, and the result by 0 after it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from minigrad.errors import ArgumentError, DTypeError
from minigrad.ops import decompositions, reduction
from minigrad.ops.elementwise import where


def _check_floating(op: str, x: Any) -> None:
    if x.dtype.kind not in "fc":
        raise DTypeError(
            f"{op}: Expected a floating point or complex tensor as input. Got {x.dtype}; convert it "
            "with .float()"
        )


def _power_where_positive(x: Any, exponent: float) -> Any:
    """``x ** exponent`` for ``x >= 0``, with value 0 and gradient 0 where ``x == 0``."""
    zero = x.detach()._array == 0
    return where(zero, 0.0, where(zero, 1.0, x) ** exponent)


def vector_norm(x: Any, ord: Any = 2, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:  # noqa: A002
    """``(sum |x|**ord) ** (1/ord)`` over ``dim`` (all dims when None); ``ord`` may be ``inf``
    (the max of ``|x|``), ``-inf`` (the min), 0 (the count of non-zeros) or any real number."""
    from minigrad.tensor import Tensor

    _check_floating("linalg.vector_norm", x)
    if dtype is not None:
        x = x.to(dtype)
    if isinstance(ord, str) or not isinstance(ord, numbers.Real):
        raise ArgumentError(f"linalg.vector_norm: ord must be a real number or inf, got {ord!r}")
    dims = reduction.normalize_dims(dim, x.ndim)
    if ord == math.inf or ord < 0:
        if x.numel() == 0 and (dims is None or any(x.shape[d] == 0 for d in dims)):
            raise ArgumentError(
                f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because the "
                "operation does not have an identity"
            )
    if ord == math.inf or ord == -math.inf:
        return x.abs().amax(dims, keepdim) if ord > 0 else x.abs().amin(dims, keepdim)
    if ord == 0:  # the count of non-zeros: its gradient is 0
        counts = Tensor._make((x._array != 0).astype(x.dtype), x.backend).sum(dims, keepdim)
        untouched = where(x.backend.xp.zeros(x.shape, dtype=bool), x, 0.0)
        return untouched.sum(dims, keepdim) + counts
    if ord == 1:
        return x.abs().sum(dims, keepdim)
    if ord == 2:
        squares = (x * x).sum(dims, keepdim)
        return _power_where_positive(squares, 0.5)
    magnitude = x.abs()
    if ord < 0:  # any zero entry makes the norm 0 (|0| ** ord is inf), with gradient 0
        has_zero = Tensor._make(magnitude._array == 0, x.backend).any(dims, keepdim)._array
        safe = where(magnitude._array == 0, 1.0, magnitude)
        return where(has_zero, 0.0, ((safe**ord).sum(dims, keepdim)) ** (1.0 / ord))
    return _power_where_positive(_power_where_positive(magnitude, ord).sum(dims, keepdim), 1.0 / ord)


def matrix_norm(a: Any, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, dtype: Any = None) -> Any:  # noqa: A002
    """The Frobenius norm, or the induced 1 / inf norms (largest column / row sum of ``|a|``),
    and their ``-1`` / ``-inf`` twins (the smallest), over the two dims ``dim``."""
    _check_floating("linalg.matrix_norm", a)
    if a.ndim < 2:
        raise ArgumentError(
            f"linalg.matrix_norm: The input tensor A must have at least 2 dimensions (got shape "
            f"{list(a.shape)}); use linalg.vector_norm for vectors"
        )
    if dtype is not None:
        a = a.to(dtype)
    rows, cols = (d % a.ndim for d in dim)
    if rows == cols:
        raise ArgumentError(f"linalg.matrix_norm: dims must be different, got {tuple(dim)}")
    if ord == "fro":
        return vector_norm(a, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):  # from the singular values of the matrices moved to the last two dims
        others = [d for d in range(a.ndim) if d not in (rows, cols)]
        values = svdvals(a.permute(*others, rows, cols))
        result = values.sum(-1) if ord == "nuc" else values.amax(-1) if ord == 2 else values.amin(-1)
        if keepdim:
            for d in sorted((rows, cols)):
                result = result.unsqueeze(d)
        return result
    if ord not in (1, -1, math.inf, -math.inf):
        raise ArgumentError(f"linalg.matrix_norm: Order {ord} not supported: use 'fro', 'nuc', 1, -1, 2, -2, inf, -inf")
    summed, over = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = a.abs().sum(summed, keepdim=True)
    result = sums.amax(over, keepdim=True) if ord > 0 else sums.amin(over, keepdim=True)
    return result if keepdim else result.squeeze((rows, cols))


def svdvals(a: Any) -> Any:
    """The singular values of the matrices in the last two dims, in descending order."""
    _check_floating("linalg.svdvals", a)
    if a.ndim < 2:
        raise ArgumentError(f"linalg.svdvals: The input tensor A must have at least 2 dimensions (got {a.ndim})")
    return decompositions.Svd.apply(a)[1]


def norm(a: Any, ord: Any = None, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:  # noqa: A002
    """``torch.linalg.norm``: a vector norm over one dim (or all of them when ``ord`` and ``dim``
    are None), a matrix norm over two."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        if ord is None:
            return vector_norm(a, 2, None, keepdim, dtype)
        if a.ndim not in (1, 2):
            raise ArgumentError(
                f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
                f"{a.ndim}D; pass dim="
            )
        dim = tuple(range(a.ndim))
    if len(dim) == 1:
        return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype)
    if len(dim) == 2:
        return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype)
    raise ArgumentError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {list(dim)}")


def tensor_norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
    """``Tensor.norm`` / ``torch.norm``: ``'fro'`` is the 2-norm over ``dim`` (all dims when
    None), ``'nuc'`` the nuclear norm of a matrix, a number the vector p-norm over ``dim``."""
    if p == "fro" or p is None:
        return vector_norm(x, 2, dim, keepdim, dtype)
    if p == "nuc":
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype)
    return vector_norm(x, p, dim, keepdim, dtype)
