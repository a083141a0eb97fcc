"""Tensor methods for special functions: ``erf``, ``log1p``, ``expm1`` and their in-place forms.

A mixin, so ``tensor.py`` does not grow; ``minigrad.erf(x)`` and friends are the module-level twins.
"""

from __future__ import annotations

from typing import Any

from minigrad.ops import special


class SpecialMethods:
    """Mixed into ``Tensor``: integers and booleans become the default float first, as PyTorch."""

    __slots__ = ()

    def erf(self: Any) -> Any:
        return special.Erf.apply(self._floating())

    def log1p(self: Any) -> Any:
        return special.Log1p.apply(self._floating())

    def expm1(self: Any) -> Any:
        return special.Expm1.apply(self._floating())

    def erf_(self: Any) -> Any:
        return self._inplace("erf_", self.erf)

    def log1p_(self: Any) -> Any:
        return self._inplace("log1p_", self.log1p)

    def expm1_(self: Any) -> Any:
        return self._inplace("expm1_", self.expm1)


def erf(input: Any) -> Any:  # noqa: A002  (PyTorch's argument name)
    return input.erf()


def log1p(input: Any) -> Any:  # noqa: A002
    return input.log1p()


def expm1(input: Any) -> Any:  # noqa: A002
    return input.expm1()
