"""``optim.NAdam``: Adam with Nesterov momentum (Dozat, 2016)."""

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


class NAdam(Optimizer):
    """PyTorch's NAdam, step for step. Per parameter p with gradient g, at step t::

        g = -g if maximize;  weight decay as in Adam (L2, or decoupled: p *= 1 - lr * wd)
        mu_t = beta1 * (1 - 0.96^(t * momentum_decay) / 2);  P = P * mu_t   (P: mu_product)
        m = lerp(m, g, 1 - beta1);  v = beta2 * v + (1 - beta2) * g * g
        d = sqrt(v / (1 - beta2^t)) + eps
        p -= lr * (1 - mu_t) / (1 - P) * g / d + lr * mu_{t+1} / (1 - P * mu_{t+1}) * m / d

    State: ``step``, ``mu_product`` (P), ``exp_avg`` (m), ``exp_avg_sq`` (v).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
    ) -> None:
        check_hyper_parameters(betas, lr=lr, eps=eps)
        check_hyper_parameters(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = {
            "lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
            "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize, "foreach": foreach, "capturable": capturable, "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, momentum_decay = float(group["lr"]), float(group["momentum_decay"])
        beta1, beta2 = (float(b) for b in group["betas"])
        if not state:
            # PyTorch keeps the running product in a float32 CPU tensor, even for float64
            # parameters (until a load_state_dict casts it): we do too, to follow its values.
            state["step"], state["mu_product"] = step_counter(param), step_counter(param, 1.0)
            state["exp_avg"], state["exp_avg_sq"] = zeros_state(param), zeros_state(param)
        grad = gradient(param, group)
        step = count_step(state)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
        mu_product = state["mu_product"]._array
        mu_product *= mu_product.dtype.type(mu)  # in its own precision (NumPy 1.x would round in float64)
        exp_avg, exp_avg_sq = state["exp_avg"]._array, state["exp_avg_sq"]._array
        lerp_(exp_avg, grad, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * (grad * grad)
        denominator = param.backend.xp.sqrt(exp_avg_sq / (1 - beta2**step)) + float(group["eps"])
        product = float(mu_product)
        param._array -= lr * (1.0 - mu) / (1.0 - product) * (grad / denominator)
        param._array -= lr * mu_next / (1.0 - product * mu_next) * (exp_avg / denominator)
