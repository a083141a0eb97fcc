"""``optim.RAdam``: Adam with its early, high-variance steps rectified (Liu et al., 2019)."""

from __future__ import annotations

import math
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


class RAdam(Optimizer):
    """PyTorch's RAdam, step for step. Per parameter p with gradient g, at step t::

        g = -g if maximize;  weight decay as in Adam (L2, or decoupled: p *= 1 - lr * wd)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        rho_inf = 2 / (1 - beta2) - 1;  rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t)
        if rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                       p -= lr * m / (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
        else:          p -= lr * m / (1 - beta1^t)            (an SGD-with-momentum step)

    State: ``step``, ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper_parameters(betas, lr=lr, eps=eps)
        check_hyper_parameters(weight_decay=weight_decay)
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable,
            "decoupled_weight_decay": decoupled_weight_decay, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            state["step"] = step_counter(param)
            state["exp_avg"], state["exp_avg_sq"] = zeros_state(param), zeros_state(param)
        grad = gradient(param, group)
        step = count_step(state)
        exp_avg, exp_avg_sq = state["exp_avg"]._array, state["exp_avg_sq"]._array
        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        bias_correction2 = 1 - beta2**step
        corrected_exp_avg = exp_avg / (1 - beta1**step)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if rho_t > 5.0:
            rectification = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            adaptive_lr = math.sqrt(bias_correction2) / (param.backend.xp.sqrt(exp_avg_sq) + float(group["eps"]))
            param._array -= corrected_exp_avg * lr * adaptive_lr * rectification
        else:
            param._array -= corrected_exp_avg * lr
