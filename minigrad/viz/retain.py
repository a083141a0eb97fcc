"""``retain_grads()``: keep every intermediate result, so pictures can show its data and grad.

The graph records shapes, not values: once a line like ``e = a * b`` is done, ``e``'s numbers
live only in the Tensor object the user holds. micrograd-style pictures want them, and after
backward they want ``e.grad`` too. You can call ``e.retain_grad()`` on the tensors you care
about, or compute inside ``with retain_grads():``, which does that for every op's result.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from minigrad.autograd.function import Function
from minigrad.tensor import Tensor


@contextlib.contextmanager
def retain_grads() -> Iterator[None]:
    """Inside this block every recorded result keeps its value and, after backward, its
    gradient (as if ``t.retain_grad()`` were called on each), so ``draw_graph(...,
    values=True, grads=True)`` can show them on every node. The Python numbers an op was given
    (the ``1`` in ``1 - y``) are remembered too, so their nodes show their values.

    Example::

        with minigrad.viz.retain_grads():
            d = a * b + c
        d.backward()
        minigrad.viz.draw_graph(d, values=True, grads=True)

    It costs memory (every intermediate stays alive with its graph): use it for teaching-sized
    graphs, not for training.
    """
    original = Function.__dict__["apply"]

    def apply(cls: type[Function], *args: Any, **attrs: Any) -> Any:
        result = original.__func__(cls, *args, **attrs)
        numbers = {i: a for i, a in enumerate(args) if isinstance(a, (int, float)) and not isinstance(a, Tensor)}
        for output in result if isinstance(result, tuple) else (result,):
            if isinstance(output, Tensor) and output.grad_fn is not None:
                output.retain_grad()
                if numbers:  # the pictures draw Python numbers as nodes, with their values
                    output.grad_fn.constants = numbers
        return result

    # Scoped on purpose: the wrapper exists only inside the block, so normal runs pay nothing.
    Function.apply = classmethod(apply)
    try:
        yield
    finally:
        Function.apply = original
