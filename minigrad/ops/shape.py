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

    @staticmethod
    def forward(ctx, a, *, shape):
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.input_meta[0][0])


class Permute(Primitive):
    name = "permute"

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

    @staticmethod
    def forward(ctx, a, *, shape):
        return ctx.xp.broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.sum_to_size(ctx.input_meta[0][0])


class SumTo(Primitive):
    """Sum over broadcast dimensions down to ``shape``; the engine uses it to undo broadcasting."""

    name = "sum_to"

    @staticmethod
    def forward(ctx, a, *, shape):
        return sum_to(ctx.xp, a, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.expand(ctx.input_meta[0][0])


def is_advanced_index(key) -> bool:
    """Integer-array or boolean-mask indexing may repeat elements; slices and ints never do."""
    parts = key if isinstance(key, tuple) else (key,)
    return any(hasattr(part, "shape") and part.shape != () for part in parts) or any(
        isinstance(part, list) for part in parts
    )


class GetItem(Primitive):
    name = "getitem"

    @staticmethod
    def forward(ctx, a, *, key):
        return a[key]

    @staticmethod
    def backward(ctx, grad):
        return IndexAddInto.apply(grad, shape=ctx.input_meta[0][0], key=ctx.attrs["key"])


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
        for shape, _, _ in ctx.input_meta:
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
        shape = ctx.input_meta[0][0]
        inner = tuple(slice(before, before + n) for (before, _), n in zip(ctx.attrs["widths"], shape))
        return grad[inner]


class Cast(Primitive):
    name = "cast"

    @staticmethod
    def forward(ctx, a, *, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad):
        return Cast.apply(grad, dtype=ctx.input_meta[0][1])


class ToDevice(Primitive):
    """Copy to another device; the gradient is copied back."""

    name = "to_device"

    @staticmethod
    def forward(ctx, a, *, device):
        import backends

        return backends.get(device).asarray(a)

    @staticmethod
    def backward(ctx, grad):
        return ToDevice.apply(grad, device=ctx.backend.name)

    @classmethod
    def output_backend(cls, input_backend, attrs):
        import backends

        return backends.get(attrs["device"])
