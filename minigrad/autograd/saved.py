"""What a node keeps for backward, and the checks made when backward reads it back.

A Primitive's forward saves by role (``ctx.input(i)``, ``ctx.output(i)``, ``ctx.constant(v)``);
a ``Function`` may also pass its input and output Tensors themselves (recognised by identity,
as PyTorch does). Inputs and outputs remember their storage's version when saved: every in-place
op bumps it, so a value edited since is refused with PyTorch's message instead of being used.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class TensorInfo(NamedTuple):
    """What a node remembers of one of its inputs or outputs."""

    shape: tuple[int, ...]
    dtype: Any
    name: str | None = None


class VersionCounter:
    """How many in-place edits a storage has seen; every tensor viewing it shares the counter."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0


class Role(NamedTuple):
    """What ``ctx.input(i)``, ``ctx.output(i)`` and ``ctx.constant(v)`` hand to save_for_backward."""

    kind: str  # "input", "output" or "constant"
    index: int
    value: Any = None


_INPUT_ROLES = tuple(Role("input", i) for i in range(8))
_OUTPUT_ROLES = tuple(Role("output", i) for i in range(8))


def input_role(index: int) -> Role:
    """Mark positional input ``index`` for ``save_for_backward`` (``ctx.input``)."""
    return _INPUT_ROLES[index] if index < len(_INPUT_ROLES) else Role("input", index)


def output_role(index: int = 0) -> Role:
    """Mark output ``index`` for ``save_for_backward`` (``ctx.output``)."""
    return _OUTPUT_ROLES[index] if index < len(_OUTPUT_ROLES) else Role("output", index)


class SavedValue:
    """One saved value: the tensor (or array) and the storage version it was saved at."""

    __slots__ = ("kind", "index", "value", "counter", "version")

    def __init__(self, kind: str, index: int, value: Any, counter: VersionCounter | None) -> None:
        self.kind, self.index, self.value, self.counter = kind, index, value, counter
        self.version = None if counter is None else counter.value


_TENSOR = None


def _tensor_class() -> type:
    """``minigrad.Tensor`` (whose module imports this one), looked up once: ``unpack`` runs
    for every saved value of every backward."""
    global _TENSOR
    from minigrad.tensor import Tensor

    _TENSOR = Tensor
    return Tensor


def unpack(node: Any, saved: SavedValue) -> Any:
    """A saved value as a Tensor, checked against in-place edits since it was saved."""
    if saved.counter is not None and saved.counter.value != saved.version:
        if saved.kind == "input":
            info = node.inputs[saved.index]
        elif saved.kind == "output":
            info = node.outputs[saved.index]
        else:
            info = TensorInfo(saved.value.shape, saved.value.dtype)
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: [{info.dtype} tensor of shape {list(info.shape)}], which is "
            f"{saved.kind} {saved.index} of {node.display_name}, is at version "
            f"{saved.counter.value}; expected version {saved.version} instead. Hint: compute "
            "the new value out of place (y = y * 2 instead of y *= 2), or .clone() the tensor "
            "before editing it; minigrad.autograd.set_detect_anomaly(True) shows the forward call."
        )
    if saved.kind == "input":
        return saved.value
    tensor_type = _TENSOR or _tensor_class()
    if saved.kind == "output":
        tensor = tensor_type._make(saved.value, node.backend, node, saved.index)
        tensor._version_counter = saved.counter
        return tensor
    if node.backend.is_array(saved.value):
        return tensor_type._make(saved.value, node.backend)
    return saved.value  # a Python scalar, or a Tensor saved as a constant


def resolve(
    cls: type, value: Any, args: tuple, raw_outputs: tuple, outputs: tuple, tensor_type: type
) -> SavedValue | None:
    """Turn what forward passed to ``save_for_backward`` into a :class:`SavedValue`."""
    if value is None:
        return None
    if isinstance(value, Role):
        return resolve_role(value, args, outputs, tensor_type)
    if isinstance(value, tensor_type) and not cls.takes_arrays:
        for index, arg in enumerate(args):
            if value is arg:
                return SavedValue("input", index, arg, arg._counter())
        for index, out in enumerate(raw_outputs):
            if value is out:
                return SavedValue("output", index, outputs[index]._array, outputs[index]._counter())
        constant = tensor_type._make(value._array, value.backend)  # an intermediate: outside the graph
        constant._version_counter = value._counter()
        return SavedValue("constant", -1, constant, value._counter())
    if isinstance(value, (int, float, bool)) and not cls.takes_arrays:
        return SavedValue("constant", -1, value, None)
    raise TypeError(
        f"{cls.name}.forward: save_for_backward got a {type(value).__name__}; say what it is: "
        "ctx.input(i), ctx.output(i) or ctx.constant(value)"
        + ("" if cls.takes_arrays else " (or pass the input or output Tensor itself)")
    )


def resolve_role(role: Role, args: tuple, outputs: Any, tensor_type: type) -> SavedValue:
    """A ``ctx.input(i)``, ``ctx.output(i)`` or ``ctx.constant(v)`` as a :class:`SavedValue`
    (the common case of :func:`resolve`, which ``Function.apply`` calls directly)."""
    if role.kind == "input":
        arg = args[role.index]
        if not isinstance(arg, tensor_type):
            return SavedValue("constant", role.index, arg, None)  # a Python scalar operand
        return SavedValue("input", role.index, arg, arg._counter())
    if role.kind == "output":
        out = outputs[role.index]
        return SavedValue("output", role.index, out._array, out._counter())
    return SavedValue("constant", -1, role.value, None)
