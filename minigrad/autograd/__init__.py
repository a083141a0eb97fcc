"""Reverse-mode automatic differentiation (``torch.autograd``'s API)."""

from minigrad.autograd import functional
from minigrad.autograd.anomaly import detect_anomaly, set_detect_anomaly
from minigrad.autograd.anomaly import is_enabled as is_anomaly_enabled
from minigrad.autograd.engine import backward, grad
from minigrad.autograd.function import Function, Node, Primitive, once_differentiable, primitives
from minigrad.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from minigrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function", "GradcheckError", "Node", "Primitive", "backward", "detect_anomaly", "enable_grad", "grad",
    "functional", "inference_mode", "is_inference_mode_enabled", "once_differentiable",
    "is_anomaly_enabled", "set_detect_anomaly",
    "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad", "primitives", "set_grad_enabled",
]
