"""``optim.SGD``: stochastic gradient descent with momentum, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from minigrad.autograd.grad_mode import no_grad
from minigrad.optim.optimizer import Optimizer
from minigrad.tensor import Tensor


class SGD(Optimizer):
    """PyTorch's SGD, step for step. Per parameter, with g its gradient::

        g = -g if maximize;  g += weight_decay * p
        if momentum:  b = g (first step) or momentum * b + (1 - dampening) * g
                      g = g + momentum * b if nesterov else b
        p -= lr * g

    The momentum buffer ``b`` is ``state[p]["momentum_buffer"]``.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
            "nesterov": nesterov, "maximize": maximize,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                lr, momentum = float(group["lr"]), float(group["momentum"])
                dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
                for param in group["params"]:
                    if param.grad is None:
                        continue
                    grad = param.grad._array  # read only: it may be shared with other tensors
                    if group["maximize"]:
                        grad = -grad
                    if weight_decay != 0:
                        grad = grad + weight_decay * param._array
                    if momentum != 0:
                        state = self.state[param]
                        buffer = state.get("momentum_buffer")
                        if buffer is None:
                            buffer = Tensor._make(grad.astype(param.dtype, copy=True), param.backend)
                            state["momentum_buffer"] = buffer
                        else:
                            buffer._array *= momentum
                            # In place, without a scaled temporary in the usual dampening=0 case.
                            buffer._array += grad if dampening == 0 else (1 - dampening) * grad
                        grad = grad + momentum * buffer._array if group["nesterov"] else buffer._array
                    param._array -= lr * grad
                    param._mark_modified()  # a backward that saved this parameter must see the step
        return loss
