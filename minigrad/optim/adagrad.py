"""``optim.Adagrad``: per-coordinate steps shrinking with the sum of squared gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from minigrad.optim.optimizer import (
    Optimizer,
    check_fused,
    check_hyper_parameters,
    count_step,
    gradient,
    step_counter,
    zeros_state,
)
from minigrad.tensor import Tensor


class Adagrad(Optimizer):
    """PyTorch's Adagrad, step for step. Per parameter p with gradient g, at step t::

        g = -g if maximize;  g += weight_decay * p
        s += g * g
        p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    State: ``step`` and ``sum`` (s, starting at ``initial_accumulator_value``). As in PyTorch
    the state of every parameter given here is made at construction, before any step.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        check_hyper_parameters(
            lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value, eps=eps,
        )
        defaults = {
            "lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
            "maximize": maximize, "differentiable": differentiable, "fused": fused,
        }
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)
        for group in self.param_groups:
            for param in group["params"]:
                self._init_state(param, group, self.state[param])

    @staticmethod
    def _init_state(param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        state["step"] = step_counter(param)
        state["sum"] = zeros_state(param, float(group["initial_accumulator_value"]))

    def _update(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        if not state:  # a group added by add_param_group after construction
            self._init_state(param, group, state)
        grad = gradient(param, group)
        step = count_step(state)
        total = state["sum"]._array
        total += grad * grad
        decayed_lr = float(group["lr"]) / (1 + (step - 1) * float(group["lr_decay"]))
        param._array -= decayed_lr * (grad / (param.backend.xp.sqrt(total) + float(group["eps"])))
