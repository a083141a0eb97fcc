"""The text inside the boxes: op names and attributes, shapes, values and gradients.

Everything here returns plain strings with DOT line breaks: ``\\n`` (centred line) and ``\\l``
(left-aligned line). ``render.py`` decides shapes and colours; this file only decides words.
"""

from __future__ import annotations

from typing import Any

from minigrad.viz import names

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
    # The duality of convolution: both gradients are cross-correlations again (the backward
    # node writes them out with the layer's own amounts: see conv2d_backward_lines).
    "conv2d": [
        "dX = conv(dy, W) = xcorr(pad(dilate(dy)), flip(W))",
        "dW = xcorr(x, dy)",
        "db = sum(dy) over N, H, W",
    ],
    "unfold": ["dx = fold(g): each column added back onto its window"],
    "fold": ["dcolumns = unfold(g)"],
    "max_pool2d": ["da = g at each window's maximum, 0 elsewhere"],
    "constant_pad": ["da = g with the padding cropped off"],
    "cast": ["da = cast(g, a.dtype)"],
    "where": ["", "da = where(c, g, 0)", "db = where(c, 0, g)"],
    "clamp": ["da = g * (min <= a <= max)"],
    "abs": ["da = g * sign(a)"],
    "cat": ["da_i = g sliced back to a_i"],
    "diagonal": ["da = zeros with g on the diagonal"],
    "unfold_dim": ["da = scatter_add of each window's g onto its positions"],
    "scatter_prod": ["da = g * (product of the cell's other factors)", "dsrc = g[index] * (product of the others)"],
}

#: Rules of whole leaf-module calls drawn as one op (``draw_model``): not per input.
MODULE_RULES = {
    "avg_pool2d": ["dx = g / (kh * kw), spread over each window"],
    "adaptive_avg_pool2d": ["dx = g / (cells in its window), spread over each window"],
    "linear": ["dx = g @ W", "dW = g^T @ x", "db = g summed over the batch"],
    "flatten": ["dx = reshape(g, x.shape)"],
    "unflatten": ["dx = reshape(g, x.shape)"],
    "batch_norm": ["dx, dgamma, dbeta through the batch statistics"],
    "softmax": ["dx = out * (g - sum(g * out))"],
    "log_softmax": ["dx = g - softmax(x) * sum(g)"],
    "cross_entropy": ["dlogits = (softmax(logits) - onehot(target)) / N"],
    "mse_loss": ["dx = 2 (x - target) / N"],
}

#: PyTorch's node names for whole leaf-module calls drawn as one op (checked against PyTorch).
MODULE_BACKWARD_NAMES = {
    "AvgPool2d": "AvgPool2DBackward0", "AdaptiveAvgPool2d": "AdaptiveAvgPool2DBackward0",
    "Linear": "AddmmBackward0", "Flatten": "ViewBackward0", "Unflatten": "ViewBackward0",
    "BatchNorm1d": "NativeBatchNormBackward0", "BatchNorm2d": "NativeBatchNormBackward0",
    "Softmax": "SoftmaxBackward0", "LogSoftmax": "LogSoftmaxBackward0",
    "CrossEntropyLoss": "NllLossBackward0", "NLLLoss": "NllLossBackward0", "MSELoss": "MseLossBackward0",
    "LeakyReLU": "LeakyReluBackward0", "Dropout": "MulBackward0", "MaxPool2d": "MaxPool2DWithIndicesBackward0",
    "ConvTranspose1d": "ConvolutionBackward0", "ConvTranspose2d": "ConvolutionBackward0",
    "ConvTranspose3d": "ConvolutionBackward0",
    "Conv3d": "ConvolutionBackward0", "PixelShuffle": "PixelShuffleBackward0",
    "PixelUnshuffle": "PixelUnshuffleBackward0", "AdaptiveMaxPool2d": "AdaptiveMaxPool2DBackward0",
    "MaxPool3d": "MaxPool3DWithIndicesBackward0", "AvgPool3d": "AvgPool3DBackward0",
    "MaxPool1d": "SqueezeBackward1", "AvgPool1d": "SqueezeBackward1", "AdaptiveMaxPool1d": "SqueezeBackward1",
    "AdaptiveAvgPool1d": "SqueezeBackward1", "ZeroPad2d": "ConstantPadNdBackward0",
    "ConstantPad2d": "ConstantPadNdBackward0", "ReflectionPad2d": "ReflectionPad2DBackward0",
    "ReplicationPad2d": "ReplicationPad2DBackward0", "UpsamplingNearest2d": "UpsampleNearest2DBackward0",
    "UpsamplingBilinear2d": "UpsampleBilinear2DBackward0",
}

#: Which gradient each backward edge of these ops carries, by input position.
GRADIENT_EDGE_NAMES = {"conv2d": ["dL/dx", "dL/dW", "dL/db"]}


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
    text = value if isinstance(value, str) else repr(value)
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
    if "computed_as" in attrs:  # a leaf-module call drawn as one op
        return [f"({attrs['computed_as']})"]
    if op == "conv2d":
        return conv2d_lines(attrs, input_shapes, output_shapes)
    if op == "matmul" and len(input_shapes) == 2 and None not in input_shapes:
        return [f"{format_shape(input_shapes[0])} @ {format_shape(input_shapes[1])}"]
    if op == "getitem" and "key" in attrs:
        return [_short(index_text(attrs["key"]), 60)]
    if not attrs:
        return []
    return [", ".join(f"{key}={_short(value)}" for key, value in attrs.items())]


def backward_name(op: str, attrs: dict | None = None, input_shapes: tuple = (),
                  constants: tuple[int, ...] = (), module: str | None = None) -> str:
    """PyTorch's name of a backward node: ``mul`` -> ``MulBackward0``, ``conv2d`` ->
    ``ConvolutionBackward0``, ``sum(dim=1)`` -> ``SumBackward1``, a user Function
    ``pkg.mod.MyOp`` -> ``MyOpBackward`` (see :mod:`minigrad.viz.names`). ``module``: the class
    of a leaf-module call drawn as one op (``AvgPool2d`` -> ``AvgPool2DBackward0``)."""
    if module is not None:
        return MODULE_BACKWARD_NAMES.get(module, f"{module}Backward0")
    return names.backward_name(op, attrs, input_shapes, constants)


def conv2d_backward_lines(attrs: dict, input_shapes: tuple, output_shapes: tuple,
                          needs_input_grad: tuple = (True, True, True)) -> list[str]:
    """The duality rules of one conv2d, written with its own amounts.

    ``dL/dx`` is the upstream gradient dilated by the stride, padded by ``d(k-1) - p``,
    cross-correlated with the kernel flipped 180 degrees with its channels swapped; ``dL/dW``
    the cross-correlation of the input with the upstream gradient (stride and dilation swap
    roles); ``dL/db`` its sum. Falls back to the general rules when shapes are missing.
    """
    shapes_known = (
        len(input_shapes) >= 2 and input_shapes[0] is not None and input_shapes[1] is not None
        and len(input_shapes[0]) == 4 and len(input_shapes[1]) == 4 and output_shapes
    )
    if not shapes_known:
        return backward_lines("conv2d", needs_input_grad)
    (n, _, h, w), (o, c_g, kh, kw) = input_shapes[0], input_shapes[1]
    ho, wo = output_shapes[0][2], output_shapes[0][3]
    stride, padding = _pair(attrs.get("stride", 1)), _pair(attrs.get("padding", 0))
    dilation, groups = _pair(attrs.get("dilation", 1)), attrs.get("groups", 1)
    needs = tuple(needs_input_grad) + (True,) * (3 - len(needs_input_grad))
    lines = []
    if needs[0]:
        lines.append("dL/dx = xcorr(pad(dilate(dL/dy)), flip(W) with channels swapped):")
        if stride == (1, 1):
            lines.append("  dilate by the stride 1x1: nothing to insert")
        else:
            lines.append(f"  dilate by the stride {stride[0]}x{stride[1]}: insert {stride[0] - 1} zero rows "
                         f"and {stride[1] - 1} zero columns between neighbours")
        for letter, size, out, k, s, p, d in (("H", h, ho, kh, stride[0], padding[0], dilation[0]),
                                               ("W", w, wo, kw, stride[1], padding[1], dilation[1])):
            before = d * (k - 1) - p
            after = size + d * (k - 1) - (s * (out - 1) + 1) - before
            verb = "pad" if before >= 0 else "crop"
            text = f"  {letter}: {verb} by d(k-1)-p = {d}*({k}-1)-{p} = {abs(before)}"
            if after != before:
                text += f", {'+' if after >= 0 else '-'}{abs(after)} at the end (rows the stride skipped)"
            lines.append(text)
        swap = f"({o}, {c_g}, {kh}, {kw}) -> ({c_g * groups}, {o // groups}, {kh}, {kw})"
        per_group = f" within each of {groups} groups" if groups > 1 else ""
        lines.append(f"  flip W 180 degrees, swap in/out channels{per_group}: {swap}")
        if dilation != (1, 1):
            lines.append(f"  cross-correlate with stride 1x1, dilation {dilation[0]}x{dilation[1]}")
    if needs[1]:
        lines.append(f"dL/dW = xcorr(x, dL/dy), batch as channels: stride {stride[0]}x{stride[1]} "
                     f"-> dilation, dilation {dilation[0]}x{dilation[1]} -> stride")
    if len(input_shapes) > 2 and input_shapes[2] is not None and needs[2]:
        lines.append(f"dL/db = dL/dy summed over N, Ho, Wo ({n} x {ho} x {wo} values per channel)")
    return lines


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


def html_escape(text: str) -> str:
    """Escape text for a Graphviz HTML-like label."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def grid_shape(shape: tuple[int, ...], limit: int) -> tuple[int, int] | None:
    """(rows, columns) when ``shape`` without its size-1 axes is a matrix of at most ``limit``
    x ``limit`` (a 3x3 kernel stored as (1, 1, 3, 3)); ``None`` otherwise (numbers and vectors
    are written on one line)."""
    core = [n for n in shape if n != 1]
    if limit < 1 or len(core) != 2 or any(n > limit for n in core):
        return None
    return core[0], core[1]


def format_cell(value: float, integral: bool) -> str:
    """A grid cell: ``9`` for integral grids, else four significant digits (``-0.1234``)."""
    if integral:
        return str(int(value))
    return f"{value:.4g}" if value != 0 else "0"


def grid_html(array: Any, rows: int, columns: int, caption: str) -> str:
    """An HTML table of a small array's numbers, ``caption`` above it."""
    values = [float(v) for v in array.reshape(-1)]
    integral = all(v == int(v) and abs(v) < 1e6 for v in values if v == v)
    cells = []
    for r in range(rows):
        row = "".join(
            f'<TD BORDER="1" BGCOLOR="#ffffff">{html_escape(format_cell(values[r * columns + c], integral))}</TD>'
            for c in range(columns)
        )
        cells.append(f"<TR>{row}</TR>")
    table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2">{"".join(cells)}</TABLE>'
    return f'<TR><TD BORDER="0">{html_escape(caption)}</TD></TR><TR><TD BORDER="0">{table}</TD></TR>'


def html_label(lines: list[str], grids: list[str]) -> str:
    """A Graphviz HTML-like label: text lines, then the grids made by :func:`grid_html`."""
    rows = "".join(f'<TR><TD BORDER="0">{html_escape(line)}</TD></TR>' for line in lines)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="1">{rows}{"".join(grids)}</TABLE>>'


def constant_text(value: Any) -> str:
    """A Python number as Python prints it: ``1``, ``1.0``, ``0.5``, ``True``."""
    return repr(value)
