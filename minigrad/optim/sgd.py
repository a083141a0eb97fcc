"""``optim.SGD``: stochastic gradient descent with momentum, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigrad.optim.optimizer import Optimizer, check_fused, check_hyper_parameters, gradient
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
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_hyper_parameters(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
            "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
            "differentiable": differentiable, "fused": fused,
        }
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    def _update(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        momentum, dampening = float(group["momentum"]), float(group["dampening"])
        grad = gradient(param, group)
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = Tensor._make(grad.astype(param.dtype, copy=True), param.backend)
                state["momentum_buffer"] = buffer
            elif dampening == 0 and not group["nesterov"] and param.backend.kernels.momentum_step(
                    param.backend, param._array, grad, buffer._array, float(group["lr"]), momentum):
                return  # the four steps below in one pass (the same bits), by the backend's kernel
            else:
                buffer._array *= momentum
                # In place, without a scaled temporary in the usual dampening=0 case.
                buffer._array += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * buffer._array if group["nesterov"] else buffer._array
        param._array -= float(group["lr"]) * grad
