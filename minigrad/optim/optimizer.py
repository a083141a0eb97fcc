"""``optim.Optimizer``: parameter groups, per-parameter state, and checkpoints of both.

Subclasses implement ``_update(param, group, state)``, called by ``step`` under ``no_grad``
for every parameter with a gradient. Updates run on raw arrays through each parameter's
backend (``p._array``, ``p.grad._array``, ``p.backend.xp``), write into ``p._array`` in place
(``step`` then bumps the parameter's version counter), and never write into ``p.grad``'s
array: a user may hold it, or share one gradient between tensors.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from minigrad.autograd.grad_mode import enable_grad, no_grad
from minigrad.tensor import Tensor


class _RequiredParameter:
    """Marks a hyper-parameter with no default (it must be given per group or globally)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of optimizers (``torch.optim.Optimizer``).

    ``params`` is an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
    groups, each with ``"params"`` and optional per-group hyper-parameters that override
    ``defaults``).
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        # Keyed by the parameter itself; a defaultdict as in PyTorch, so state[p] can be read.
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a Tensor: wrap it in a list, e.g. [tensor]"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs. Please use a list instead."
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}"
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    text += f"\n    {key}: {group[key]}"
        return text + "\n)"

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (e.g. a layer to fine-tune with its own ``lr``)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the ordering "
                "of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        names = None
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            names = [name for name, _ in params]  # model.named_parameters() was passed
            params = [p for _, p in params]
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is {type(param).__name__}"
                )
            if not param.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        if names is not None:
            group["param_names"] = names
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(
                    f"parameter group didn't specify a value of required optimization parameter {name}"
                )
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters; pass each once")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to ``None`` (default) or to zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    grad = param.grad  # a new zero array: the old one may be shared
                    param.grad = Tensor._make(grad.backend.xp.zeros_like(grad._array), grad.backend)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a ``.grad`` once; returns ``closure()``'s loss
        (``closure`` re-evaluates the model, for optimizers that need it)."""
        loss = self._evaluate(closure)
        with no_grad():
            for group in self.param_groups:
                for param in group["params"]:
                    if param.grad is not None:
                        self._update(param, group, self.state[param])
                        param._mark_modified()  # a backward that saved this parameter must see the step
        return loss

    def _update(self, param: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        """One parameter's update, in place on ``param._array`` (each optimizer writes it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement step() or _update()")

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # --- checkpoints -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Parameters are numbered in group order, as PyTorch does; the structure holds only
        tensors, numbers, strings, lists and dicts, so ``minigrad.save`` can write it.
        """
        index_of: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                index_of.setdefault(id(param), len(index_of))
            packed["params"] = [index_of[id(param)] for param in group["params"]]
            groups.append(packed)
        state = {
            index_of[id(param)]: dict(values)
            for param, values in self.state.items()
            if id(param) in index_of and values
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict` (tensors are copied
        to each parameter's device, floating ones to its dtype)."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has a different number of parameter groups ({len(saved_groups)}) "
                f"than the optimizer ({len(self.param_groups)})"
            )
        for position, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict contains a parameter group that doesn't match the size of "
                    f"optimizer's group: group {position} has {len(saved['params'])} parameters in the "
                    f"checkpoint and {len(group['params'])} here"
                )
        param_of = {}
        for group, saved in zip(self.param_groups, saved_groups):
            for index, param in zip(saved["params"], group["params"]):
                param_of[index] = param
        self.state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            # Keys are ints, or strings when the dict went through a format with string keys.
            param = param_of.get(int(index)) if isinstance(index, (int, str)) else None
            if param is None:
                continue
            self.state[param] = {key: _to_param(value, param, key) for key, value in values.items()}
        for position, saved in enumerate(saved_groups):
            restored = {key: value for key, value in saved.items() if key != "params"}
            restored["params"] = self.param_groups[position]["params"]
            for key, default in self.defaults.items():  # a checkpoint from before an option existed
                restored.setdefault(key, default)
            self.param_groups[position] = restored


def _to_param(value: Any, param: Tensor, key: str) -> Any:
    """A copy of a saved state value on the parameter's device and, if floating and not
    ``step``, in its dtype (PyTorch's rule: so NAdam's ``mu_product`` becomes float64 for a
    float64 parameter after a load). A number ``step`` (checkpoints from before steps were
    tensors) becomes a tensor, as PyTorch's ``__setstate__`` does."""
    if key == "step" and isinstance(value, (int, float)):
        return step_counter(param, float(value))
    if not isinstance(value, Tensor):
        return value
    # The step count (and NAdam's mu_product) stay on the CPU, as in PyTorch (see step_counter).
    moved = value.detach().to("cpu" if key in ("step", "mu_product") else param.device)
    if moved.dtype.kind == "f" and key != "step":
        moved = moved.to(param.dtype)
    copied = moved._array.copy() if moved._array is value._array else moved._array
    return Tensor._make(copied, moved.backend)


# --- helpers the optimizers share ----------------------------------------------------------


def check_hyper_parameters(betas: tuple[float, float] | None = None, **values: float) -> None:
    """PyTorch's checks and messages: each value >= 0 (``Invalid learning rate: -1``), each
    beta in [0, 1)."""
    for name, value in values.items():
        if not 0.0 <= value:
            label = {"lr": "learning rate", "eps": "epsilon value"}.get(name, f"{name} value")
            raise ValueError(f"Invalid {label}: {value}")
    for index, beta in enumerate(betas or ()):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def check_fused(fused: bool | None, foreach: bool | None, differentiable: bool) -> None:
    """``fused`` (like ``foreach``) selects a PyTorch kernel; here every step is the same
    array code, so both are accepted and change nothing, but bad combinations raise as in
    PyTorch."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def gradient(param: Tensor, group: dict[str, Any]) -> Any:
    """The array to step along: the gradient, negated if ``maximize``, plus the L2 penalty
    ``weight_decay * p``; or, with ``decoupled_weight_decay``, ``p *= 1 - lr * weight_decay``
    done here, before the step (AdamW's rule). Never writes into ``p.grad``."""
    grad = param.grad._array
    if group["maximize"]:
        grad = -grad
    weight_decay = float(group["weight_decay"])
    if weight_decay != 0:
        if group.get("decoupled_weight_decay", False):
            param._array *= 1 - float(group["lr"]) * weight_decay
        else:
            grad = grad + weight_decay * param._array
    return grad


def zeros_state(param: Tensor, fill_value: float = 0.0) -> Tensor:
    """A state buffer shaped like ``param``, on its device and in its dtype."""
    array = param.backend.xp.zeros_like(param._array)
    if fill_value != 0:
        array += fill_value
    return Tensor._make(array, param.backend)


def step_counter(param: Tensor, start: float = 0.0) -> Tensor:
    """``state["step"]`` (and NAdam's ``mu_product``): a 0-d float32 tensor on the CPU, as in
    PyTorch (without ``capturable``/``fused``): the update reads it on the host every step, and
    on a GPU that read would wait for the device."""
    return Tensor(start)


def count_step(state: dict[str, Any]) -> float:
    """Add one to ``state["step"]`` and return the new count."""
    step = state["step"]
    step._array += 1
    return float(step._array)


def lerp_(start: Any, end: Any, weight: float) -> None:
    """``start += weight * (end - start)`` in place, with PyTorch's two-sided formula."""
    if weight < 0.5:
        start += weight * (end - start)
    else:
        start[...] = end - (end - start) * (1 - weight)
