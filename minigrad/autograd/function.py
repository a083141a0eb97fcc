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

What backward needs is saved by its role, never guessed from object identity: a Primitive says
``ctx.save_for_backward(ctx.input(0), ctx.output(0), ctx.constant(mask))``. An input comes back
as the input tensor itself (so double backward connects to the original graph), an output as a
tensor of this node, a constant as a tensor outside any graph. Inputs and outputs remember the
version of their storage when saved; an in-place edit since then makes unpacking fail with
PyTorch's message instead of silently using the new values.
"""

from __future__ import annotations

import functools
import importlib
import traceback
from typing import Any

from minigrad.autograd import anomaly, grad_mode
from minigrad.autograd.grad_mode import _state as _GRAD_STATE
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.autograd.hooks import RemovableHandle, add_hook
from minigrad.autograd.saved import (
    Role,
    TensorInfo,
    VersionCounter,
    input_role,
    output_role,
    resolve,
    resolve_role,
    unpack,
)

__all__ = ["Function", "Node", "Primitive", "TensorInfo", "VersionCounter", "once_differentiable", "primitives"]

REGISTRY: dict[str, type[Function]] = {}

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
        needs_input_grad: per positional input, whether backward must produce its gradient
            (during backward: only the inputs on a path to what was asked for).
        inputs: per positional input, a :class:`TensorInfo` (``ctx.inputs[0].shape``) or ``None``.
        outputs: per output, a :class:`TensorInfo`.
        attrs: the op's keyword attributes (a conv's stride...), for display and backward.
        materialize_grads: whether backward receives zeros (``True``, PyTorch's default) or
            ``None`` for outputs no gradient reached.
    """

    # Defaults live on the class, so a node costs four attribute writes (this runs for every
    # op); hooks and retain_grad make their dicts on first use (add_output_hook, retain_output).
    next_functions: tuple = ()
    # TensorInfo's fields as plain tuples, per input (or None) and per output: a tuple costs a
    # third of a TensorInfo to make, and apply makes these for every recorded op. ``inputs``
    # and ``outputs`` give them as TensorInfos.
    _input_fields: tuple = ()
    _output_fields: tuple = ()
    retained_outputs: dict = {}  # read-only default; retain_output() makes the node's own
    output_hooks: dict = {}  # read-only default; add_output_hook() makes the node's own
    materialize_grads = True
    forward_stack: list[str] | None = None  # where forward ran (anomaly mode only)
    non_differentiable: tuple = ()
    dirty: tuple = ()
    _to_save: tuple = ()
    _saved: tuple = ()
    _freed = False

    def __init__(self, function: type[Function], backend: Any, attrs: dict[str, Any], needs: tuple) -> None:
        self.function = function
        self.backend = backend
        self.attrs = attrs
        self.needs_input_grad = needs

    def retain_output(self, index: int, tensor: Any) -> None:
        if "retained_outputs" not in self.__dict__:
            self.retained_outputs = {}
        self.retained_outputs[index] = tensor

    def add_output_hook(self, index: int, hook: Any) -> RemovableHandle:
        if "output_hooks" not in self.__dict__:
            self.output_hooks = {}
        return add_hook(self.output_hooks.setdefault(index, {}), hook)

    # --- what forward and backward use ----------------------------------------------------
    @property
    def inputs(self) -> tuple:
        return tuple([None if fields is None else _info(fields) for fields in self._input_fields])

    @property
    def outputs(self) -> tuple:
        return tuple([_info(fields) for fields in self._output_fields])

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def xp(self) -> Any:
        """The array module of the device this op runs on (NumPy or CuPy)."""
        return self.backend.xp

    # ``ctx.input(i)`` marks positional input ``i`` for ``save_for_backward``, ``ctx.output(i)``
    # output ``i`` (default 0). The role functions themselves, as static methods: most ops call
    # them in every forward, and a method wrapping them would add a frame to each call.
    input = staticmethod(input_role)
    output = staticmethod(output_role)

    def constant(self, value: Any) -> Role:
        """Mark an array computed inside forward (a mask, an index) for ``save_for_backward``."""
        return Role("constant", -1, value)

    def save_for_backward(self, *values: Any) -> None:
        """Keep values for backward (PyTorch's ``ctx.save_for_backward``).

        Each value is ``ctx.input(i)``, ``ctx.output(i)``, ``ctx.constant(array)`` or ``None``.
        A ``Function`` (Tensor flavour) may also pass its input and output Tensors themselves, as
        in PyTorch; they are recognised by identity with the Tensor objects.
        """
        self._to_save = values  # resolved (or dropped, when nothing records) by apply

    def set_materialize_grads(self, value: bool) -> None:
        """``False``: backward gets ``None`` for outputs no gradient reached (PyTorch's name)."""
        self.materialize_grads = bool(value)

    def mark_non_differentiable(self, *outputs: Any) -> None:
        """These outputs of a ``Function`` do not require grad (integer outputs never do)."""
        self.non_differentiable = outputs

    def mark_dirty(self, *tensors: Any) -> None:
        """These inputs were modified in place by ``forward`` and are returned as outputs
        (PyTorch's rule): the returned tensor is the input object itself, now the output of
        this node."""
        self.dirty = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The saved values as Tensors, each checked against in-place edits since it was saved."""
        if self._freed:
            raise RuntimeError(FREED_GRAPH_MESSAGE)
        values = []  # a loop, not a generator: no frame of its own
        for saved in self._saved:
            values.append(None if saved is None else unpack(self, saved))
        return tuple(values)

    def _rebind_output(self, index: int, tensor: Any) -> None:
        """Output ``index`` now lives in ``tensor``'s storage (after an in-place op wrote it there)."""
        for saved in self._saved:
            if saved is not None and saved.kind == "output" and saved.index == index:
                saved.value, saved.counter = tensor._array, tensor._counter()
                saved.version = saved.counter.value

    def free(self) -> None:
        """Drop what backward needed (after backward, unless ``retain_graph``)."""
        self._saved = ()
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
    #: A view op's output shares its first input's storage (and so its version counter).
    is_view: bool = False
    #: Whether the class overrides ``output_backend`` (set for each subclass).
    _moves_data: bool = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            cls.name = f"{cls.__module__}.{cls.__qualname__}"
        if cls.__module__ != __name__:  # base classes defined here (Primitive) are not ops
            REGISTRY[cls.name] = cls
        # Decided once per class: a classmethod read gives a new bound method each time, so
        # apply cannot tell by identity whether the class overrides output_backend.
        cls._moves_data = cls.output_backend.__func__ is not Function.output_backend.__func__

    @staticmethod
    def forward(ctx: Node, *args: Any, **attrs: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def setup_context(ctx: Node, inputs: tuple, output: Any) -> None:
        """Override to use PyTorch's style ``forward(*args)`` + ``setup_context(ctx, inputs,
        output)`` instead of ``forward(ctx, *args)``."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any, **attrs: Any) -> Any:
        # This runs for every op (and for every op of every backward), so it is written for
        # speed: one pass over the arguments (which also records the edges and input records
        # when the op is recorded), a Node of four attribute writes, and no grad-mode switch or
        # device scope where none is needed.
        tensor_type = _TENSOR or _tensor_class()
        enabled = _GRAD_STATE.enabled
        backend, any_grad, needs, inputs, edges, infos = None, False, [], [], [], []
        for a in args:
            if isinstance(a, tensor_type):
                if backend is None:
                    backend = a.backend
                elif a.backend is not backend:
                    _tensor_module().common_backend([t for t in args if isinstance(t, tensor_type)], cls.name)
                array = a._array
                inputs.append(array)
                if a.requires_grad:
                    needs.append(True)
                    any_grad = True
                    if enabled:  # the edge and the input's record, taken before forward (a dirty input changes)
                        source = a.grad_fn
                        edges.append((a, 0) if source is None else (source, a._output_index))
                        infos.append((array.shape, array.dtype, a.name))
                else:
                    needs.append(False)
                    if enabled:
                        edges.append(None)
                        infos.append((array.shape, array.dtype, a.name))
            else:
                needs.append(False)
                inputs.append(a)
                if enabled:
                    edges.append(None)
                    infos.append(None)
        if backend is None:
            backend = _tensor_module().common_backend([], cls.name)
        record = any_grad and enabled
        ctx = _new_node(Node)  # Node's four attributes, written here without an __init__ call
        ctx.function, ctx.backend, ctx.attrs, ctx.needs_input_grad = cls, backend, attrs, tuple(needs)

        if cls.takes_arrays:  # raw arrays in, raw arrays out: nothing inside can record
            if backend.scoped:
                with backend.activate(cls.name):  # on the inputs' GPU (see Backend.activate)
                    raw = cls.forward(ctx, *inputs, **attrs)
            else:
                raw = cls.forward(ctx, *inputs, **attrs) if attrs else cls.forward(ctx, *inputs)
            raw_outputs = raw if type(raw) is tuple else (raw,)
            arrays = raw_outputs
        else:
            enabled = is_grad_enabled()
            grad_mode._set(False)  # a Function's forward is never recorded (as under no_grad)
            try:
                with backend.activate(cls.name):
                    if cls.setup_context is Function.setup_context:
                        raw = cls.forward(ctx, *args, **attrs)
                    else:  # PyTorch's newer style: forward without ctx, then setup_context
                        raw = cls.forward(*args, **attrs)
                        cls.setup_context(ctx, args, raw)
            finally:
                grad_mode._set(enabled)
            raw_outputs = raw if isinstance(raw, tuple) else (raw,)
            arrays = tuple(o._array if isinstance(o, tensor_type) else o for o in raw_outputs)

        out_backend = cls.output_backend(backend, attrs) if cls._moves_data else backend
        make = tensor_type._make
        if not record:
            outputs = [make(arrays[0], out_backend)] if len(arrays) == 1 else [make(a, out_backend) for a in arrays]
        elif ctx.non_differentiable:
            skip = {id(o) for o in ctx.non_differentiable}
            outputs = [make(a, out_backend, None if id(o) in skip else ctx, i)
                       for i, (a, o) in enumerate(zip(arrays, raw_outputs))]
        elif len(arrays) == 1:  # the common case, without a comprehension's frame
            outputs = [make(arrays[0], out_backend, ctx, 0)]
        else:
            outputs = [make(a, out_backend, ctx, i) for i, a in enumerate(arrays)]
        if cls.is_view and args and isinstance(args[0], tensor_type):
            outputs[0]._link_view(args[0], cls, attrs)
        if record:
            ctx.next_functions, ctx._input_fields = tuple(edges), tuple(infos)
            if len(outputs) == 1:
                array = outputs[0]._array
                ctx._output_fields = ((array.shape, array.dtype, None),)
            else:
                ctx._output_fields = tuple([(o._array.shape, o._array.dtype, None) for o in outputs])
            if ctx._to_save:
                saved = []  # a loop, not a comprehension: no frame of its own (Python 3.11)
                for v in ctx._to_save:
                    saved.append(resolve_role(v, args, outputs, tensor_type) if type(v) is Role
                                 else resolve(cls, v, args, raw_outputs, outputs, tensor_type))
                ctx._saved = tuple(saved)
                ctx._to_save = ()
            if anomaly.is_enabled():
                ctx.forward_stack = traceback.format_stack()[:-1]
        if ctx.dirty:  # after the edges: they point at the inputs as they were before
            _adopt_dirty_inputs(ctx, raw_outputs, outputs, record)
        return outputs[0] if not isinstance(raw, tuple) else tuple(outputs)

    @classmethod
    def output_backend(cls, input_backend: Any, attrs: dict[str, Any]) -> Any:
        """The device outputs live on: the inputs' one, except for ops that move data."""
        return input_backend


class Primitive(Function):
    """A built-in op: ``forward`` works on the backend's raw arrays (see module docstring)."""

    takes_arrays = True


_TENSOR_MODULE = None
_TENSOR = None
_new_node = object.__new__


def _tensor_class() -> type:
    """``minigrad.Tensor``, looked up once."""
    global _TENSOR
    _TENSOR = _tensor_module().Tensor
    return _TENSOR


def _tensor_module() -> Any:
    """``minigrad.tensor``, imported on first use (it imports this module), then cached."""
    global _TENSOR_MODULE
    if _TENSOR_MODULE is None:
        # By name: the attribute ``minigrad.tensor`` is the factory function, not the module.
        _TENSOR_MODULE = importlib.import_module("minigrad.tensor")
    return _TENSOR_MODULE


def _info(fields: tuple) -> TensorInfo:
    """A TensorInfo made without the namedtuple's Python-level constructor (apply's hot path)."""
    return tuple.__new__(TensorInfo, fields)


def _adopt_dirty_inputs(ctx: Node, raw_outputs: tuple, outputs: list, record: bool) -> None:
    """Outputs that are inputs marked dirty: return the input object itself, rebased onto this
    node (as an in-place op rebases its tensor)."""
    for position, raw in enumerate(raw_outputs):
        if not any(raw is dirty for dirty in ctx.dirty):
            continue
        if record and raw.is_leaf and raw.requires_grad:
            raise RuntimeError(
                f"{ctx.name}: a leaf Variable that requires grad has been used in an in-place operation "
                "(marked dirty); clone it first or run under no_grad()"
            )
        if record and outputs[position].grad_fn is not None:
            raw._rebase(outputs[position])
        outputs[position] = raw


def once_differentiable(backward: Any) -> Any:
    """Decorate a ``Function.backward`` that cannot itself be differentiated (PyTorch's name).

    It runs without recording. Under ``create_graph=True`` its gradients are connected to the
    saved tensors and upstream gradients through a node that raises when differentiated, so a
    second derivative fails loudly instead of silently missing this op's part.
    """

    @functools.wraps(backward)
    def wrapper(ctx: Node, *grads: Any) -> Any:
        with grad_mode.no_grad():
            result = backward(ctx, *grads)
        if not is_grad_enabled():
            return result
        tensor_type = _TENSOR or _tensor_class()
        sources = [g for g in grads if isinstance(g, tensor_type) and g.requires_grad]
        if ctx._saved:
            sources += [t for t in ctx.saved_tensors if isinstance(t, tensor_type) and t.requires_grad]
        if not sources:
            return result
        single = not isinstance(result, tuple)
        wrapped = tuple(
            _DelayedError.apply(g, *sources) if isinstance(g, tensor_type) else g
            for g in ((result,) if single else result)
        )
        return wrapped[0] if single else wrapped

    return wrapper


class _DelayedError(Function):
    """Passes a gradient through; differentiating it raises (``once_differentiable``)."""

    name = "once_differentiable"

    @staticmethod
    def forward(ctx: Node, gradient: Any, *sources: Any) -> Any:
        return gradient.clone()

    @staticmethod
    def backward(ctx: Node, *grads: Any) -> Any:
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )
