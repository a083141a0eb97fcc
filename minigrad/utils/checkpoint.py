"""Activation checkpointing (``torch.utils.checkpoint``): trade compute for memory.

``checkpoint(fn, *args)`` runs ``fn`` without recording a graph, keeping only its inputs; when
backward reaches it, ``fn`` runs again with recording on (with the random state it first saw, so
dropout draws the same mask) and the gradients flow through that fresh graph. Gradients of the
parameters ``fn`` uses land in their ``.grad`` during that inner backward, as with PyTorch's
reentrant variant, so use ``loss.backward()`` (``autograd.grad`` would not see them). A module's
parameters are found; a plain function closing over parameters needs an input that requires
grad for its result to record.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minigrad.autograd.engine import backward as _backward
from minigrad.autograd.function import Function
from minigrad.autograd.grad_mode import enable_grad, no_grad

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """``function(*args, **kwargs)``, recomputed during backward instead of stored.

    ``use_reentrant`` is accepted for PyTorch's signature; both settings behave as described in
    the module docstring.
    """
    from minigrad.tensor import Tensor

    # A module's parameters go in as extra inputs, so the result records even when no input
    # requires grad (their gradients still arrive through the inner backward).
    parameters = [p for p in function.parameters() if p.requires_grad] if hasattr(function, "parameters") else []
    if not any(isinstance(a, Tensor) and a.requires_grad for a in args) and not parameters:
        with no_grad():
            return function(*args, **kwargs)
    return _Checkpoint.apply(function, preserve_rng_state, kwargs, len(args), *args, *parameters)


class _Checkpoint(Function):
    name = "checkpoint"

    @staticmethod
    def forward(ctx: Any, function: Callable, preserve_rng_state: bool, kwargs: dict, count: int, *args: Any) -> Any:
        from minigrad import get_rng_state

        args, ctx.extra = args[:count], len(args) - count
        ctx.run_function, ctx.kwargs, ctx.args = function, kwargs, args
        ctx.rng_state = get_rng_state() if preserve_rng_state else None
        output = function(*args, **kwargs)  # Function.apply runs forward without recording
        ctx.single = not isinstance(output, tuple)
        return output

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> Any:
        from minigrad import get_rng_state, set_rng_state
        from minigrad.tensor import Tensor

        inputs = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a for a in ctx.args]
        saved_state = get_rng_state()
        if ctx.rng_state is not None:
            set_rng_state(ctx.rng_state)
        try:
            with enable_grad():
                outputs = ctx.run_function(*inputs, **ctx.kwargs)
        finally:
            set_rng_state(saved_state)
        outputs = (outputs,) if ctx.single else tuple(outputs)
        pairs = [(o, g) for o, g in zip(outputs, grads) if isinstance(o, Tensor) and o.requires_grad and g is not None]
        if pairs:
            _backward([o for o, _ in pairs], [g for _, g in pairs])
        input_grads = tuple(a.grad if isinstance(a, Tensor) and a.requires_grad else None for a in inputs)
        return (None, None, None, None, *input_grads, *(None,) * ctx.extra)


def checkpoint_sequential(functions: Any, segments: int, input: Any, use_reentrant: bool | None = None,  # noqa: A002
                          **kwargs: Any) -> Any:
    """Run a ``Sequential`` (or a list of modules) in ``segments`` checkpointed pieces; the last
    piece runs normally, as in PyTorch."""
    from minigrad.nn import Sequential

    modules = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(len(modules) // segments, 1)
    end = 0
    for start in range(0, size * (segments - 1), size):
        end = start + size
        # A Sequential of the segment: checkpoint finds its parameters (see checkpoint)
        input = checkpoint(Sequential(*modules[start:end]), input, use_reentrant=use_reentrant, **kwargs)  # noqa: A001
    return Sequential(*modules[end:])(input)
