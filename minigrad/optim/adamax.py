"""``optim.Adamax``: Adam with the infinity norm in place of the second moment."""

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


class Adamax(Optimizer):
    """PyTorch's Adamax (Kingma & Ba, section 7), step for step. Per parameter p, at step t::

        g = -g if maximize;  g += weight_decay * p
        m = lerp(m, g, 1 - beta1);  u = max(beta2 * u, |g| + eps)
        p -= lr / (1 - beta1^t) * m / u

    State: ``step``, ``exp_avg`` (m) and ``exp_inf`` (u).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_hyper_parameters(betas, lr=lr, eps=eps)
        check_hyper_parameters(weight_decay=weight_decay)
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _update(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state["step"] = step_counter(param)
            state["exp_avg"], state["exp_inf"] = zeros_state(param), zeros_state(param)
        grad = gradient(param, group)
        step = count_step(state)
        exp_avg, exp_inf = state["exp_avg"]._array, state["exp_inf"]._array
        lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        xp = param.backend.xp
        xp.maximum(exp_inf, xp.abs(grad) + float(group["eps"]), out=exp_inf)
        param._array -= float(group["lr"]) / (1 - beta1**step) * (exp_avg / exp_inf)
