"""PyTorch's names for backward nodes: what ``type(t.grad_fn).__name__`` says for the same call.

PyTorch names a node after the ATen function that recorded it, plus an overload number:
``a * b`` leaves ``MulBackward0``, ``a.sum()`` ``SumBackward0`` but ``a.sum(1)`` ``SumBackward1``,
``a ** 2`` ``PowBackward0`` and ``2 ** a`` ``PowBackward2``, ``F.conv2d`` ``ConvolutionBackward0``.
Pictures use the same words, so a student can put a minigrad picture beside PyTorch's
``grad_fn`` chain. Where one minigrad primitive stands for several PyTorch functions (matmul,
indexing), the name follows the shapes and the key as PyTorch does; PyTorch's ``a @ b`` on
batches really is ``UnsafeViewBackward0`` (it reshapes to one big matrix product). A
primitive with no PyTorch counterpart gets PyTorch's pattern: ``CamelCaseBackward0``; a user's
``Function`` subclass ``Cube`` gets ``CubeBackward``, as in PyTorch.
"""

from __future__ import annotations

from typing import Any

#: Primitive name -> PyTorch's node name, where it does not depend on the arguments.
FIXED = {
    "add": "AddBackward0", "mul": "MulBackward0", "div": "DivBackward0", "neg": "NegBackward0",
    "exp": "ExpBackward0", "log": "LogBackward0", "sqrt": "SqrtBackward0", "abs": "AbsBackward0",
    "relu": "ReluBackward0", "sigmoid": "SigmoidBackward0", "tanh": "TanhBackward0",
    "erf": "ErfBackward0", "log1p": "Log1PBackward0", "expm1": "Expm1Backward0",
    "where": "WhereBackward0", "clamp": "ClampBackward1", "amax": "AmaxBackward0", "amin": "AminBackward0",
    "reshape": "ViewBackward0", "permute": "PermuteBackward0", "expand": "ExpandBackward0",
    "sum_to": "SumBackward1", "cat": "CatBackward0", "constant_pad": "ConstantPadNdBackward0",
    "cast": "ToCopyBackward0", "to_device": "ToCopyBackward0", "index_put": "IndexPutBackward0",
    "copy_slices": "CopySlices", "conv2d": "ConvolutionBackward0",
    "max_pool2d": "MaxPool2DWithIndicesBackward0", "unfold": "Im2ColBackward0", "fold": "Col2ImBackward0",
    # Gradients' own ops, as PyTorch names them in a create_graph=True graph.
    "scatter_to_winners": "MaxPool2DWithIndicesBackwardBackward0",
    "index_add_into": "IndexBackwardBackward0",
    "unfold_dim": "UnfoldBackward0", "scatter_prod": "ScatterReduceBackward0",
}


def backward_name(
    op: str, attrs: dict | None = None, input_shapes: tuple = (), constants: tuple[int, ...] = ()
) -> str:
    """PyTorch's name for the backward node of ``op``.

    Args:
        op: the primitive's registered name (``node.name``).
        attrs: its attributes (a sum's ``dim``, an index ``key``).
        input_shapes: per positional input, its shape, or ``None`` for a Python number.
        constants: the positions of Python-number inputs (``1 - x``: position 0).
    """
    attrs = attrs or {}
    if "." in op:  # a user-defined Function: PyTorch names it <ClassName>Backward
        return op.rsplit(".", 1)[-1] + "Backward"
    if op in FIXED:
        return FIXED[op]
    if op == "sub":
        return "RsubBackward1" if 0 in constants else "SubBackward0"
    if op == "pow":
        if 1 in constants:
            return "PowBackward0"  # tensor ** number
        return "PowBackward2" if 0 in constants else "PowBackward1"
    if op == "sum":
        return "SumBackward0" if attrs.get("dim") is None else "SumBackward1"
    if op == "matmul":
        return _matmul_name(input_shapes)
    if op == "getitem":
        return _index_name(attrs.get("key"))
    return "".join(part[:1].upper() + part[1:] for part in op.split("_")) + "Backward0"


def _matmul_name(input_shapes: tuple) -> str:
    if len(input_shapes) != 2 or None in input_shapes:
        return "MmBackward0"
    dims = (len(input_shapes[0]), len(input_shapes[1]))
    return {(2, 2): "MmBackward0", (1, 1): "DotBackward0", (2, 1): "MvBackward0",
            (1, 2): "SqueezeBackward4"}.get(dims, "UnsafeViewBackward0")


def _index_name(key: Any) -> str:
    """PyTorch indexes one part at a time, left to right: the node is the last real step's."""
    parts = key if isinstance(key, tuple) else (key,)
    last = "AliasBackward0"  # x[:, :] is an alias
    for part in parts:
        if isinstance(part, list) or (hasattr(part, "shape") and getattr(part, "ndim", 0) > 0):
            return "IndexBackward0"  # advanced indexing is one step for all parts
        if isinstance(part, slice):
            if part.step is not None and part.step < 0:
                return "FlipBackward0"  # x[::-1] (PyTorch spells it x.flip(dim))
            if part != slice(None):
                last = "SliceBackward0"
        elif part is None:
            last = "UnsqueezeBackward0"
        elif part is not Ellipsis:
            last = "SelectBackward0"
    return last
