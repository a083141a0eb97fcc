"""minigrad's exception classes: PyTorch's class, and the Python class minigrad raised before.

A script ported from PyTorch catches what PyTorch raises (mostly ``RuntimeError``); code written
for minigrad may catch ``ValueError`` or ``TypeError``. Each class here is both, so neither
caller breaks. Where PyTorch raises a plain ``TypeError``, ``ValueError``, ``IndexError`` or
``NotImplementedError``, minigrad raises that class directly.
"""

from __future__ import annotations


class ShapeError(RuntimeError, ValueError):
    """Shapes that do not fit together: broadcasting, matmul, conv channels, stack and cat."""


class ArgumentError(RuntimeError, ValueError):
    """A bad value where PyTorch raises RuntimeError: a negative size, randint's empty range,
    a stride of 0, a padding larger than half the kernel."""


class DTypeError(RuntimeError, TypeError):
    """Dtypes that do not fit together where PyTorch raises RuntimeError: matmul of float32 and
    float64, ``nn.Linear`` on an int64 input, conv2d of an integer input."""


class UnsupportedDTypeError(NotImplementedError, TypeError):
    """An op with no kernel for this dtype (PyTorch: ``"linspace_cpu" not implemented for
    'Bool'``). ``NotImplementedError`` is itself a ``RuntimeError``."""


class EmptyReductionError(RuntimeError, IndexError):
    """The max, min or arg-max of no elements. PyTorch raises ``IndexError`` when a dim is
    given and ``RuntimeError`` when the whole tensor is reduced: this class is both."""
