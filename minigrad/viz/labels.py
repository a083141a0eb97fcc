"""The text inside the boxes: op names and attributes, shapes, values and gradients.

Everything here returns plain strings with DOT line breaks: ``\\n`` (centred line) and ``\\l``
(left-aligned line). ``render.py`` decides shapes and colours; this file only decides words.
"""

from __future__ import annotations

from typing import Any

#: A tensor with at most this many elements shows its numbers; a bigger one shows its norm.
TINY = 8

#: Scalar (micrograd-style) pictures use the operator instead of the primitive's name.
SYMBOLS = {
    "add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**", "neg": "-",
    "matmul": "@", "tanh": "tanh", "exp": "exp", "log": "log", "relu": "relu",
    "sigmoid": "sigmoid", "sqrt": "sqrt", "abs": "abs",
}

#: The gradient rule of each common primitive, one line per positional input, shown on its
#: backward node. ``g`` is the upstream gradient, ``a, b`` the inputs, ``out`` the result.
GRADIENT_RULES = {
    "add": ["da = g", "db = g"],
    "sub": ["da = g", "db = -g"],
    "mul": ["da = g * b", "db = g * a"],
    "div": ["da = g / b", "db = -g * a / b^2"],
    "neg": ["da = -g"],
    "pow": ["da = g * b * a^(b-1)", "db = g * out * log(a)"],
    "exp": ["da = g * out"],
    "log": ["da = g / a"],
    "sqrt": ["da = g / (2 * out)"],
    "tanh": ["da = g * (1 - out^2)"],
    "sigmoid": ["da = g * out * (1 - out)"],
    "relu": ["da = g * (a > 0)"],
    "matmul": ["dA = g @ B^T", "dB = A^T @ g"],
    "sum": ["da = expand(g)"],
    "reshape": ["da = reshape(g, a.shape)"],
    "permute": ["da = permute(g, inverse)"],
    "expand": ["da = sum_to(g, a.shape)"],
    "sum_to": ["da = expand(g, a.shape)"],
    "getitem": ["da = scatter_add(zeros, key, g)"],
    # The duality of convolution: both gradients are cross-correlations again.
    "conv2d": [
        "dX = conv(dy, W) = xcorr(pad(dilate(dy)), flip(W))",
        "dW = xcorr(x, dy)",
        "db = sum(dy) over N, H, W",
    ],
}


def format_shape(shape: tuple[int, ...]) -> str:
    """``(6, 1, 5, 5)``; a 0-d tensor is ``()``."""
    return "(" + ", ".join(str(n) for n in shape) + (",)" if len(shape) == 1 else ")")


def tensor_description(shape: tuple[int, ...], dtype: Any, device: str | None) -> str:
    """``(6, 1, 5, 5) float32`` plus the device when it is not the CPU."""
    text = f"{format_shape(shape)} {dtype}"
    return text if device is None else f"{text} {device}"


def host_array(tensor: Any) -> Any:
    """The tensor's numbers on the host (for display only)."""
    return tensor.backend.to_numpy(tensor._array)  # a host copy, whatever the device


def format_number(value: float) -> str:
    """``2.0000`` as micrograd prints it; very large or small numbers in scientific notation."""
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        return f"{value:.3e}"
    return f"{value:.4f}"


def format_values(array: Any) -> str:
    """The numbers of a tiny array on one line: ``2.0000`` or ``[1.0000, -0.5000]``."""
    if array.size == 1:
        return format_number(float(array.reshape(())))
    return "[" + ", ".join(format_number(float(v)) for v in array.reshape(-1)) + "]"


def data_text(tensor: Any) -> str | None:
    """``data 2.0000`` for a tiny tensor; ``None`` for a big one (its shape says enough)."""
    if tensor.numel() > TINY:
        return None
    return "data " + format_values(host_array(tensor))


def grad_text(tensor: Any) -> str:
    """``grad -3.0000`` for a tiny tensor, ``grad norm 1.234e-02`` for a big one."""
    grad = tensor.grad
    if grad is None:
        return "grad None"
    array = host_array(grad)
    if array.size <= TINY:
        return "grad " + format_values(array)
    return "grad norm " + format_number(float((array.astype("float64") ** 2).sum() ** 0.5))


def _pair(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def index_text(key: Any) -> str:
    """An indexing key as Python writes it: ``[:, 0, 2:5]``; arrays show their shape."""
    parts = key if isinstance(key, tuple) else (key,)
    words = []
    for part in parts:
        if isinstance(part, slice):
            bounds = ["" if v is None else str(v) for v in (part.start, part.stop, part.step)]
            words.append(":".join(bounds[:2] if part.step is None else bounds))
        elif part is Ellipsis:
            words.append("...")
        elif hasattr(part, "shape") and getattr(part, "ndim", 0) > 0:
            words.append(f"<index {format_shape(tuple(part.shape))}>")
        else:
            words.append(repr(part))
    return "[" + ", ".join(words) + "]"


def conv2d_lines(attrs: dict, input_shapes: tuple, output_shapes: tuple) -> list[str]:
    """Kernel, stride, padding, dilation, groups and the output-size arithmetic of a conv2d.

    Input ``(N, C, H, W)``, weight ``(O, C/groups, kh, kw)``, output ``(N, O, Ho, Wo)`` with
    ``Ho = (H + 2*p - d*(k-1) - 1)/s + 1`` (floor division), shown with the actual numbers.
    """
    x_shape = input_shapes[0] if input_shapes else None
    w_shape = input_shapes[1] if len(input_shapes) > 1 else None
    stride, padding = _pair(attrs.get("stride", 1)), _pair(attrs.get("padding", 0))
    dilation, groups = _pair(attrs.get("dilation", 1)), attrs.get("groups", 1)
    lines = []
    if w_shape is not None and len(w_shape) == 4:
        kernel = (w_shape[2], w_shape[3])
        lines.append(f"kernel {kernel[0]}x{kernel[1]}, {w_shape[1] * groups} -> {w_shape[0]} channels")
    else:
        kernel = None
    lines.append(
        f"stride {stride[0]}x{stride[1]}, padding {padding[0]}x{padding[1]}, "
        f"dilation {dilation[0]}x{dilation[1]}, groups {groups}"
    )
    if kernel is None or x_shape is None or len(x_shape) != 4 or not output_shapes:
        return lines
    out_shape = output_shapes[0]
    if isinstance(padding[0], str):  # "same"/"valid": no per-axis arithmetic to show
        return lines
    for axis, letter in ((0, "H"), (1, "W")):
        size, k, s, p, d = x_shape[2 + axis], kernel[axis], stride[axis], padding[axis], dilation[axis]
        lines.append(
            f"{letter}: ({size} + 2*{p} - {d}*({k}-1) - 1)/{s} + 1 = {out_shape[2 + axis]}"
        )
    return lines


def attribute_lines(op: str, attrs: dict, input_shapes: tuple, output_shapes: tuple) -> list[str]:
    """One short line per attribute; conv2d gets its arithmetic instead."""
    if op == "conv2d":
        return conv2d_lines(attrs, input_shapes, output_shapes)
    if op == "matmul" and len(input_shapes) == 2 and None not in input_shapes:
        return [f"{format_shape(input_shapes[0])} @ {format_shape(input_shapes[1])}"]
    if op == "getitem" and "key" in attrs:
        return [_short(index_text(attrs["key"]), 60)]
    if not attrs:
        return []
    return [", ".join(f"{key}={_short(value)}" for key, value in attrs.items())]


def backward_name(op: str) -> str:
    """PyTorch-style name of a backward node: ``mul`` -> ``MulBackward``, ``conv2d`` ->
    ``Conv2dBackward``, a user Function ``pkg.mod.MyOp`` -> ``MyOpBackward``."""
    base = op.rsplit(".", 1)[-1]
    camel = "".join(part[:1].upper() + part[1:] for part in base.split("_"))
    return f"{camel}Backward"


def backward_lines(op: str, needs_input_grad: tuple = ()) -> list[str]:
    """The gradient rule of ``op`` for each input that needs a gradient (all when unknown)."""
    rules = GRADIENT_RULES.get(op, [])
    if len(needs_input_grad) != len(rules):
        return list(rules)
    return [rule for rule, needed in zip(rules, needs_input_grad) if needed]


def lines_to_label(lines: list[str], left: bool = False) -> str:
    """Join lines with DOT's centred (``\\n``) or left-aligned (``\\l``) line breaks."""
    if left:
        return lines[0] + "\\n" + "".join(line + "\\l" for line in lines[1:]) if len(lines) > 1 else lines[0]
    return "\\n".join(lines)


def record_escape(text: str) -> str:
    """Escape the characters that structure a DOT record label."""
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text
