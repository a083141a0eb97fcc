"""Functions, the nodes they leave in the graph, and the registry of primitives.

A ``Function`` is one differentiable operation: a static ``forward`` and a static ``backward``
side by side. ``Function.apply`` runs forward and, when any input requires a gradient, leaves a
``Node`` behind: the op, the edges to its inputs, what backward needs, and the op's attributes.
That one record is what the engine walks and what ``minigrad.viz`` draws.

Two flavours share the mechanism:

* ``Function`` (PyTorch's ``torch.autograd.Function``): ``forward`` receives Tensors and
  returns Tensors; use it for your own ops.
* ``Primitive``: minigrad's built-in ops. ``forward`` receives the backend's raw arrays and
  returns arrays, so it pays no Tensor overhead. ``ctx.xp`` is the array module.

In both, ``backward`` is written with Tensor operations, so with ``create_graph=True`` the
gradient computation is itself recorded and can be differentiated again.
"""

from __future__ import annotations

import importlib
from typing import Any

from minigrad.autograd import grad_mode
from minigrad.autograd.grad_mode import is_grad_enabled

REGISTRY: dict[str, type[Function]] = {}

_INPUT, _OUTPUT, _CONSTANT = 0, 1, 2

FREED_GRAPH_MESSAGE = (
    "Trying to backward through the graph a second time (or to read saved tensors after they "
    "were freed). Saved values are freed by .backward() and autograd.grad(); pass "
    "retain_graph=True to the first call if you need to backward through the graph again."
)


def primitives() -> dict[str, type[Function]]:
    """Every registered op, by name: built-in primitives and user-defined Functions."""
    return dict(REGISTRY)


class Node:
    """The record an op leaves in the graph; also the ``ctx`` its forward and backward see.

    Attributes:
        function: the ``Function`` subclass that made it (``node.name`` is its registered name).
        next_functions: per positional input, ``(source, output_index)`` where source is the
            input's ``Node``, the leaf ``Tensor`` that accumulates a gradient, or ``None``.
        needs_input_grad: per positional input, whether backward must produce its gradient.
        input_meta: per positional input, ``(shape, dtype, name)`` or ``None`` for non-tensors.
        attrs: the op's keyword attributes (a conv's stride...), for display and backward.
    """

    def __init__(self, function: type[Function], backend: Any, attrs: dict[str, Any]) -> None:
        self.function = function
        self.backend = backend
        self.attrs = attrs
        self.next_functions: tuple = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self.input_meta: tuple = ()
        self.output_meta: tuple = ()
        self.retained_outputs: dict[int, Any] = {}
        self.output_hooks: dict[int, list] = {}  # per output: hooks registered on that tensor
        self._to_save: tuple = ()
        self._saved: tuple | None = None
        self._freed = False

    # --- what forward and backward use ----------------------------------------------------
    @property
    def name(self) -> str:
        return self.function.name

    @property
    def xp(self) -> Any:
        """The array module of the device this op runs on (NumPy or CuPy)."""
        return self.backend.xp

    def save_for_backward(self, *values: Any) -> None:
        """Keep inputs, outputs or other arrays for backward (PyTorch's ``ctx.save_for_backward``)."""
        self._to_save = values

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as Tensors; an input comes back as the input itself, so the graph
        built by backward with ``create_graph=True`` connects to the original one."""
        if self._freed:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        from minigrad.tensor import Tensor

        result = []
        for kind, value in self._saved or ():
            if kind == _INPUT:
                result.append(value)
            elif kind == _OUTPUT:
                array, index = value
                result.append(Tensor._make(array, self.backend, self, index))
            elif self.backend.is_array(value):
                result.append(Tensor._make(value, self.backend))
            else:
                result.append(value)  # a Python scalar or None stays as it is
        return tuple(result)

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """Accepted for PyTorch compatibility; integer outputs never require grad anyway."""

    def free(self) -> None:
        """Drop what backward needed (after backward, unless ``retain_graph``)."""
        self._saved = None
        self._freed = True

    @property
    def display_name(self) -> str:
        """PyTorch's spelling of a backward node: ``mul`` -> ``MulBackward0``."""
        short = self.name.rsplit(".", 1)[-1]
        return "".join(part[:1].upper() + part[1:] for part in short.split("_")) + "Backward0"

    def __repr__(self) -> str:
        return f"<{self.display_name}>"


class Function:
    """Base class of differentiable operations (PyTorch's ``torch.autograd.Function``).

    Subclass it with static ``forward(ctx, *args, **attrs)`` and ``backward(ctx, *grads)``;
    call ``MyOp.apply(*args, **attrs)``. ``backward`` returns one gradient (or ``None``) per
    positional argument of ``forward``.
    """

    name: str = ""
    #: Primitives take and return raw arrays; plain Functions take and return Tensors.
    takes_arrays: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__module__ != __name__:  # base classes defined here (Primitive) are not ops
            REGISTRY[cls.name] = cls

    @staticmethod
    def forward(ctx: Node, *args: Any, **attrs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **attrs: Any) -> Any:
        # This runs for every op, so it is written for speed: one pass over the arguments, and
        # the grad-mode flag switched directly instead of through a no_grad() object. A
        # recorded op on tiny tensors costs ~5 us here instead of ~10 us.
        tensor_module = _tensor_module()
        tensor_type = tensor_module.Tensor
        tensors, needs_grad, inputs = [], [], []
        for a in args:
            if isinstance(a, tensor_type):
                tensors.append(a)
                needs_grad.append(a.requires_grad)
                inputs.append(a.data)
            else:
                needs_grad.append(False)
                inputs.append(a)
        backend = tensors[0].backend if tensors else None
        if backend is None or any(t.backend is not backend for t in tensors):
            backend = tensor_module.common_backend(tensors, cls.name)  # or a clear error
        enabled = is_grad_enabled()
        record = enabled and any(needs_grad)
        ctx = Node(cls, backend, attrs)
        ctx.needs_input_grad = needs_grad = tuple(needs_grad)

        grad_mode._set(False)  # forward itself is never recorded (as under no_grad)
        try:
            with backend.activate(cls.name):  # on the inputs' GPU (see Backend.activate)
                raw = cls.forward(ctx, *(inputs if cls.takes_arrays else args), **attrs)
        finally:
            grad_mode._set(enabled)
        single = not isinstance(raw, tuple)
        raw_outputs = (raw,) if single else raw
        if cls.takes_arrays:
            arrays = raw_outputs
        else:
            arrays = tuple(o.data if isinstance(o, tensor_type) else o for o in raw_outputs)

        out_backend = cls.output_backend(backend, attrs)
        if not record:
            if single:
                return tensor_type._make(arrays[0], out_backend)
            return tuple(tensor_type._make(a, out_backend) for a in arrays)

        outputs = tuple(tensor_type._make(a, out_backend, ctx, i) for i, a in enumerate(arrays))
        ctx.next_functions = tuple(_edge(a) if needed else None for a, needed in zip(args, needs_grad))
        ctx.input_meta = tuple(
            (a.shape, a.dtype, a.name) if isinstance(a, tensor_type) else None for a in args
        )
        ctx.output_meta = tuple((o.shape, o.dtype) for o in outputs)
        if ctx._to_save:
            ctx._saved = tuple(_classify_saved(v, args, raw_outputs, arrays, tensor_type) for v in ctx._to_save)
            ctx._to_save = ()
        return outputs[0] if single else outputs

    @classmethod
    def output_backend(cls, input_backend: Any, attrs: dict[str, Any]) -> Any:
        """The device outputs live on: the inputs' one, except for ops that move data."""
        return input_backend


class Primitive(Function):
    """A built-in op: ``forward`` works on the backend's raw arrays (see module docstring)."""

    takes_arrays = True


_TENSOR_MODULE = None


def _tensor_module() -> Any:
    """``minigrad.tensor``, imported on first use (it imports this module), then cached."""
    global _TENSOR_MODULE
    if _TENSOR_MODULE is None:
        # By name: the attribute ``minigrad.tensor`` is the factory function, not the module.
        _TENSOR_MODULE = importlib.import_module("minigrad.tensor")
    return _TENSOR_MODULE


def _edge(arg: Any) -> tuple:
    """The edge to an input that requires grad: its node, or the leaf itself."""
    if arg.grad_fn is not None:
        return (arg.grad_fn, arg._output_index)
    return (arg, 0)  # a leaf: its gradient accumulates into arg.grad


def _classify_saved(value: Any, args: tuple, raw_outputs: tuple, arrays: tuple, tensor_type: type) -> tuple:
    """Recognise a saved value as one of the inputs, one of the outputs, or a constant."""
    for arg in args:
        if isinstance(arg, tensor_type) and (value is arg or value is arg.data):
            return (_INPUT, arg)
    for index, output in enumerate(raw_outputs):
        if value is output:
            return (_OUTPUT, (arrays[index], index))
    if isinstance(value, tensor_type):
        return (_CONSTANT, value.data)
    return (_CONSTANT, value)
