"""One time step of the recurrent networks, and the cell layers ``nn.RNNCell``, ``nn.LSTMCell``,
``nn.GRUCell`` (PyTorch's names, gate orders, init and checks).

Each step is composed from matmuls, sigmoid/tanh and elementwise ops, so gradients (through time,
once the steps are chained) come from autograd; nothing here has its own backward. The input
projection ``x @ W_ih^T + b_ih`` is separate from the recurrent one so that a sequence layer can
compute it for all time steps in one matmul (``nn.RNN`` does).

Gates, with ``gi = x W_ih^T + b_ih`` and ``gh = h W_hh^T + b_hh`` cut into chunks in PyTorch's order:

* RNN:  ``h' = tanh(gi + gh)`` (or relu);
* LSTM: ``i, f, g, o`` -> ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``
  (then ``h' W_hr^T`` with a projection);
* GRU:  ``r, z, n`` -> ``r = sigmoid(gi_r + gh_r)``, ``z = sigmoid(gi_z + gh_z)``,
  ``n = tanh(gi_n + r * gh_n)``, ``h' = (1 - z) * n + z * h`` (the reset gate multiplies the
  recurrent term including its bias, as in PyTorch/cuDNN, not as in the 2014 paper).
"""

from __future__ import annotations

import math
from typing import Any

from minigrad.factories import empty
from minigrad.nn import init
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.tensor import Tensor

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def projection(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``x @ weight^T + bias`` over the last axis."""
    out = x @ weight.t()
    return out if bias is None else out + bias


def rnn_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, nonlinearity: str) -> Tensor:
    """Elman RNN: ``act(gi + h W_hh^T + b_hh)``."""
    pre = gi + projection(h, weight_hh, bias_hh)
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def lstm_step(
    gi: Tensor, h: Tensor, c: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, weight_hr: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """LSTM: ``(h', c')`` from gates ``i, f, g, o`` (each ``hidden_size`` wide)."""
    gates = gi + projection(h, weight_hh, bias_hh)
    i, f, g, o = gates.chunk(4, -1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    if weight_hr is not None:
        h = h @ weight_hr.t()
    return h, c


def gru_step(gi: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None) -> Tensor:
    """GRU: ``h'`` from gates ``r, z, n``."""
    gh = projection(h, weight_hh, bias_hh)
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = gh.chunk(3, -1)
    r = (i_r + h_r).sigmoid()
    z = (i_z + h_z).sigmoid()
    n = (i_n + r * h_n).tanh()
    return (1 - z) * n + z * h


def check_size(value: Any, name: str, op: str) -> int:
    if not hasattr(value, "__index__") or isinstance(value, bool):
        raise TypeError(f"{op}: {name} should be of type int, got: {type(value).__name__}")
    if value <= 0 and name == "hidden_size":
        raise ValueError(f"{op}: hidden_size must be greater than zero")
    if value < 0:
        raise ValueError(f"{op}: {name} must be >= 0, got {value}")
    return int(value)


class _RNNCellBase(Module):
    """``weight_ih`` (G*H, in), ``weight_hh`` (G*H, H), ``bias_ih``/``bias_hh`` (G*H,), all
    U(-1/sqrt(H), 1/sqrt(H)), as PyTorch."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        op = type(self).__name__
        self.input_size = check_size(input_size, "input_size", op)
        self.hidden_size = check_size(hidden_size, "hidden_size", op)
        self.bias = bias
        size = self.gates * hidden_size
        self.weight_ih = Parameter(empty(size, input_size, device=device, dtype=dtype))
        self.weight_hh = Parameter(empty(size, hidden_size, device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(size, device=device, dtype=dtype))
            self.bias_hh = Parameter(empty(size, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text

    def _lift(self, input: Tensor, hx: Any) -> tuple[Tensor, bool]:  # noqa: A002
        """Batched ``(N, in)`` from ``(N, in)`` or unbatched ``(in,)``; checks the feature size."""
        op = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{op}: input must be a minigrad.Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{op}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"{op}: input has inconsistent input_size: got {input.shape[-1]} expected {self.input_size}"
            )
        for h in hx if isinstance(hx, tuple) else (hx,):
            if h is not None and h.ndim != input.ndim:
                raise RuntimeError(f"{op}: Expected hidden to be {input.ndim}D (like the input), got {h.ndim}D instead")
        return (input, True) if input.ndim == 2 else (input.unsqueeze(0), False)

    def _zeros(self, x: Tensor) -> Tensor:
        return x.new_zeros(x.shape[0], self.hidden_size)


class RNNCell(_RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu). Input ``(N, in)`` or ``(in,)``;
    ``hx`` ``(N, H)`` (zeros if omitted); returns ``h'`` ``(N, H)``."""

    gates = 1

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}. Select from 'tanh' or 'relu'.")
        super().__init__(input_size, hidden_size, bias, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, batched = self._lift(input, hx)
        h = self._zeros(x) if hx is None else (hx if batched else hx.unsqueeze(0))
        gi = projection(x, self.weight_ih, self.bias_ih)
        out = rnn_step(gi, h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return out if batched else out.squeeze(0)


class LSTMCell(_RNNCellBase):
    """One LSTM step: ``(h', c') = LSTMCell(x, (h, c))``; gates ``i, f, g, o`` (4H rows)."""

    gates = 4

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        x, batched = self._lift(input, hx)
        if hx is None:
            h = c = self._zeros(x)
        else:
            h, c = hx if batched else (hx[0].unsqueeze(0), hx[1].unsqueeze(0))
        gi = projection(x, self.weight_ih, self.bias_ih)
        h, c = lstm_step(gi, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_RNNCellBase):
    """One GRU step: ``h' = GRUCell(x, h)``; gates ``r, z, n`` (3H rows)."""

    gates = 3

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        super().__init__(input_size, hidden_size, bias, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:  # noqa: A002
        x, batched = self._lift(input, hx)
        h = self._zeros(x) if hx is None else (hx if batched else hx.unsqueeze(0))
        gi = projection(x, self.weight_ih, self.bias_ih)
        out = gru_step(gi, h, self.weight_hh, self.bias_hh)
        return out if batched else out.squeeze(0)
