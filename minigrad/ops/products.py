# ruff: noqa: A002  (PyTorch's argument names: input, ...)
"""Products with PyTorch's signatures and checks: dot, vdot, mv, mm, bmm, addmm, addmv,
addbmm, baddbmm, outer/ger, cross, kron and einsum.

All are composites of ``matmul``, elementwise ops, permute and reshape; ``einsum`` contracts
its operands pairwise as batched matrix products (permute + reshape + matmul), so its
gradients are matmul's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minigrad.errors import DTypeError, ShapeError, UnsupportedDTypeError
from minigrad.ops.composite import dim_in_range


def _same_dtype(a, b, op: str) -> None:
    if a.dtype != b.dtype:
        raise DTypeError(f"{op}: expected both operands to have the same dtype, but found {a.dtype} and {b.dtype}")


def dot(input, tensor):
    """The inner product of two 1-D tensors of the same size and dtype (0-d result)."""
    if input.ndim != 1 or tensor.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {tensor.ndim}D tensors")
    if input.dtype != tensor.dtype:
        raise DTypeError(f"dot : expected both vectors to have same dtype, but found {input.dtype} and {tensor.dtype}")
    if input.shape != tensor.shape:
        raise ShapeError(
            f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{tensor.shape[0]}] to have the "
            f"same number of elements, but got {input.shape[0]} and {tensor.shape[0]} elements respectively"
        )
    return input.matmul(tensor)


def vdot(input, other):
    """``dot`` (the first argument would be conjugated; real tensors only here)."""
    return dot(input, other)


def mv(input, vec):
    """Matrix (n, m) times vector (m,)."""
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input.ndim}, {vec.ndim}")
    if input.shape[1] != vec.shape[0]:
        raise ShapeError(
            f"size mismatch, got input ({input.shape[0]}), mat ({input.shape[0]}x{input.shape[1]}), "
            f"vec ({vec.shape[0]})"
        )
    _same_dtype(input, vec, "mv")
    return input.matmul(vec)


def mm(input, mat2):
    """Matrix product of (n, m) and (m, p); no broadcasting."""
    if input.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise ShapeError(
            f"mat1 and mat2 shapes cannot be multiplied ({input.shape[0]}x{input.shape[1]} and "
            f"{mat2.shape[0]}x{mat2.shape[1]})"
        )
    _same_dtype(input, mat2, "mm")
    return input.matmul(mat2)


def bmm(input, mat2):
    """Batched matrix product of (b, n, m) and (b, m, p); no broadcasting."""
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, _, m = input.shape
    if mat2.shape[:2] != (b, m):
        raise ShapeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {m}] but got: "
            f"[{mat2.shape[0]}, {mat2.shape[1]}]."
        )
    _same_dtype(input, mat2, "bmm")
    return input.matmul(mat2)


def _scaled_sum(input, product, beta: Any, alpha: Any):
    """``beta * input + alpha * product``; with ``beta == 0`` ``input`` is ignored (its NaN and
    inf do not propagate), as PyTorch documents."""
    from minigrad.tensor import broadcast_shapes

    if broadcast_shapes(input.shape, product.shape, "addmm") != product.shape:
        raise ShapeError(
            f"the input of shape {list(input.shape)} must broadcast to the product's {list(product.shape)}"
        )
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        return scaled
    return (input if beta == 1 else input * beta) + scaled


def addmm(input, mat1, mat2, *, beta: Any = 1, alpha: Any = 1):
    """``beta * input + alpha * (mat1 @ mat2)``."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta: Any = 1, alpha: Any = 1):
    """``beta * input + alpha * (mat @ vec)``."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def addbmm(input, batch1, batch2, *, beta: Any = 1, alpha: Any = 1):
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``."""
    return _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta: Any = 1, alpha: Any = 1):
    """``beta * input + alpha * (batch1 @ batch2)``, per batch."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def outer(input, vec2):
    """The outer product of two 1-D tensors (dtypes promoted, as PyTorch's)."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected 1D tensors, but got {input.ndim}D and {vec2.ndim}D tensors")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def ger(input, vec2):
    """``outer`` under its old name."""
    return outer(input, vec2)


def cross(input, other, dim: int | None = None):
    """The 3-D cross product along ``dim``; ``dim=None`` takes the first dim of size 3 (PyTorch's
    deprecated default; ``linalg.cross`` uses -1)."""
    from minigrad.ops.composite import stack
    from minigrad.tensor import broadcast_shapes

    if input.ndim != other.ndim:
        raise RuntimeError(
            f"linalg.cross: inputs must have the same number of dimensions, got {input.ndim} and {other.ndim}"
        )
    if input.dtype.kind == "b":
        raise UnsupportedDTypeError(
            "cross: \"cross\" not implemented for 'Bool' (as PyTorch); convert with .int() first"
        )
    if input.dtype != other.dtype:  # PyTorch does not promote here
        raise DTypeError(
            f"cross: expected both inputs to have the same dtype, but got {input.dtype} and {other.dtype}; "
            f"convert one with .to({input.dtype})"
        )
    full = broadcast_shapes(input.shape, other.shape, "cross")
    if dim is None:
        dim = next((d for d, n in enumerate(full) if n == 3), None)
        if dim is None:
            raise RuntimeError(f"no dimension of size 3 in input (shape {list(full)})")
    dim = dim_in_range(dim, len(full), "cross")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise RuntimeError(
            f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[dim]} and {other.shape[dim]}"
        )
    a, b = input.expand(full), other.expand(full)

    def part(t, i):
        return t[(slice(None),) * dim + (i,)]

    components = [part(a, (i + 1) % 3) * part(b, (i + 2) % 3) - part(a, (i + 2) % 3) * part(b, (i + 1) % 3)
                  for i in range(3)]
    return stack(components, dim)


def kron(input, other):
    """The Kronecker product: block ``(i, j)`` is ``input[i, j] * other``."""
    ndim = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (ndim - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (ndim - other.ndim) + tuple(other.shape))
    interleaved_a = [s for n in a.shape for s in (n, 1)]
    interleaved_b = [s for n in b.shape for s in (1, n)]
    product = a.reshape(interleaved_a) * b.reshape(interleaved_b)
    return product.reshape([m * n for m, n in zip(a.shape, b.shape)])


# --- einsum -----------------------------------------------------------------------------------
_LETTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def _parse(equation: str, operands: Sequence[Any]) -> tuple[list[list[str]], list[str]]:
    """Each operand's subscripts (``'...'`` expanded to one label per broadcast dim, named by
    digits so they never clash with letters) and the output's."""
    equation = equation.replace(" ", "")
    inputs_part, arrow, output_part = equation.partition("->")
    specs = inputs_part.split(",")
    if len(specs) != len(operands):
        raise RuntimeError(
            f"einsum(): {len(specs)} operands in the equation ('{equation}') but {len(operands)} tensors given"
        )
    ellipsis_dims = 0
    labels = []
    for position, (spec, operand) in enumerate(zip(specs, operands)):
        for c in spec.replace("...", ""):
            if c not in _LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given in the equation string: {c!r}")
        explicit = len(spec.replace("...", ""))
        if "..." in spec:
            extra = operand.ndim - explicit
            if extra < 0:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({explicit}) is more than the number of "
                    f"dimensions ({operand.ndim}) for operand {position}"
                )
            ellipsis_dims = max(ellipsis_dims, extra)
            head, tail = spec.split("...")
            # broadcast dims are named "000" (the last) upwards, so they align from the right
            labels.append(list(head) + [f"{extra - 1 - i:03d}" for i in range(extra)] + list(tail))
        else:
            if explicit != operand.ndim:
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({explicit}) does not match the number "
                    f"of dimensions ({operand.ndim}) for operand {position} and no ellipsis was given"
                )
            labels.append(list(spec))
    broadcast = [f"{ellipsis_dims - 1 - i:03d}" for i in range(ellipsis_dims)]
    if arrow:
        for c in output_part.replace("...", ""):
            if c not in _LETTERS:
                raise RuntimeError(f"einsum(): invalid subscript given in the equation string: {c!r}")
            if output_part.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if not any(c in spec for spec in specs):
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any input operand"
                )
        if "..." in output_part:
            head, tail = output_part.split("...")
            output = list(head) + broadcast + list(tail)
        else:
            output = list(output_part)
    else:  # implicit: the broadcast dims, then every letter seen once, in alphabetical order
        counts: dict[str, int] = {}
        for spec in specs:
            for c in spec.replace("...", ""):
                counts[c] = counts.get(c, 0) + 1
        output = broadcast + sorted((c for c, n in counts.items() if n == 1), key=lambda c: (c.islower(), c))
    return labels, output


def _take_diagonals(operand, labels: list[str]):
    """Repeated labels within one operand (``'ii'``) select its diagonal."""
    while len(set(labels)) != len(labels):
        seen = {}
        for position, c in enumerate(labels):
            if c in seen:
                first = seen[c]
                if operand.shape[first] != operand.shape[position]:
                    raise RuntimeError(
                        f"einsum(): subscript {c} is repeated for operand but the sizes don't match, "
                        f"{operand.shape[position]} != {operand.shape[first]}"
                    )
                from minigrad.ops.layout import diagonal

                operand = diagonal(operand, 0, first, position)
                labels = [x for i, x in enumerate(labels) if i not in (first, position)] + [c]
                break
            seen[c] = position
    return operand, labels


def _sum_out(operand, labels: list[str], keep: set[str]):
    """Sum the dims whose label is needed neither later nor in the output."""
    dims = [i for i, c in enumerate(labels) if c not in keep]
    if not dims:
        return operand, labels
    return operand.sum(tuple(dims)), [c for c in labels if c in keep]


def _contract(a, labels_a, b, labels_b, keep: set[str]):
    """One pairwise contraction as a batched matmul: (batch, a-only, summed) @ (batch, summed, b-only).
    Shared dims of size 1 broadcast against the other operand's, as PyTorch's einsum."""
    batch = [c for c in labels_a if c in labels_b and c in keep]
    summed = [c for c in labels_a if c in labels_b and c not in keep]
    only_a = [c for c in labels_a if c not in labels_b]
    only_b = [c for c in labels_b if c not in labels_a]
    size: dict[str, int] = {}
    for t, labels in ((a, labels_a), (b, labels_b)):
        for c, n in zip(labels, t.shape):
            if c in size and n != size[c] and 1 not in (n, size[c]):
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand which does not broadcast with "
                    f"previously seen size {size[c]}"
                )
            size[c] = n if c not in size or size[c] == 1 else size[c]
    a = a.permute(*[labels_a.index(c) for c in batch + only_a + summed]).expand(
        [size[c] for c in batch + only_a + summed])
    b = b.permute(*[labels_b.index(c) for c in batch + summed + only_b]).expand(
        [size[c] for c in batch + summed + only_b])

    def product_of(labels):
        n = 1
        for c in labels:
            n *= size[c]
        return n

    batch_shape = [size[c] for c in batch]
    rows, inner, cols = product_of(only_a), product_of(summed), product_of(only_b)
    product = a.reshape(batch_shape + [rows, inner]).matmul(b.reshape(batch_shape + [inner, cols]))
    out_labels = batch + only_a + only_b
    return product.reshape([size[c] for c in out_labels]), out_labels


def einsum(equation: str, *operands: Any):
    """Einstein summation (``einsum('bij,bjk->bik', a, b)``), PyTorch's rules: ``'...'``
    broadcasts, a repeated subscript in one operand takes its diagonal, without ``->`` the
    output is the subscripts seen once, in alphabetical order. Operands contract left to right."""
    from minigrad.tensor import Tensor

    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    for t in operands:
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum(): operands must be Tensors, got {type(t).__name__}")
    dtype = operands[0].dtype
    for t in operands[1:]:
        if t.dtype != dtype:
            raise DTypeError(f"einsum(): expected all operands to have the same dtype, got {dtype} and {t.dtype}")
    labels, output = _parse(equation, operands)
    prepared = []
    for operand, spec in zip(operands, labels):
        operand, spec = _take_diagonals(operand, spec)
        prepared.append((operand, spec))
    result, result_labels = prepared[0]
    for position in range(len(prepared)):
        later = set(output)
        for _, spec in prepared[position + 1:]:
            later |= set(spec)
        if position == 0:
            result, result_labels = _sum_out(result, result_labels, later)
            continue
        other, other_labels = prepared[position]
        other, other_labels = _sum_out(other, other_labels, later | set(result_labels))
        result, result_labels = _contract(result, result_labels, other, other_labels, later)
    result, result_labels = _sum_out(result, result_labels, set(output))
    if not result_labels:
        return result if result.ndim == 0 else result.reshape(())
    # A view of the last result, even when nothing moves (PyTorch's einsum('ij->ij', a) is one).
    return result.permute(*[result_labels.index(c) for c in output])


def tensordot(a, b, dims: Any = 2):
    """Contract the last ``dims`` dims of ``a`` with the first ``dims`` of ``b``, or the dims
    listed in ``dims = (dims_a, dims_b)``; the remaining dims of ``a`` then of ``b`` stay."""
    from minigrad.tensor import Tensor

    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"both dimension lists should have same length, got {dims_a} and {dims_b}")
    dims_a = [dim_in_range(d, a.ndim, "tensordot") for d in dims_a]
    dims_b = [dim_in_range(d, b.ndim, "tensordot") for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {a.shape[da]} in dim {da} and "
                f"second has size {b.shape[db]} in dim {db}"
            )
    _same_dtype(a, b, "tensordot")
    keep_a = [d for d in range(a.ndim) if d not in dims_a]
    keep_b = [d for d in range(b.ndim) if d not in dims_b]
    def size(t, chosen):
        n = 1
        for d in chosen:
            n *= t.shape[d]
        return n

    inner = size(a, dims_a)
    left = a.permute(*keep_a, *dims_a).reshape(size(a, keep_a), inner)
    right = b.permute(*dims_b, *keep_b).reshape(inner, size(b, keep_b))
    return left.matmul(right).reshape([a.shape[d] for d in keep_a] + [b.shape[d] for d in keep_b])
