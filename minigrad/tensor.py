"""``minigrad.Tensor``: an array on a device that remembers how it was computed.

A Tensor holds its backend's raw array (``._array``), and, when it is the result of a recorded
op, ``.grad_fn``: the :class:`~minigrad.autograd.function.Node` that made it. Every operator
here is a thin call to a primitive in ``minigrad.ops`` or a composition of primitives in
``minigrad.ops.composite``; no math lives in this file.
"""

from __future__ import annotations

import builtins
import operator
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from minigrad import backends, dtypes, printing, tensor_types
from minigrad.autograd.function import VersionCounter
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.autograd.hooks import RemovableHandle, add_hook
from minigrad.backends.dtypes import (
    as_dtype,
    bool_,
    check_array_dtype,
    default_float,
    float32,
    floating_result,
    from_python_data,
    result_type,
)
from minigrad.device import device as Device
from minigrad.errors import ArgumentError, DTypeError, EmptyReductionError, ShapeError, UnsupportedDTypeError
from minigrad.interop import InteropMethods
from minigrad.ops import arithmetic, composite, elementwise, linalg, reduction, shape
from minigrad.random_ops import RandomMethods
from minigrad.size import Size
from minigrad.tensor_indexing import IndexingMethods
from minigrad.tensor_math import MathMethods, dim_or_axis
from minigrad.tensor_special import SpecialMethods

Scalar = int | float | bool


def common_backend(tensors: Sequence[Tensor], op_name: str = "this op") -> Any:
    """The backend all ``tensors`` share; a clear error when they live on different devices."""
    if not tensors:
        return backends.get()
    backend = tensors[0].backend
    for other in tensors[1:]:
        if other.backend is not backend:
            raise RuntimeError(
                f"{op_name}: expected all tensors on the same device, but found one on "
                f"{backend.name} and one on {other.backend.name}; move them with .to(device)"
            )
    return backend


def _shape_arg(size: tuple) -> tuple[int, ...]:
    """Accept ``f(2, 3)`` and ``f((2, 3))`` as PyTorch does; a float size is a TypeError (PyTorch's),
    never silently truncated."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        return tuple(operator.index(n) for n in size)
    except TypeError:
        position, bad = next((i, n) for i, n in enumerate(size) if not hasattr(n, "__index__"))
        raise TypeError(
            f"size must be a tuple of ints, but found element of type {type(bad).__name__} at pos "
            f"{position} ({bad!r}); sizes are integers, use int(...) or // to get one"
        ) from None


class Tensor(MathMethods, SpecialMethods, IndexingMethods, RandomMethods, InteropMethods):
    """A multi-dimensional array with reverse-mode autodiff (``torch.Tensor``'s API).

    Create tensors with ``minigrad.tensor``, ``zeros``, ``randn``... ``Tensor(data)`` also works
    and behaves like ``minigrad.tensor(data)``.
    """

    __slots__ = (
        "_array", "backend", "_grad", "grad_fn", "requires_grad", "name", "_output_index",
        "_hooks", "_post_accumulate_hooks", "_retains_grad", "_version_counter", "_view", "_views",
        "__weakref__",
    )
    __array_priority__ = 1000  # numpy_array * tensor -> Tensor.__rmul__, not an object array

    def __init__(
        self,
        data: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
        name: str | None = None,
    ) -> None:
        backend = backends.get(device)
        if isinstance(data, Tensor):
            array = data._array
        else:
            array = data
        dtype = None if dtype is None else as_dtype(dtype)
        if not hasattr(array, "dtype"):  # Python data: PyTorch's dtypes (floats are float32)
            array = backend.asarray(from_python_data(array, dtype))
        else:
            check_array_dtype(array.dtype)
            array = backend.asarray(array, dtype=dtype)
        self._init(array, backend, None, 0)
        self.name = name
        if requires_grad:
            self.requires_grad_(True)

    def _init(self, array: Any, backend: Any, grad_fn: Any, index: int) -> None:
        self._version_counter = None  # made on first use (see _counter)
        self._view = None  # a view op's output: (base, the view ops that lead from the base here)
        self._views = None  # a base: the views of it made while recording (a WeakSet)
        self._array = array
        self.backend = backend
        self._grad = None
        self.grad_fn = grad_fn
        self.requires_grad = grad_fn is not None
        self.name = None
        self._output_index = index
        self._hooks: tuple | dict = ()  # a dict (handle id -> hook) once register_hook is called
        self._post_accumulate_hooks: tuple | dict = ()
        self._retains_grad = False

    @classmethod
    def _make(cls, array: Any, backend: Any, grad_fn: Any = None, index: int = 0) -> Tensor:
        """Wrap a raw array without copying or checking (the fast path the ops use)."""
        tensor = cls.__new__(cls)
        if type(array) is not backend.array_type and not backend.is_array(array):
            # NumPy gives scalars for 0-d results: keep an array
            array = backend.asarray(array)
        if grad_fn is not None and array.dtype.kind != "f":
            grad_fn = None  # integer and boolean results never carry gradients
        tensor._init(array, backend, grad_fn, index)
        return tensor

    # --- properties --------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        # An array's shape is already a tuple of ints: no need for Size()'s per-size check.
        return tuple.__new__(Size, self._array.shape)

    def size(self, dim: int | None = None) -> Any:
        """The shape as a :class:`minigrad.Size`, or the size of dimension ``dim`` as an int."""
        return self.shape if dim is None else self._array.shape[dim]

    @property
    def ndim(self) -> int:
        return self._array.ndim

    def dim(self) -> int:
        return self._array.ndim

    def numel(self) -> int:
        return int(self._array.size)

    def __iter__(self) -> Any:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.wrap(self._array.dtype)

    @property
    def device(self) -> Device:
        return Device(self.backend.type, self.backend.index)

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def is_cuda(self) -> bool:
        return self.backend.type == "cuda"

    @property
    def T(self) -> Tensor:  # noqa: N802  (PyTorch's name)
        return self.permute(*reversed(range(self.ndim)))

    @property
    def mT(self) -> Tensor:  # noqa: N802
        return self.transpose(-2, -1)

    # --- conversion ----------------------------------------------------------------------
    def item(self) -> Scalar:
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self._array.reshape(()).item()

    def tolist(self) -> Any:
        return self.backend.to_numpy(self._array).tolist()  # a copy: allowed with requires_grad

    def numpy(self) -> Any:
        """A host ``numpy.ndarray`` (shares memory on the CPU, as in PyTorch)."""
        if self.requires_grad and is_grad_enabled():
            raise RuntimeError(
                "Can't call numpy() on a Tensor that requires grad: use tensor.detach().numpy()"
            )
        return self.backend.to_numpy(self._array)

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        array = self.backend.to_numpy(self._array)
        return array if dtype is None else array.astype(dtype)

    def detach(self) -> Tensor:
        """The same values outside the graph: shares memory and the version counter, so an
        in-place edit through it is still caught by a backward that saved this tensor."""
        alias = Tensor._make(self._array, self.backend)
        alias._version_counter = self._counter()
        return alias

    def detach_(self) -> Tensor:
        if self._view is not None:
            raise RuntimeError("detach_: cannot detach a view in place; use .detach()")
        self.grad_fn, self.requires_grad, self._output_index = None, False, 0
        return self

    @property
    def data(self) -> Tensor:
        """The values as a tensor outside the graph, sharing memory (PyTorch's ``.data``).

        Unlike ``detach()`` it has a version counter of its own, so in-place edits through it
        are not tracked (PyTorch's rule, which ``p.data.sub_(lr * p.grad)`` relies on).
        """
        return Tensor._make(self._array, self.backend)

    @data.setter
    def data(self, value: Tensor) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"Tensor.data must be set to a Tensor, got {type(value).__name__}")
        self._array, self.backend = value._array, value.backend

    # --- storage: versions and views -------------------------------------------------------
    def _counter(self) -> Any:
        """This storage's version counter (shared with views and detach()), made on first use."""
        counter = self._version_counter
        if counter is None:
            counter = self._version_counter = VersionCounter()
        return counter

    @property
    def _version(self) -> int:
        """How many in-place edits this storage has seen (PyTorch's ``x._version``)."""
        return 0 if self._version_counter is None else self._version_counter.value

    def _mark_modified(self) -> None:
        """Record an in-place write into this storage (every in-place op calls it)."""
        self._counter().value += 1

    def _link_view(self, source: Tensor, op: Any, attrs: dict) -> None:
        """Called by view ops on their output: if it shares the source's memory, it shares the
        version counter and remembers how to be read again from the base (for in-place ops)."""
        if not self.backend.may_share_memory(self._array, source._array):
            return
        self._version_counter = source._counter()
        base, chain = source._view if source._view is not None else (source, ())
        self._view = (base, (*chain, (op, attrs)))
        if is_grad_enabled():  # so an in-place op can re-read every view from the new base
            if base._views is None:
                base._views = weakref.WeakSet()
            base._views.add(self)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf and requires_grad:
            return self  # a non-leaf already requires grad (as PyTorch, not an error)
        if not self.is_leaf:
            raise RuntimeError("requires_grad_ can only change leaf tensors; use .detach() first")
        if requires_grad and self.dtype.kind == "c":
            raise RuntimeError(
                f"complex tensors ({self.dtype}) cannot require gradients in minigrad: autograd "
                "here is real-valued; split into real and imaginary float tensors"
            )
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(
                f"only floating-point tensors can require gradients, this one is {self.dtype}; "
                "convert it with .float()"
            )
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        if self.grad_fn is None:
            return
        self._retains_grad = True
        self.grad_fn.retain_output(self._output_index, self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Any) -> RemovableHandle:
        """``hook(grad)`` runs when this tensor's gradient arrives; it may return a replacement.
        Returns a handle: ``handle.remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:  # a non-leaf: the engine runs it at the node that made it
            return self.grad_fn.add_output_hook(self._output_index, hook)
        if not self._hooks:
            self._hooks = {}
        return add_hook(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook: Any) -> RemovableHandle:
        """``hook(tensor)`` runs after backward accumulated into this leaf's ``.grad`` (not in
        ``autograd.grad``, which leaves ``.grad`` alone), as in PyTorch."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self._post_accumulate_hooks:
            self._post_accumulate_hooks = {}
        return add_hook(self._post_accumulate_hooks, hook)

    @property
    def grad(self) -> Tensor | None:
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        """PyTorch checks an assigned gradient: a Tensor (or None) of this tensor's shape, dtype
        and device."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}"
                )
            if value.shape != self.shape:
                raise RuntimeError(
                    f"attempting to assign a gradient of size '{list(value.shape)}' to a tensor of size "
                    f"'{list(self.shape)}'. Please ensure that the gradient and the tensor are the same size"
                )
            if value.dtype != self.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{value.dtype}' to a tensor with dtype "
                    f"'{self.dtype}'. Please ensure that the gradient and the tensor have the same dtype"
                )
            if value.backend is not self.backend:
                raise RuntimeError(
                    f"attempting to assign a gradient on device '{value.device}' to a tensor on device "
                    f"'{self.device}'. Please ensure that the gradient and the tensor are on the same device"
                )
        self._grad = value

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(device)``, ``to(dtype)`` or ``to(device, dtype)``, as in PyTorch.

        Returns ``self`` when nothing changes; otherwise a differentiable copy, so a leaf that
        requires grad still receives its gradient through it (``w.double()`` inside a forward
        does not cut the graph). To move a model's parameters and their ``.grad`` in place,
        use ``Module.to``.
        """
        target_device, target_dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        for arg in args:
            if isinstance(arg, (str, Device)) and not _is_dtype_name(arg):
                target_device = arg
            elif isinstance(arg, Tensor):
                target_device, target_dtype = arg.device, arg.dtype
            else:
                target_dtype = arg
        result = self
        if target_dtype is not None and as_dtype(target_dtype) != self.dtype:
            result = shape.Cast.apply(result, dtype=as_dtype(target_dtype))
        if target_device is not None:
            backend = backends.get(target_device)
            if backend is not self.backend:
                result = shape.ToDevice.apply(result, device=backend.name)
        return result

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device: int | None = None) -> Tensor:
        return self.to("cuda" if device is None else f"cuda:{device}")

    def float(self) -> Tensor:
        return self.to("float32")

    def double(self) -> Tensor:
        return self.to("float64")

    def half(self) -> Tensor:
        return self.to("float16")

    def long(self) -> Tensor:
        return self.to("int64")

    def int(self) -> Tensor:
        return self.to("int32")

    def bool(self) -> Tensor:
        return self.to("bool")

    def type(self, dtype: Any = None, non_blocking: builtins.bool = False) -> Any:
        """``x.type()`` is PyTorch's type name (``'minigrad.FloatTensor'``, on CUDA
        ``'minigrad.cuda.FloatTensor'``); ``x.type(dtype)`` converts, as ``x.to(dtype)``, and
        takes such a name as well (``x.type('minigrad.LongTensor')``)."""
        if dtype is None:
            return tensor_types.type_name(self.dtype, self.device.type)
        if isinstance(dtype, str) and dtype.endswith("Tensor"):
            # 'minigrad.cuda.FloatTensor' names the device too: CUDA, or else the CPU (PyTorch's rule).
            device = "cuda" if ".cuda." in dtype else "cpu"
            return self.to(device, tensor_types.dtype_of_type_name(dtype))
        return self.to(dtype)

    def is_floating_point(self) -> builtins.bool:
        return self.dtype.kind == "f"

    # --- printing ------------------------------------------------------------------------
    def __repr__(self) -> str:
        return printing.tensor_repr(self)

    def __bool__(self) -> builtins.bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.numel()} elements is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.item())

    def __float__(self) -> builtins.float:
        return builtins.float(self.item())

    def __int__(self) -> builtins.int:
        return builtins.int(self.item())

    def __index__(self) -> builtins.int:
        if self.dtype.kind not in "iu" or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    __hash__ = object.__hash__

    # --- autograd ------------------------------------------------------------------------
    def backward(
        self,
        gradient: Tensor | None = None,
        retain_graph: builtins.bool | None = None,
        create_graph: builtins.bool = False,
        inputs: Sequence[Tensor] | None = None,
    ) -> None:
        """Accumulate the gradient of this tensor into every leaf's ``.grad``."""
        from minigrad.autograd.engine import backward

        backward([self], None if gradient is None else [gradient], retain_graph, create_graph, inputs)

    # --- arithmetic ----------------------------------------------------------------------
    def _operand(self, other: Any) -> Any:
        """Turn the other operand into a Tensor or a Python scalar with PyTorch's promotion."""
        if isinstance(other, Tensor):
            return other
        if hasattr(other, "dtype") and getattr(other, "shape", None) == ():
            # A NumPy scalar behaves like a Python one; checked first because numpy.float64 IS a
            # Python float, and kept as is it would turn float32 results into float64.
            return other.item()
        if isinstance(other, (builtins.int, builtins.float, builtins.bool)):
            return other
        return Tensor(other, device=self.backend.name)

    def _promoted(self, other: Any, op: str, floating: builtins.bool = False,
                  exact: builtins.bool = False) -> tuple[Tensor, Any]:
        """Both operands of the binary op ``op`` in PyTorch's result dtype (``result_type``, the
        one place where promotion is decided; ``floating``: at least the default float, as for
        true division), after checking that their shapes broadcast. A bool mask meeting a
        tensor of the result dtype is left uncast (NumPy computes ``x * mask`` in x's dtype)
        unless ``exact``: ops that look at their operands' dtypes ask for both cast."""
        array = self._array
        # The common cases, decided without the general promotion below (same result): with a
        # float or complex tensor, a Python float or int keeps the tensor's dtype at any ndim
        # (unless NumPy 1.x would widen a 0-d array, handled below), and so does a tensor of
        # the same dtype. (Integer tensors take the general path: int / int is a float.)
        if array.dtype.kind in "fc":
            if type(other) is builtins.float or type(other) is builtins.int:
                if array.ndim or not _widens_python_scalars(self.backend):
                    return self, other
            elif isinstance(other, Tensor) and other._array.dtype == array.dtype:
                if other._array.shape != array.shape:
                    broadcast_shapes(self.shape, other.shape, op)
                return self, other
        other = self._operand(other)
        dtype = result_type(self, other)
        if floating:
            dtype = floating_result(dtype)
        if isinstance(other, Tensor):
            if other.shape != self.shape:
                broadcast_shapes(self.shape, other.shape, op)
            if exact:
                return self.to(dtype), other.to(dtype)
            return _cast_operand(self, dtype, other), _cast_operand(other, dtype, self)
        if dtype.kind in "iu" and type(other) is builtins.int and op != "pow":
            other = _wrapped_integer(other, dtype)
        if self._array.ndim == 0 and not isinstance(other, Tensor) and _widens_python_scalars(self.backend):
            # NumPy 1.x (before NEP 50) computes a 0-d array (op) a Python number in float64 or
            # int64; as a 0-d array of the result dtype, the number gives PyTorch's dtype.
            other = Tensor._make(self.backend.asarray(other, dtype=dtype), self.backend)
        return _cast_operand(self, dtype, other), other

    def __add__(self, other: Any) -> Tensor:
        a, b = self._promoted(other, "add")
        return arithmetic.Add.apply(a, b)

    def __radd__(self, other: Any) -> Tensor:
        a, b = self._promoted(other, "add")
        return arithmetic.Add.apply(b, a)

    def __sub__(self, other: Any) -> Tensor:
        _refuse_bool_subtraction(self, other)
        a, b = self._promoted(other, "sub")
        return arithmetic.Sub.apply(a, b)

    def __rsub__(self, other: Any) -> Tensor:
        _refuse_bool_subtraction(self, other)
        a, b = self._promoted(other, "sub")
        return arithmetic.Sub.apply(b, a)

    def __mul__(self, other: Any) -> Tensor:
        a, b = self._promoted(other, "mul")
        return arithmetic.Mul.apply(a, b)

    def __rmul__(self, other: Any) -> Tensor:
        a, b = self._promoted(other, "mul")
        return arithmetic.Mul.apply(b, a)

    def __truediv__(self, other: Any) -> Tensor:
        a, b = self._promoted(other, "div", floating=True)  # int / int is float32, as PyTorch
        return arithmetic.Div.apply(a, b)

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = self._promoted(other, "div", floating=True)
        return arithmetic.Div.apply(b, a)

    def __pow__(self, exponent: Any) -> Tensor:
        a, b = self._promoted(exponent, "pow")
        _refuse_negative_integer_power(a, b)
        if a.dtype.kind == "b" and (not isinstance(b, Tensor) or b.dtype.kind == "b"):
            return _bool_power(a, b)
        return arithmetic.Pow.apply(a, b)

    def __rpow__(self, base: Any) -> Tensor:
        a, b = self._promoted(base, "rpow")  # a negative int base wraps: (-1) ** uint8 is 255 ** x
        _refuse_negative_integer_power(b, a)
        if a.dtype.kind == "b" and isinstance(b, builtins.bool):
            raise _no_bool_kernel("pow", "pow", ".int()")
        return arithmetic.Pow.apply(b, a)

    def _floating(self) -> Tensor:
        """This tensor as the input of a float op (exp, log...): integers and booleans become
        the default float first, as in PyTorch (``exp`` of an int64 tensor is float32)."""
        if self._array.dtype.kind in "fc":  # already floating (every float op asks)
            return self
        return shape.Cast.apply(self, dtype=floating_result(self.dtype))

    def __neg__(self) -> Tensor:
        _refuse_bool("neg", self, "Negation, the `-` operator, on a bool tensor", "`~` or logical_not()")
        return arithmetic.Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def __matmul__(self, other: Tensor) -> Tensor:
        return self.matmul(other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return Tensor(other, device=self.backend.name).matmul(self)

    def matmul(self, other: Tensor) -> Tensor:
        other = self._operand(other)
        if not isinstance(other, Tensor):
            raise TypeError(f"matmul: the second operand must be a Tensor, got {type(other).__name__}")
        if self.ndim == 0 or other.ndim == 0:
            raise ShapeError(
                f"matmul: both arguments need at least 1 dimension, got shapes {list(self.shape)} and "
                f"{list(other.shape)}; use * to multiply by a scalar"
            )
        if self.dtype != other.dtype:
            raise DTypeError(
                f"matmul: expected both operands to have the same dtype, but got {self.dtype} and "
                f"{other.dtype} (PyTorch does not promote here); convert one with .to({other.dtype}) "
                f"or .to({self.dtype})"
            )
        if self.dtype.kind == "b":
            raise _no_bool_kernel("matmul", "addmm", ".float()")
        inner_a = self.shape[-1]
        inner_b = other.shape[-2] if other.ndim > 1 else other.shape[0]
        if inner_a != inner_b:
            raise ShapeError(
                f"matmul: shapes {list(self.shape)} and {list(other.shape)} cannot be multiplied "
                f"({inner_a} != {inner_b}): the last dim of the first must equal the "
                "second-to-last dim of the second (the only dim of a 1-D second operand)"
            )
        if self.ndim > 2 or other.ndim > 2:
            op = f"matmul of shapes {list(self.shape)} and {list(other.shape)} (in the batch dims)"
            broadcast_shapes(self.shape[:-2], other.shape[:-2], op)
        return linalg.MatMul.apply(self, other)

    add, sub, mul, pow = __add__, __sub__, __mul__, __pow__
    multiply, subtract, true_divide = mul, sub, __truediv__  # div, divide: in MathMethods (rounding_mode)

    def neg(self) -> Tensor:
        return -self

    def exp(self) -> Tensor:
        return elementwise.Exp.apply(self._floating())

    def log(self) -> Tensor:
        return elementwise.Log.apply(self._floating())

    def sqrt(self) -> Tensor:
        return elementwise.Sqrt.apply(self._floating())

    def abs(self) -> Tensor:
        if self.dtype.kind == "b":
            raise _no_bool_kernel("abs", "abs_cpu", ".int()")
        return elementwise.Abs.apply(self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        if min is None and max is None:
            raise ArgumentError("clamp: At least one of min and max must not be None")
        min, max = (None if v is None else self._operand(v) for v in (min, max))  # noqa: A001  (NumPy scalars too)
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            from minigrad.ops.numeric import clamp_with_tensors

            return clamp_with_tensors(self, min, max)
        source = self
        if self.dtype.kind != "f" and builtins.any(isinstance(v, builtins.float) for v in (min, max)):
            source = self.to(default_float())  # as PyTorch: float bounds give a float result
        return elementwise.Clamp.apply(source, min=min, max=max)

    clip = clamp

    def relu(self) -> Tensor:
        if self.dtype.kind == "b":
            raise DTypeError("relu: Boolean inputs not supported for relu (as in PyTorch); convert with .float() first")
        return elementwise.Relu.apply(self)

    def sigmoid(self) -> Tensor:
        return elementwise.Sigmoid.apply(self._floating())

    def tanh(self) -> Tensor:
        return elementwise.Tanh.apply(self._floating())

    def softmax(self, dim: builtins.int) -> Tensor:
        return composite.softmax(self, dim)

    def log_softmax(self, dim: builtins.int) -> Tensor:
        return composite.log_softmax(self, dim)

    # --- comparisons (not differentiable) ------------------------------------------------
    def _compare(self, other: Any, operator: str) -> Tensor:
        other = self._operand(other)
        # In PyTorch's result dtype (``uint8_tensor >= -1`` compares with -1 wrapped to 255,
        # where NumPy would compare the numbers).
        dtype = result_type(self, other)
        if isinstance(other, Tensor):
            common_backend([self, other], operator)
            if other.shape != self.shape:
                broadcast_shapes(self.shape, other.shape, operator.strip("_"))
            other_data = other._array.astype(dtype, copy=False)
        else:
            other_data = self.backend.xp.asarray(other).astype(dtype)
        return Tensor._make(getattr(self._array.astype(dtype, copy=False), operator)(other_data), self.backend)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, "__eq__")

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, "__ne__")

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, "__lt__")

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, "__le__")

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, "__gt__")

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, "__ge__")

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    # __invert__, &, |, ^, shifts, equal, allclose, any, all: in MathMethods (minigrad/tensor_math.py)

    def argmax(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
               axis: builtins.int | None = None) -> Tensor:
        return self._arg_extremum("argmax", dim_or_axis(dim, axis, "argmax"), keepdim)

    def argmin(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
               axis: builtins.int | None = None) -> Tensor:
        return self._arg_extremum("argmin", dim_or_axis(dim, axis, "argmin"), keepdim)

    def _arg_extremum(self, op: str, dim: builtins.int | None, keepdim: builtins.bool) -> Tensor:
        _refuse_bool(op, self, f"{op}() of a bool input", ".int() conversion and then the")
        if dim is not None:
            dim = composite.dim_in_range(dim, self.ndim, op)
            dim = None if self.ndim == 0 else dim
        if self.numel() == 0 and (dim is None or self.shape[dim] == 0):
            raise EmptyReductionError(
                f"{op}(): Expected reduction dim {dim} to have non-zero size: the {op} of no elements "
                f"is undefined (input of shape {list(self.shape)})"
            )
        result = getattr(self.backend.xp, op)(self._array, axis=dim, keepdims=keepdim and dim is not None)
        if keepdim and dim is None:  # PyTorch keeps every dim as size 1
            result = result.reshape((1,) * self.ndim)
        return Tensor._make(result, self.backend)

    # --- reductions ----------------------------------------------------------------------
    # sum, mean, var, std, prod...: in MathMethods (minigrad/tensor_math.py)
    def amax(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Tensor:
        dim = dim_or_axis(dim, axis, "amax")
        return reduction.Amax.apply(self, dim=reduction.normalize_dims(dim, self.ndim), keepdim=keepdim)

    def amin(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Tensor:
        dim = dim_or_axis(dim, axis, "amin")
        return reduction.Amin.apply(self, dim=reduction.normalize_dims(dim, self.ndim), keepdim=keepdim)

    def maximum(self, other: Tensor) -> Tensor:
        return composite.maximum(self, other)

    def minimum(self, other: Tensor) -> Tensor:
        return composite.minimum(self, other)

    def max(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Any:
        """``max()`` is a tensor; ``max(dim)`` is ``(values, indices)`` as in PyTorch."""
        dim = dim_or_axis(dim, axis, "max")
        if isinstance(dim, Tensor):
            return composite.maximum(self, dim)
        if dim is None:
            return reduction.Amax.apply(self, dim=None, keepdim=False, nan_wins=True)
        return composite.extremum_with_index(self, dim, keepdim, "max")

    def min(self, dim: Any = None, keepdim: builtins.bool = False, *, axis: Any = None) -> Any:
        dim = dim_or_axis(dim, axis, "min")
        if isinstance(dim, Tensor):
            return composite.minimum(self, dim)
        if dim is None:
            return reduction.Amin.apply(self, dim=None, keepdim=False, nan_wins=True)
        return composite.extremum_with_index(self, dim, keepdim, "min")

    # --- shapes --------------------------------------------------------------------------
    def reshape(self, *shape_: Any) -> Tensor:
        new_shape = _shape_arg(shape_)
        if -1 in new_shape or builtins.any(n < 0 for n in new_shape):
            new_shape = composite.infer_shape(self.shape, new_shape)
        elif _product(new_shape) != self.numel():
            raise RuntimeError(
                f"shape {list(new_shape)} is invalid for input of size {self.numel()} "
                f"(shape {list(self.shape)})"
            )
        # Even to the same shape: a new view object, as in PyTorch (y = x.view(x.shape); y is not x).
        return shape.Reshape.apply(self, shape=new_shape)

    def view(self, *shape_: Any) -> Tensor:
        """``view(shape)`` (as ``reshape``) or ``view(dtype)``: the same bytes read as ``dtype``."""
        if len(shape_) == 1 and not isinstance(shape_[0], (builtins.int, tuple, list)) and _is_dtype(shape_[0]):
            return self._view_as_dtype(as_dtype(shape_[0]))
        return self.reshape(*shape_)

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> Tensor:
        start = composite.dim_in_range(start_dim, self.ndim, "flatten")
        end = composite.dim_in_range(end_dim, self.ndim, "flatten")
        if start > end:
            raise ArgumentError("flatten() has invalid args: start_dim cannot come after end_dim")
        if self.ndim == 0:
            return self.reshape(1)
        merged = _product(self.shape[start : end + 1])
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def ravel(self) -> Tensor:
        """The elements as one dimension: a view where possible (as ``reshape(-1)``)."""
        return self.reshape(-1)

    def conj(self) -> Tensor:
        """The complex conjugate; a real tensor is returned itself, as in PyTorch."""
        if self.dtype.kind != "c":
            return self
        return Tensor._make(self._array.conj(), self.backend)

    def resolve_conj(self) -> Tensor:
        return self

    def is_conj(self) -> builtins.bool:
        return False

    def unflatten(self, dim: builtins.int, sizes: Sequence[builtins.int]) -> Tensor:
        dim = dim % self.ndim
        return self.reshape(self.shape[:dim] + tuple(sizes) + self.shape[dim + 1 :])

    def squeeze(self, dim: Any = None) -> Tensor:
        if dim is None:
            return self.reshape(tuple(n for n in self.shape if n != 1))
        dims = reduction.normalize_dims(dim, self.ndim)
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: builtins.int) -> Tensor:
        if not -self.ndim - 1 <= dim <= self.ndim:
            raise IndexError(
                f"unsqueeze: dim {dim} is out of range for a tensor with {self.ndim} dims "
                f"(expected a value in [{-self.ndim - 1}, {self.ndim}])"
            )
        dim = dim % (self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def permute(self, *dims: Any) -> Tensor:
        dims = _shape_arg(dims)
        in_range = builtins.all(-self.ndim <= d < self.ndim for d in dims)
        if not in_range or sorted(d % builtins.max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: {dims} is not a permutation of the {self.ndim} dims of {self.shape}")
        dims = tuple(d % self.ndim for d in dims)
        return shape.Permute.apply(self, dims=dims)

    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> Tensor:
        ndim = self._array.ndim
        order = list(range(ndim))
        try:
            order[dim0], order[dim1] = order[dim1], order[dim0]
        except IndexError:
            bad = dim0 if not -ndim <= dim0 < ndim else dim1
            raise IndexError(f"Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but got "
                             f"{bad}): transpose of a {ndim}-d tensor") from None
        return shape.Permute.apply(self, dims=tuple(order))  # a permutation by construction

    def t(self) -> Tensor:
        return self.transpose(0, 1) if self.ndim == 2 else shape.Reshape.apply(self, shape=self.shape)

    def expand(self, *sizes: Any) -> Tensor:
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the target {sizes} has fewer dims than the tensor {self.shape}")
        if -1 in sizes[:lead]:
            raise RuntimeError(f"expand: -1 is not allowed for the new leading dims in {sizes}")
        target = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        for i, n in enumerate(self.shape):
            if n != 1 and n != target[lead + i]:
                raise RuntimeError(
                    f"expand: the size {n} of dim {i} must match {target[lead + i]} or be 1 "
                    f"(tensor {self.shape}, target {target})"
                )
        return shape.Expand.apply(self, shape=target)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    broadcast_to = expand

    def sum_to_size(self, *size: Any) -> Tensor:
        target = _shape_arg(size)
        if target == self.shape:
            return self
        return shape.SumTo.apply(self, shape=target)

    def __getitem__(self, key: Any) -> Tensor:
        select, rest = shape.split_integer_indices(_index_key(key), self.ndim)  # PyTorch's order
        source = self if select is None else shape.GetItem.apply(self, key=select)
        return shape.GetItem.apply(source, key=rest)

    # --- in-place ops --------------------------------------------------------------------
    # Each in-place op is its out-of-place op plus one write. ``_inplace`` computes the result
    # (recorded like any op), writes it into this tensor's memory, bumps the storage's version
    # (so a saved tensor that now holds other values is caught at backward), and, when the graph
    # records, rebases it: this tensor takes over the result's grad_fn, and the base of a view
    # takes a CopySlices node, as in PyTorch. A leaf that requires grad is refused (outside
    # ``no_grad``): its gradient would have nowhere to go.
    def _check_inplace(self, op: str) -> None:
        if not is_grad_enabled():
            return
        if self.is_leaf and self.requires_grad:
            raise RuntimeError(
                f"{op}: a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in `with minigrad.no_grad():` or use the out-of-place op"
            )
        for _, attrs in self._view[1] if self._view is not None else ():
            if attrs.get("multi_output"):
                raise RuntimeError(
                    f"{op}: this tensor is a view returned by {attrs['multi_output']}(), a function that returns "
                    "multiple views; as in PyTorch, such views cannot be modified in place while autograd "
                    "records. Use the out-of-place op, or .clone() the view first"
                )
        if self._view is not None and self._view[0].is_leaf and self._view[0].requires_grad:
            raise RuntimeError(
                f"{op}: a view of a leaf Variable that requires grad is being used in an in-place "
                "operation; wrap the update in `with minigrad.no_grad():` or .clone() the leaf first"
            )

    def _inplace(self, op: str, compute: Any, operands: tuple = ()) -> Tensor:
        recording = is_grad_enabled() and (
            self.requires_grad or builtins.any(isinstance(o, Tensor) and o.requires_grad for o in operands)
        )
        if recording:
            self._check_inplace(op)
        if builtins.any(s == 0 and n > 1 for s, n in zip(self._array.strides, self.shape)):
            raise RuntimeError(
                f"{op}: unsupported operation: more than one element of the written-to tensor refers "
                "to a single memory location (an expand()ed view); .clone() the tensor first"
            )
        result = compute()
        if result.shape != self.shape:
            raise RuntimeError(
                f"{op}: output with shape {list(self.shape)} doesn't match the broadcast shape "
                f"{list(result.shape)}; an in-place op cannot grow its tensor"
            )
        if result.dtype != self.dtype:
            if not _can_cast(result.dtype, self.dtype):
                raise RuntimeError(
                    f"{op}: result type {result.dtype} can't be cast to the desired output type "
                    f"{self.dtype}; convert first (x = x.float()) or use the out-of-place op"
                )
            result = shape.Cast.apply(result, dtype=self.dtype)
        recorded = recording and result.grad_fn is not None
        if recorded:
            _snapshot_saved_self(result.grad_fn, self)
        self._array[...] = result._array
        self._mark_modified()
        if recorded:
            self._rebase(result)
        return self

    def _rebase(self, result: Tensor) -> None:
        """Make this tensor (just overwritten with ``result``) the output of ``result``'s node."""
        result.grad_fn._rebind_output(result._output_index, self)
        if self._view is None:
            base = self
            self.grad_fn, self._output_index, self.requires_grad = result.grad_fn, result._output_index, True
        else:
            base, chain = self._view
            updated = shape.CopySlices.apply(base, result, chain=chain)
            base.grad_fn, base._output_index, base.requires_grad = updated.grad_fn, 0, True
        # Every view of the base (this one included) now reads the new values: as PyTorch
        # regenerates a view's grad_fn after its base changed, read each again from the base.
        for view in list(base._views or ()):
            again = shape.replay_view(base, view._view[1])
            view.grad_fn, view._output_index, view.requires_grad = again.grad_fn, again._output_index, True

    def _arithmetic_inplace(self, op: str, ufunc: str, other: Any, compute: Any) -> Tensor:
        """``+= -= *= /=``: NumPy's ``out=`` ufunc when nothing records, else ``_inplace``."""
        other = self._operand(other)
        if not (is_grad_enabled() and (self.requires_grad or getattr(other, "requires_grad", False))):
            value = other._array if isinstance(other, Tensor) else other
            same_kind = (
                isinstance(other, Tensor) and other.dtype == self.dtype and other.ndim <= self.ndim
                or isinstance(value, builtins.float) and self.dtype.kind == "f"
                or isinstance(value, builtins.int) and self.dtype.kind in "fiu" and not isinstance(value, builtins.bool)
            )
            if same_kind and not (ufunc == "true_divide" and self.dtype.kind != "f"):
                if isinstance(other, Tensor):
                    common_backend([self, other], op)
                if _broadcasts_into(getattr(value, "shape", ()), self.shape) and not _has_overlap(self._array):
                    getattr(self.backend.xp, ufunc)(self._array, value, out=self._array)
                    self._mark_modified()
                    return self
        return self._inplace(op, lambda: compute(self, other), (other,))

    def __iadd__(self, other: Any) -> Tensor:
        return self._arithmetic_inplace("add_", "add", other, Tensor.__add__)

    def __isub__(self, other: Any) -> Tensor:
        return self._arithmetic_inplace("sub_", "subtract", other, Tensor.__sub__)

    def __imul__(self, other: Any) -> Tensor:
        return self._arithmetic_inplace("mul_", "multiply", other, Tensor.__mul__)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._arithmetic_inplace("div_", "true_divide", other, Tensor.__truediv__)

    def add_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        return self.__iadd__(other if alpha == 1 else self._operand(other) * alpha)

    def sub_(self, other: Any, alpha: Scalar = 1) -> Tensor:
        return self.__isub__(other if alpha == 1 else self._operand(other) * alpha)

    def mul_(self, other: Any) -> Tensor:
        return self.__imul__(other)

    def pow_(self, exponent: Any) -> Tensor:
        return self._inplace("pow_", lambda: self**exponent, (exponent,))

    def neg_(self) -> Tensor:
        return self._inplace("neg_", lambda: -self)

    def exp_(self) -> Tensor:
        return self._inplace("exp_", self.exp)

    def log_(self) -> Tensor:
        return self._inplace("log_", self.log)

    def sqrt_(self) -> Tensor:
        return self._inplace("sqrt_", self.sqrt)

    def abs_(self) -> Tensor:
        return self._inplace("abs_", self.abs)

    def relu_(self) -> Tensor:
        return self._inplace("relu_", self.relu)

    def sigmoid_(self) -> Tensor:
        return self._inplace("sigmoid_", self.sigmoid)

    def tanh_(self) -> Tensor:
        return self._inplace("tanh_", self.tanh)

    def clamp_(self, min: Scalar | None = None, max: Scalar | None = None) -> Tensor:  # noqa: A002
        return self._inplace("clamp_", lambda: self.clamp(min, max))

    clip_ = clamp_

    def _put(self, op: str, key: Any, value: Any) -> Tensor:
        """``self[key] = value``: the fast write when nothing records, else IndexPut + rebase."""
        if isinstance(value, Tensor):
            common_backend([self, value], op)
        elif not isinstance(value, (builtins.int, builtins.float, builtins.bool)):
            value = Tensor(value, device=self.backend.name)
        recording = is_grad_enabled() and (self.requires_grad or getattr(value, "requires_grad", False))
        if not recording:
            if _has_overlap(self._array):
                self._inplace(op, lambda: self)  # raises the clear error
            try:
                self._array[key] = value._array if isinstance(value, Tensor) else value
            except IndexError as error:
                raise IndexError(f"{op}: {error} (tensor of shape {list(self.shape)})") from None
            except ValueError as error:
                raise RuntimeError(f"{op}: {error} (tensor of shape {list(self.shape)})") from None
            self._mark_modified()
            return self
        if isinstance(value, Tensor) and value.dtype != self.dtype:
            value = shape.Cast.apply(value, dtype=self.dtype)  # as PyTorch: the value takes our dtype
        try:
            return self._inplace(op, lambda: shape.IndexPut.apply(self, value, key=key), (value,))
        except IndexError as error:
            raise IndexError(f"{op}: {error} (tensor of shape {list(self.shape)})") from None
        except ValueError as error:
            raise RuntimeError(f"{op}: {error} (tensor of shape {list(self.shape)})") from None

    def __setitem__(self, key: Any, value: Any) -> None:
        select, rest = shape.split_integer_indices(_index_key(key), self.ndim)  # PyTorch's order
        if select is None:
            self._put("__setitem__", rest, value)
        else:  # write through the view the integers select, as PyTorch (select, then index_put_)
            self[select]._put("__setitem__", rest, value)

    def zero_(self) -> Tensor:
        return self._put("zero_", Ellipsis, 0)

    def fill_(self, value: Any) -> Tensor:
        return self._put("fill_", Ellipsis, value)

    def copy_(self, source: Any, non_blocking: builtins.bool = False) -> Tensor:
        if isinstance(source, Tensor) and source.backend is not self.backend:
            source = source.to(self.backend.name)  # copy_ moves between devices, as in PyTorch
        if isinstance(source, Tensor) and not _broadcasts_into(source.shape, self.shape):
            raise RuntimeError(
                f"copy_: the source of shape {list(source.shape)} cannot be broadcast to the "
                f"destination's shape {list(self.shape)}"
            )
        return self._put("copy_", Ellipsis, source)

    # --- factories on an existing tensor -------------------------------------------------
    def _new(self, array: Any, device: Any, requires_grad: bool) -> Tensor:
        result = Tensor._make(array, self.backend)
        if device is not None and backends.get(device) is not self.backend:
            result = Tensor._make(backends.get(device).asarray(array), backends.get(device))
        return result.requires_grad_(True) if requires_grad else result

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype and device unless given (as PyTorch)."""
        dtype = self.dtype if dtype is None else as_dtype(dtype)
        return self._new(self.backend.xp.zeros(_shape_arg(size), dtype=dtype), device, requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        dtype = self.dtype if dtype is None else as_dtype(dtype)
        return self._new(self.backend.xp.ones(_shape_arg(size), dtype=dtype), device, requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        dtype = self.dtype if dtype is None else as_dtype(dtype)
        return self._new(self.backend.xp.empty(_shape_arg(size), dtype=dtype), device, requires_grad)

    def new_full(self, size: Sequence[int], fill_value: Scalar, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        dtype = self.dtype if dtype is None else as_dtype(dtype)
        return self._new(self.backend.xp.full(_shape_arg((size,)), fill_value, dtype=dtype), device, requires_grad)

    def new_tensor(self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        """A copy of ``data`` with this tensor's dtype (not inferred from ``data``) and device."""
        source = data.detach() if isinstance(data, Tensor) else data
        result = Tensor(source, dtype=self.dtype if dtype is None else dtype, device=device or self.backend.name)
        if isinstance(data, Tensor) and result._array is data._array:
            result._array = result._array.copy()
        return result.requires_grad_(True) if requires_grad else result


def _is_dtype(value: Any) -> bool:
    """A dtype object, a NumPy scalar type or a dtype name ('float32')."""
    if isinstance(value, str):
        return _is_dtype_name(value)
    try:
        as_dtype(value)
        return True
    except TypeError:
        return False


def _is_dtype_name(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        as_dtype(value)
        return True
    except TypeError:
        return False


def _product(values: Iterable[int]) -> int:
    result = 1
    for n in values:
        result *= n
    return result


def _index_key(key: Any) -> Any:
    """Replace Tensors (and lists) inside an index by raw arrays of the same device."""
    if isinstance(key, Tensor):
        return key._array
    if isinstance(key, tuple):
        return tuple(part._array if isinstance(part, Tensor) else part for part in key)
    return key


def broadcast_shapes(a: Sequence[int], b: Sequence[int], op: str = "broadcast_shapes") -> tuple[int, ...]:
    """The shape two operands broadcast to; PyTorch's RuntimeError, naming ``op`` and the fix,
    when they don't (instead of NumPy's "operands could not be broadcast together")."""
    a, b = tuple(a), tuple(b)
    ndim = builtins.max(len(a), len(b))
    a_full, b_full = (1,) * (ndim - len(a)) + a, (1,) * (ndim - len(b)) + b
    result = []
    for dim, (m, n) in enumerate(zip(a_full, b_full)):
        if m != n and m != 1 and n != 1:
            raise ShapeError(
                f"{op}: the size of tensor a ({m}) must match the size of tensor b ({n}) at "
                f"non-singleton dimension {dim}: shapes {list(a)} and {list(b)} do not broadcast. "
                "Sizes are compared from the last dim backwards and must be equal or 1; reshape or "
                "unsqueeze an operand (e.g. b.unsqueeze(-1)) so that they line up"
            )
        result.append(m if n == 1 else n)
    return tuple(result)


_WIDENS_PYTHON_SCALARS: dict[Any, builtins.bool] = {}


def _widens_python_scalars(backend: Any) -> builtins.bool:
    """Whether ``backend``'s array library computes a 0-d float32 array times a Python number in
    float64 (NumPy 1.x's value-based casting; NumPy 2 follows NEP 50 and keeps float32)."""
    widens = _WIDENS_PYTHON_SCALARS.get(backend.xp)
    if widens is None:
        probe = backend.asarray(1, dtype=float32)
        widens = _WIDENS_PYTHON_SCALARS[backend.xp] = (probe * 1).dtype != probe.dtype
    return widens


def _cast_operand(operand: Tensor, dtype: Any, other: Any) -> Tensor:
    """``operand`` in the binary op's result dtype, recorded (so gradients flow through it)."""
    if operand.dtype == dtype:
        return operand
    if operand.dtype.kind == "b" and isinstance(other, Tensor) and other.dtype == dtype:
        return operand  # NumPy already computes x * mask in x's dtype: no cast pass (relu's mask)
    return shape.Cast.apply(operand, dtype=dtype)


def _refuse_bool(op: str, operand: Tensor, what: str, fix: str) -> None:
    if operand.dtype.kind == "b":
        raise DTypeError(f"{op}: {what} is not supported (as in PyTorch); use the {fix} operator instead")


def _refuse_bool_subtraction(tensor: Tensor, other: Any) -> None:
    """PyTorch refuses ``-`` as soon as one operand is a bool tensor or a Python bool (even
    ``float_tensor - True``), with its own wording for two bool tensors."""
    if tensor._array.dtype.kind != "b" and type(other) is not builtins.bool and (
        not isinstance(other, Tensor) or other._array.dtype.kind != "b"
    ):
        return  # no bool operand (every subtraction asks, so the common case returns first)
    bools = [isinstance(x, builtins.bool) or (isinstance(x, Tensor) and x.dtype.kind == "b") for x in (tensor, other)]
    if builtins.all(bools) and isinstance(other, Tensor):
        raise DTypeError(
            "sub: Subtraction, the `-` operator, with two bool tensors is not supported (as in "
            "PyTorch); use the `^` or logical_xor() operator instead"
        )
    if builtins.any(bools):
        raise DTypeError(
            "sub: Subtraction, the `-` operator, with a bool tensor is not supported (as in PyTorch); "
            "if you are trying to invert a mask, use the `~` or logical_not() operator instead"
        )


def _wrapped_integer(value: int, dtype: Any) -> int:
    """A Python int in an integer tensor's dtype, wrapping around as PyTorch does
    (``uint8_tensor + -1`` adds 255); NumPy 2 raises OverflowError instead."""
    info = _integer_bounds(dtype)
    if info[0] <= value <= info[1]:
        return value
    span = info[1] - info[0] + 1
    return (value - info[0]) % span + info[0]


def _integer_bounds(dtype: Any) -> tuple[int, int]:
    bits = 8 * dtype.itemsize
    return (0, 2**bits - 1) if dtype.kind == "u" else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


def _no_bool_kernel(op: str, kernel: str, fix: str) -> UnsupportedDTypeError:
    return UnsupportedDTypeError(
        f"{op}: \"{kernel}\" not implemented for 'Bool' (as in PyTorch); convert with {fix} first"
    )


def _bool_power(base: Tensor, exponent: Any) -> Tensor:
    """``bool_tensor ** True/False`` stays bool in PyTorch (x ** True is x, x ** False is all
    True); with a bool tensor as the exponent PyTorch has no kernel."""
    if isinstance(exponent, Tensor):
        raise _no_bool_kernel("pow", "pow", ".int()")
    return base.clone() if exponent else Tensor._make(base.backend.xp.ones(base.shape, dtype=bool_), base.backend)


def _refuse_negative_integer_power(base: Any, exponent: Any) -> None:
    """PyTorch refuses ``int ** negative int`` (the result is not an integer)."""
    integral = [x.dtype.kind in "biu" for x in (base, exponent) if isinstance(x, Tensor)]
    if not builtins.all(integral) or isinstance(base, builtins.float) or isinstance(exponent, builtins.float):
        return
    negative = exponent < 0 if not isinstance(exponent, Tensor) else bool((exponent._array < 0).any())
    if negative:
        raise ArgumentError(
            "pow: Integers to negative integer powers are not allowed; convert the base to float "
            "first (x.float() ** -1)"
        )


def _can_cast(source: Any, target: Any) -> bool:
    """PyTorch's rule for writing a result into an existing tensor: never float into an integer
    tensor, never a number into a boolean one (complex into real neither)."""
    order = "bui" + "f" + "c"
    rank = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
    return rank[source.kind] <= rank[target.kind] if source.kind in order and target.kind in order else False


def _broadcasts_into(source: tuple, target: tuple) -> bool:
    """Whether an array of shape ``source`` broadcasts to exactly ``target``."""
    if len(source) > len(target):
        return False
    return builtins.all(s in (1, t) for s, t in zip(reversed(source), reversed(target)))


def _has_overlap(array: Any) -> bool:
    """An expand()ed view: several elements share one memory location (stride 0)."""
    return builtins.any(s == 0 and n > 1 for s, n in zip(array.strides, array.shape))


def _snapshot_saved_self(node: Any, tensor: Tensor) -> None:
    """Before an in-place op overwrites ``tensor``, give the result's node (and the cast node
    below it, if any) a copy of the old values wherever it saved ``tensor`` as an input, as
    PyTorch saves the original self of an in-place op. The copy keeps the old grad_fn, so double
    backward still connects to the graph that produced the old values."""
    for candidate in (node, *(edge[0] for edge in node.next_functions if edge is not None)):
        if not hasattr(candidate, "_saved"):
            continue
        for saved in candidate._saved:
            if saved is not None and saved.kind == "input" and saved.value is tensor:
                snapshot = Tensor._make(tensor._array.copy(), tensor.backend, tensor.grad_fn, tensor._output_index)
                snapshot.requires_grad = tensor.requires_grad
                saved.value, saved.counter = snapshot, snapshot._counter()
                saved.version = saved.counter.value
        if candidate is not node and candidate.function is not shape.Cast:
            break
