"""Primitives that move elements without arithmetic: reshape, permute, expand, sum_to,
indexing, concatenation, constant padding, dtype casts and device moves."""

from __future__ import annotations

from minigrad.autograd.function import Primitive


def sum_to(xp, array, shape: tuple[int, ...]):
    """Sum a broadcast array back to ``shape`` (the inverse of broadcasting)."""
    if array.shape == tuple(shape):
        return array
    leading = array.ndim - len(shape)
    axes = tuple(range(leading)) + tuple(
        leading + i for i, n in enumerate(shape) if n == 1 and array.shape[leading + i] != 1
    )
    return array.sum(axis=axes, keepdims=True).reshape(shape)


class Reshape(Primitive):
    name = "reshape"
    is_view = True

    @staticmethod
    def forward(ctx, a, *, shape):
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.inputs[0].shape)


class Permute(Primitive):
    name = "permute"
    is_view = True

    @staticmethod
    def forward(ctx, a, *, dims):
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad):
        dims = ctx.attrs["dims"]
        inverse = [0] * len(dims)
        for position, d in enumerate(dims):
            inverse[d] = position
        return grad.permute(*inverse)


class Expand(Primitive):
    """Broadcast to a larger shape (a view, no copy)."""

    name = "expand"
    is_view = True

    @staticmethod
    def forward(ctx, a, *, shape):
        return ctx.xp.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.inputs[0].shape)


class SumTo(Primitive):
    """Sum over broadcast dimensions down to ``shape``; the engine uses it to undo broadcasting."""

    name = "sum_to"

    @staticmethod
    def forward(ctx, a, *, shape):
        return sum_to(ctx.xp, a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(ctx.inputs[0].shape)


def is_advanced_index(key) -> bool:
    """Integer-array or boolean-mask indexing may repeat elements; slices and ints never do."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(hasattr(part, "shape") and part.shape != () for part in parts) or any(
        isinstance(part, list) for part in parts
    )


def _is_integer(part) -> bool:
    """An int, a NumPy integer or a 0-d integer array (what a 0-d integer Tensor index becomes)."""
    if isinstance(part, bool):
        return False
    if hasattr(part, "dtype"):
        return part.shape == () and part.dtype.kind in "iu"
    return hasattr(part, "__index__")


def _is_advanced(part) -> bool:
    """An index that gathers: an array (not a 0-d integer one), a list, or a bool scalar."""
    if isinstance(part, (bool, list)):
        return True
    return hasattr(part, "dtype") and not _is_integer(part)


def _dims_consumed(part) -> int:
    if part is None or isinstance(part, bool) or part is Ellipsis:
        return 0
    if hasattr(part, "dtype") and part.dtype.kind == "b":
        return part.ndim  # a mask covers as many dims as it has
    return 1


def split_integer_indices(key, ndim: int):
    """``(select, rest)``: PyTorch's order of indexing, as two NumPy keys applied one after the other.

    PyTorch applies integer indices first, as selects, so an integer never counts as an advanced
    index: in ``x[1, :, idx]`` the dims of ``idx`` stay where ``idx`` is. NumPy counts the
    integer as an advanced index too, and advanced indices separated by a slice send their dims
    to the front. So, when a key mixes integers and advanced indices, ``select`` holds the
    integers (a view), and ``rest`` everything else, applied to that view. Otherwise (NumPy's
    rule already agrees) ``select`` is None and ``rest`` is the key.
    """
    parts = key if isinstance(key, tuple) else (key,)
    integers = [_is_integer(part) for part in parts]
    if not any(integers) or not any(_is_advanced(part) for part in parts):
        return None, key
    explicit = sum(_dims_consumed(part) for part in parts)
    select = []
    for part, integer in zip(parts, integers):
        if integer:
            select.append(int(part))
        elif part is Ellipsis:
            select.extend([slice(None)] * max(ndim - explicit, 0))
        else:
            select.extend([slice(None)] * _dims_consumed(part))
    while select and select[-1] == slice(None):
        select.pop()
    rest = tuple(part for part, integer in zip(parts, integers) if not integer)
    return tuple(select), rest


class GetItem(Primitive):
    """``a[key]``. ``multi_output`` names the op (``"split"``, ``"unbind"``) when this view is one
    of several it returns: PyTorch forbids recorded in-place edits of such views."""

    name = "getitem"
    is_view = True

    @staticmethod
    def forward(ctx, a, *, key, multi_output=None):
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        return IndexAddInto.apply(grad, shape=ctx.inputs[0].shape, key=ctx.attrs["key"])


class IndexAddInto(Primitive):
    """``zeros(shape)[key] += values``, repeated indices accumulating: getitem's gradient."""

    name = "index_add_into"

    @staticmethod
    def forward(ctx, values, *, shape, key):
        out = ctx.xp.zeros(shape, dtype=values.dtype)
        if is_advanced_index(key):
            ctx.backend.scatter_add(out, key, values)
        else:
            out[key] = values
        return out

    @staticmethod
    def backward(ctx, grad):
        return grad[ctx.attrs["key"]]


class Cat(Primitive):
    name = "cat"

    @staticmethod
    def forward(ctx, *arrays, dim=0):
        return ctx.xp.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.attrs["dim"]
        grads, start = [], 0
        for shape, _, _ in ctx.inputs:
            index = [slice(None)] * grad.ndim
            index[dim] = slice(start, start + shape[dim])
            grads.append(grad[tuple(index)])
            start += shape[dim]
        return tuple(grads)


class ConstantPad(Primitive):
    """Pad with a constant; ``widths`` is one ``(before, after)`` pair per dimension."""

    name = "constant_pad"

    @staticmethod
    def forward(ctx, a, *, widths, value=0.0):
        return ctx.xp.pad(a, widths, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        shape = ctx.inputs[0].shape
        inner = tuple(slice(before, before + n) for (before, _), n in zip(ctx.attrs["widths"], shape))
        return grad[inner]


class Cast(Primitive):
    name = "cast"

    @staticmethod
    def forward(ctx, a, *, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return Cast.apply(grad, dtype=ctx.inputs[0].dtype)


class ToDevice(Primitive):
    """Copy to another device; the gradient is copied back."""

    name = "to_device"

    @staticmethod
    def forward(ctx, a, *, device):
        from minigrad import backends

        target = backends.get(device)
        out = target.asarray(a)
        if out is a:
            out = out.copy()  # two devices that share host memory: still a copy, as PyTorch's .to()
        return out

    @staticmethod
    def backward(ctx, grad):
        return ToDevice.apply(grad, device=ctx.backend.name)

    @classmethod
    def output_backend(cls, input_backend, attrs):
        from minigrad import backends

        return backends.get(attrs["device"])


class IndexPut(Primitive):
    """``a`` with ``a[key] = value``, computed out of place: what ``__setitem__``, ``copy_`` and
    ``fill_`` record before the tensor takes the result in place."""

    name = "index_put"

    @staticmethod
    def forward(ctx, a, value, *, key):
        out = a.copy()
        out[key] = value
        return out

    @staticmethod
    def backward(ctx, grad):
        from minigrad.tensor import Tensor

        needs_a, needs_value = ctx.needs_input_grad
        key = ctx.attrs["key"]
        grad_a = grad_value = None
        if needs_a:  # the overwritten cells no longer depend on the old values
            kept = ctx.xp.ones(ctx.inputs[0].shape, dtype=grad.dtype)
            kept[key] = 0
            grad_a = grad * Tensor._make(kept, ctx.backend)
        if needs_value:
            grad_value = grad[key]
        return grad_a, grad_value


def replay_view(tensor, chain):
    """Apply the view ops ``chain`` (as ``Tensor._view`` records them) to ``tensor``."""
    for op, attrs in chain:
        tensor = op.apply(tensor, **attrs)
    return tensor


class CopySlices(Primitive):
    """An in-place write through a view: the base's new value as a node (PyTorch's CopySlices).

    Forward does no work: the write already went through the view into the base's memory, so
    the output is the base's array itself. Backward: the written cells' gradient goes to the
    value written, the others' to the base's old value.
    """

    name = "copy_slices"
    writes_in_place = True

    @staticmethod
    def forward(ctx, base, value, *, chain):
        return base

    @staticmethod
    def backward(ctx, grad):
        from minigrad.autograd.grad_mode import no_grad
        from minigrad.tensor import Tensor

        needs_base, needs_value = ctx.needs_input_grad
        chain = ctx.attrs["chain"]
        grad_base = grad_value = None
        if needs_base:
            kept = Tensor._make(ctx.xp.ones(ctx.inputs[0].shape, dtype=grad.dtype), ctx.backend)
            with no_grad():
                written = replay_view(kept, chain)
            if not ctx.backend.may_share_memory(written._array, kept._array):
                raise RuntimeError(f"in-place write through a view {chain}: cannot replay the view")
            written._array[...] = 0  # a view: zeroes the written cells of `kept`
            grad_base = grad * kept
        if needs_value:
            grad_value = replay_view(grad, chain)
        return grad_base, grad_value
