"""Finite-difference gradient checks (PyTorch's ``torch.autograd.gradcheck``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minigrad.autograd.engine import grad as autograd_grad
from minigrad.autograd.grad_mode import enable_grad, no_grad


class GradcheckError(AssertionError):
    """Analytical and numerical gradients disagree; the message says where and by how much."""


def gradcheck(
    fn: Callable[..., Any],
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Compare ``fn``'s gradients with central differences, for every input requiring grad.

    Inputs should be float64: in float32 the differences are dominated by rounding. Each
    output element is checked (a full Jacobian), so keep the tensors small.
    """
    from minigrad.tensor import Tensor

    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and t.dtype.name != "float64":
            raise ValueError(
                f"gradcheck needs float64 inputs for reliable differences, got {t.dtype}: use .double()"
            )
    differentiable = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outputs = _as_tuple(fn(*inputs))
    # The numerical Jacobian costs 2 evaluations per input element, once for all outputs.
    numerical = [_numerical_jacobian(fn, inputs, t, outputs, eps) for t in differentiable]
    for out_index, out in enumerate(outputs):
        if out.dtype.kind not in "fc":
            continue  # integer outputs (indices) have no gradient
        for k in range(out.numel()):
            if out.requires_grad:
                seed = out.new_zeros(out.shape)
                seed._array.reshape(-1)[k] = 1.0
                analytical = autograd_grad(out, differentiable, seed, retain_graph=True, allow_unused=True)
            else:
                # Not connected to the graph: the analytical gradient is zero, and the numerical
                # one must be too (this is what catches a backward that breaks the graph).
                analytical = (None,) * len(differentiable)
            for position, (t, a) in enumerate(zip(differentiable, analytical)):
                xp = t.backend.xp
                expected = numerical[position][out_index][k]
                a_data = xp.zeros(t.shape, dtype=t.dtype) if a is None else a._array
                if not xp.allclose(a_data, expected, atol=atol, rtol=rtol):
                    worst = float(xp.abs(a_data - expected).max())
                    message = (
                        f"gradcheck failed for input {position} (shape {t.shape}) at output "
                        f"{out_index} element {k}: max difference {worst:.3g}\n"
                        f"analytical: {a_data.ravel()[:8]}\nnumerical:  {expected.ravel()[:8]}"
                    )
                    if raise_exception:
                        raise GradcheckError(message)
                    return False
    return True


def _numerical_jacobian(fn, inputs, tensor, outputs, eps):
    """Per output, the array ``J[k] = d out.flat[k] / d tensor`` by central differences.

    ``tensor`` is perturbed in place through a multi-index, so non-contiguous data works too.
    """
    xp = tensor.backend.xp
    columns = []
    with no_grad():
        for i in range(tensor.numel()):
            position = _unravel(i, tensor.shape)
            original = tensor._array[position].item()
            tensor._array[position] = original + eps
            plus = [o._array.astype("float64").reshape(-1) for o in _as_tuple(fn(*inputs))]
            tensor._array[position] = original - eps
            minus = [o._array.astype("float64").reshape(-1) for o in _as_tuple(fn(*inputs))]
            tensor._array[position] = original
            columns.append([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
    result = []
    for out_index, out in enumerate(outputs):
        if columns:
            jacobian = xp.stack([column[out_index] for column in columns], axis=1)
        else:
            jacobian = xp.zeros((out.numel(), 0))
        result.append(jacobian.reshape((out.numel(),) + tuple(tensor.shape)).astype(tensor.dtype))
    return result


def _unravel(flat_index, shape):
    position = []
    for n in reversed(shape):
        flat_index, rest = divmod(flat_index, n)
        position.append(rest)
    return tuple(reversed(position))


def gradgradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> bool:
    """Check second derivatives: gradcheck the first gradients (built with create_graph)."""
    from minigrad.tensor import Tensor

    inputs = tuple(inputs)
    differentiable = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]

    def first_gradients(*args):
        # Needs a graph even when called by the numerical pass, which runs under no_grad.
        with enable_grad():
            return _first_gradients(*args)

    def _first_gradients(*args):
        outputs = _as_tuple(fn(*args))
        total = sum((o * _fixed_weights(o)).sum() for o in outputs if o.requires_grad)
        params = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
        grads = autograd_grad(total, params, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else p.new_zeros(p.shape) for g, p in zip(grads, params))

    if not differentiable:
        return True
    return gradcheck(first_gradients, inputs, eps=eps, atol=atol, rtol=rtol)


def _fixed_weights(out):
    """Deterministic non-uniform weights so second derivatives are not hidden by symmetry."""
    xp = out.backend.xp
    from minigrad.tensor import Tensor

    weights = xp.sin(xp.arange(1, out.numel() + 1, dtype=out.dtype)).reshape(out.shape) + 1.5
    return Tensor._make(weights, out.backend)


def _as_tuple(value):
    return value if isinstance(value, tuple) else (value,)
