"""Finite-difference gradient checks (PyTorch's ``torch.autograd.gradcheck``)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from minigrad.autograd.engine import grad as autograd_grad
from minigrad.autograd.grad_mode import no_grad


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
    for out_index, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        flat = out.numel()
        for k in range(flat):
            seed = out.new_zeros(out.shape)
            seed.data.reshape(-1)[k] = 1.0
            analytical = autograd_grad(out, differentiable, seed, retain_graph=True, allow_unused=True)
            for position, (t, a) in enumerate(zip(differentiable, analytical)):
                numerical = _numerical_row(fn, inputs, t, out_index, k, eps)
                a_data = t.backend.xp.zeros(t.shape, dtype=t.dtype) if a is None else a.data
                xp = t.backend.xp
                if not xp.allclose(a_data, numerical, atol=atol, rtol=rtol):
                    worst = float(xp.abs(a_data - numerical).max())
                    message = (
                        f"gradcheck failed for input {position} (shape {t.shape}) at output "
                        f"{out_index} element {k}: max difference {worst:.3g}\n"
                        f"analytical: {a_data.ravel()[:8]}\nnumerical:  {numerical.ravel()[:8]}"
                    )
                    if raise_exception:
                        raise GradcheckError(message)
                    return False
    return True


def _numerical_row(fn, inputs, tensor, out_index, k, eps):
    """d out.flat[k] / d tensor by central differences, perturbing ``tensor`` in place."""
    xp = tensor.backend.xp
    result = xp.zeros(tensor.shape, dtype=tensor.dtype)
    flat = tensor.data.reshape(-1)
    target = result.reshape(-1)
    with no_grad():
        for i in range(flat.size):
            original = flat[i].item()
            flat[i] = original + eps
            plus = _as_tuple(fn(*inputs))[out_index].data.reshape(-1)[k].item()
            flat[i] = original - eps
            minus = _as_tuple(fn(*inputs))[out_index].data.reshape(-1)[k].item()
            flat[i] = original
            target[i] = (plus - minus) / (2 * eps)
    return result


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
