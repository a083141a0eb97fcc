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


class GetItem(Primitive):
    name = "getitem"
    is_view = True

    @staticmethod
    def forward(ctx, a, *, key):
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

        return backends.get(device).asarray(a)

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
