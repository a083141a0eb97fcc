"""Recurrent sequence layers: ``nn.RNN`` (tanh or relu), ``nn.LSTM`` (with ``proj_size``) and
``nn.GRU``, with PyTorch's arguments, parameter names, init, shapes and checks.

A layer runs its cell's step (``minigrad.nn.rnn_cell``) along the sequence, for each of
``num_layers`` stacked layers and, when ``bidirectional``, a second pass over the reversed
sequence whose outputs are concatenated with the forward ones. The input projection of a whole
sequence is one matmul; only the recurrent part loops over time. Backpropagation through time
is autograd over the unrolled steps. Packed sequences are not supported.

Shapes (``D`` = 2 if bidirectional else 1, ``H_out`` = proj_size or hidden_size):
    input  ``(L, N, H_in)`` (``(N, L, H_in)`` with batch_first) or unbatched ``(L, H_in)``
    h_0    ``(D * num_layers, N, H_out)`` (``(D * num_layers, H_out)`` unbatched), zeros if omitted
    c_0    (LSTM) ``(D * num_layers, N, hidden_size)``
    output ``(L, N, D * H_out)``; h_n like h_0; c_n like c_0.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from minigrad.factories import empty
from minigrad.nn import init
from minigrad.nn.functional.dropout import dropout as dropout_fn
from minigrad.nn.module import Module
from minigrad.nn.parameter import Parameter
from minigrad.nn.rnn_cell import GATES, check_size, gru_step, lstm_step, projection, rnn_step
from minigrad.ops.composite import cat, stack
from minigrad.tensor import Tensor


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters ``weight_ih_l{k}{_reverse}``, ``weight_hh_l{k}``,
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (and ``weight_hr_l{k}`` with an LSTM projection), every
    one U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), registered in PyTorch's order."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        op = type(self).__name__
        if mode not in GATES:
            raise ValueError(f"{op}: unrecognized RNN mode: {mode}")
        self.mode = mode
        self.input_size = check_size(input_size, "input_size", op)
        self.hidden_size = check_size(hidden_size, "hidden_size", op)
        self.num_layers = check_size(num_layers, "num_layers", op)
        if self.num_layers <= 0:
            raise ValueError(f"{op}: num_layers must be greater than zero")
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError(
                "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
                f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                stacklevel=2,
            )
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size and proj_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.bias, self.batch_first = bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        directions = 2 if bidirectional else 1
        gate_size = GATES[mode] * hidden_size
        out_size = proj_size or hidden_size
        self._flat_weights_names: list[str] = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, out_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + suffix, Parameter(empty(*shape, device=device, dtype=dtype)))
                    self._flat_weights_names.append(name + suffix)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # --- forward ---------------------------------------------------------------------------
    def _weights(self, layer: int, direction: int) -> tuple[Any, ...]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda name: getattr(self, name + suffix, None)  # noqa: E731
        return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")

    def _check_input(self, input: Any) -> bool:  # noqa: A002
        op = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{op}: input must be a minigrad.Tensor, got {type(input).__name__}")
        if input.ndim not in (2, 3):
            raise ValueError(f"{op}: Expected input to be 2D or 3D, got {input.ndim}D tensor instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {input.shape[-1]}"
            )
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(
                f"{op} input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). Convert input: "
                f"input.to({weight.dtype}), or convert model: model.to({input.dtype})"
            )
        return input.ndim == 3

    def _check_hidden(self, hx: Tensor, batched: bool, batch: int, size: int, name: str = "hidden") -> Tensor:
        """``hx`` as batched ``(D * num_layers, N, size)``, with PyTorch's messages."""
        if not batched:
            if hx.ndim != 2:
                raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.ndim}-D tensor")
            hx = hx.unsqueeze(1)
        elif hx.ndim != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.ndim}-D tensor")
        expected = ((2 if self.bidirectional else 1) * self.num_layers, batch, size)
        if tuple(hx.shape) != expected:
            raise RuntimeError(f"Expected {name} size {expected}, got {list(hx.shape)}")
        return hx

    def _run(self, input: Tensor, hx: Any) -> tuple[Tensor, list[Tensor], list[Tensor]]:  # noqa: A002
        """The whole stack over the sequence; returns the output (L, N, D*H_out) and the final
        states per (layer, direction): h's and (LSTM) c's."""
        batched = self._check_input(input)
        x = input if batched else input.unsqueeze(1)
        if self.batch_first and batched:
            x = x.transpose(0, 1)  # (N, L, H_in) -> (L, N, H_in)
        length, batch = x.shape[0], x.shape[1]
        directions = 2 if self.bidirectional else 1
        out_size = self.proj_size or self.hidden_size
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = x.new_zeros(directions * self.num_layers, batch, out_size)
            c0 = x.new_zeros(directions * self.num_layers, batch, self.hidden_size) if lstm else None
        elif lstm:
            if not isinstance(hx, tuple) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0 = self._check_hidden(hx[0], batched, batch, out_size)
            c0 = self._check_hidden(hx[1], batched, batch, self.hidden_size, "cell")
        else:
            h0, c0 = self._check_hidden(hx, batched, batch, out_size), None
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                index = layer * directions + direction
                h = h0[index]
                c = c0[index] if lstm else None
                inputs = projection(x, w_ih, b_ih)  # (L, N, G*H): every step's input part at once
                steps = range(length - 1, -1, -1) if direction else range(length)
                hs = [None] * length
                for t in steps:
                    if lstm:
                        h, c = lstm_step(inputs[t], h, c, w_hh, b_hh, w_hr)
                    elif self.mode == "GRU":
                        h = gru_step(inputs[t], h, w_hh, b_hh)
                    else:
                        h = rnn_step(inputs[t], h, w_hh, b_hh, "tanh" if self.mode == "RNN_TANH" else "relu")
                    hs[t] = h
                finals_h.append(h)
                finals_c.append(c)
                outputs.append(stack(hs, 0) if length else x.new_zeros(0, batch, out_size))
            x = outputs[0] if directions == 1 else cat(outputs, -1)  # (L, N, D * H_out)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = dropout_fn(x, self.dropout, True)
        if self.batch_first and batched:
            x = x.transpose(0, 1)
        return (x if batched else x.squeeze(1)), finals_h, finals_c

    @staticmethod
    def _states(finals: list[Tensor], batched: bool) -> Tensor:
        states = stack(finals, 0)
        return states if batched else states.squeeze(1)


class RNN(RNNBase):
    """Elman RNN, PyTorch's ``nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh',
    bias=True, batch_first=False, dropout=0.0, bidirectional=False)``:
    ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``. ``forward(input, hx=None)``
    returns ``(output, h_n)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        output, finals, _ = self._run(input, hx)
        return output, self._states(finals, input.ndim == 3)


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's ``nn.LSTM(input_size, hidden_size, num_layers=1,
    bias=True, batch_first=False, dropout=0.0, bidirectional=False, proj_size=0)``.
    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> Any:  # noqa: A002
        output, finals_h, finals_c = self._run(input, hx)
        batched = input.ndim == 3
        return output, (self._states(finals_h, batched), self._states(finals_c, batched))


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's ``nn.GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``. ``forward(input, hx=None)`` returns
    ``(output, h_n)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> tuple[Tensor, Tensor]:  # noqa: A002
        output, finals, _ = self._run(input, hx)
        return output, self._states(finals, input.ndim == 3)
