"""``optim.RMSprop``: divide the gradient by a running root mean square (Hinton's lecture 6e)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigrad.optim.optimizer import (
    Optimizer,
    check_hyper_parameters,
    count_step,
    gradient,
    lerp_,
    step_counter,
    zeros_state,
)
from minigrad.tensor import Tensor


class RMSprop(Optimizer):
    """PyTorch's RMSprop, step for step. Per parameter p with gradient g::

        g = -g if maximize;  g += weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        a = sqrt(v - m * m) + eps,  m = lerp(m, g, 1 - alpha)   (centered)
        a = sqrt(v) + eps                                       (otherwise)
        b = momentum * b + g / a;  p -= lr * b                  (momentum > 0)
        p -= lr * g / a                                         (otherwise)

    State: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b), ``grad_avg`` (m).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper_parameters(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = {
            "lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay, "momentum": momentum,
            "centered": centered, "capturable": capturable, "foreach": foreach, "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, alpha, eps, momentum = (float(group[key]) for key in ("lr", "alpha", "eps", "momentum"))
        if not state:
            state["step"] = step_counter(param)
            state["square_avg"] = zeros_state(param)
            if momentum > 0:
                state["momentum_buffer"] = zeros_state(param)
            if group["centered"]:
                state["grad_avg"] = zeros_state(param)
        grad = gradient(param, group)
        count_step(state)
        square_avg = state["square_avg"]._array
        square_avg *= alpha
        square_avg += (1 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]._array
            lerp_(grad_avg, grad, 1 - alpha)
            average = param.backend.xp.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            average = param.backend.xp.sqrt(square_avg) + eps
        if momentum > 0:
            buffer = state["momentum_buffer"]._array
            buffer *= momentum
            buffer += grad / average
            param._array -= lr * buffer
        else:
            param._array -= lr * (grad / average)
