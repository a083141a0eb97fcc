"""``minigrad.special``: the functions of ``torch.special`` that minigrad has, by their names
there (each is the same op as its ``minigrad.`` or ``Tensor`` twin)."""

from __future__ import annotations

from typing import Any

from minigrad import math_functions as _math
from minigrad import tensor_special as _special
from minigrad.tensor import Tensor

__all__ = [
    "erf", "erfc", "erfinv", "expit", "exp2", "expm1", "log1p", "logit", "logsumexp", "log_softmax", "round",
    "sinc", "softmax", "xlogy",
]

erf, expm1, log1p = _special.erf, _special.expm1, _special.log1p
erfc, erfinv, exp2 = _math.erfc, _math.erfinv, _math.exp2
logit, logsumexp, sinc, xlogy = _math.logit, _math.logsumexp, _math.sinc, _math.xlogy
round = _math.round  # noqa: A001


def expit(input: Tensor) -> Tensor:  # noqa: A002  (PyTorch's names)
    """The logistic sigmoid ``1 / (1 + exp(-x))``."""
    return input.sigmoid()


def softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    return (input if dtype is None else input.to(dtype)).softmax(dim)


def log_softmax(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    return (input if dtype is None else input.to(dtype)).log_softmax(dim)
