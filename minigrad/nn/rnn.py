"""Recurrent sequence layers: ``nn.RNN`` (tanh or relu), ``nn.LSTM`` (with ``proj_size``) and
``nn.GRU``, with PyTorch's arguments, parameter names, init, shapes and checks.

A layer runs its cell's step (``minigrad.nn.rnn_cell``) along the sequence, for each of
``num_layers`` stacked layers and, when ``bidirectional``, a second pass over the reversed
sequence whose outputs are concatenated with the forward ones. The input projection of a whole
sequence is one matmul; only the recurrent part loops over time. Backpropagation through time
is autograd over the unrolled steps. A ``PackedSequence`` input (``nn.utils.rnn``) gives a packed
output; each sequence stops at its own length (and its reverse pass starts there).

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
from minigrad.nn.utils.rnn import PackedSequence
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

    def _run(self, input: Any, hx: Any) -> tuple[Any, Tensor, Tensor | None]:  # noqa: A002
        """The whole stack over the sequence: ``(output, h_n, c_n)`` (``c_n`` None but for LSTM),
        in the caller's layout. A ``PackedSequence`` comes back packed.

        Every sequence is handled as time-major ``data`` (``sum_t b_t`` rows) with ``b_t`` rows
        at step ``t``: ``b_t = N`` for a padded batch; the running sequences (longest first) for
        a packed one, whose finished sequences keep their last state. The input projection of all
        steps is one matmul; only the recurrent part loops over time.
        """
        packed = isinstance(input, PackedSequence)
        if packed:
            data = input.data
            self._check_input(data)  # (sum of lengths, H_in): the feature size and dtype checks
            sizes = [int(b) for b in input.batch_sizes.tolist()]
            batched, batch = True, sizes[0]
        else:
            batched = self._check_input(input)
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)  # (N, L, H_in) -> (L, N, H_in)
            length, batch = x.shape[0], x.shape[1]
            data, sizes = x.reshape(length * batch, x.shape[2]), [batch] * length
        directions = 2 if self.bidirectional else 1
        out_size = self.proj_size or self.hidden_size
        lstm = self.mode == "LSTM"
        if hx is None:
            h0 = data.new_zeros(directions * self.num_layers, batch, out_size)
            c0 = data.new_zeros(directions * self.num_layers, batch, self.hidden_size) if lstm else None
        else:
            if lstm and (not isinstance(hx, tuple) or len(hx) != 2):
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0)")
            h0 = self._check_hidden(hx[0] if lstm else hx, batched, batch, out_size)
            c0 = self._check_hidden(hx[1], batched, batch, self.hidden_size, "cell") if lstm else None
            if packed and input.sorted_indices is not None:  # states follow the sorted batch
                h0 = h0[:, input.sorted_indices._array]
                c0 = None if c0 is None else c0[:, input.sorted_indices._array]
        starts = [sum(sizes[:t]) for t in range(len(sizes))]
        finals_h, finals_c = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                weights = self._weights(layer, direction)
                index = layer * directions + direction
                h, c = h0[index], (c0[index] if lstm else None)
                inputs = projection(data, weights[0], weights[2])  # every step's input part at once
                steps = [None] * len(sizes)
                for t in reversed(range(len(sizes))) if direction else range(len(sizes)):
                    step_input = inputs[starts[t] : starts[t] + sizes[t]]
                    h, c = self._step(step_input, h, c, weights, sizes[t])
                    steps[t] = h[: sizes[t]]
                finals_h.append(h)
                finals_c.append(c)
                outputs.append(cat(steps, 0) if steps else data.new_zeros(0, out_size))
            data = outputs[0] if directions == 1 else cat(outputs, -1)  # (sum b_t, D * H_out)
            if self.dropout and self.training and layer < self.num_layers - 1:
                data = dropout_fn(data, self.dropout, True)
        h_n = stack(finals_h, 0)
        c_n = stack(finals_c, 0) if lstm else None
        if packed:
            if input.unsorted_indices is not None:  # back to the caller's batch order
                h_n = h_n[:, input.unsorted_indices._array]
                c_n = None if c_n is None else c_n[:, input.unsorted_indices._array]
            output = PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
            return output, h_n, c_n
        output = data.reshape(length, batch, data.shape[-1])
        if self.batch_first and batched:
            output = output.transpose(0, 1)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return output, h_n, c_n

    def _step(self, x: Tensor, h: Tensor, c: Tensor | None, weights: tuple, running: int) -> tuple[Tensor, Any]:
        """One time step for the first ``running`` rows (the sequences still going); the other rows
        keep their state."""
        _, w_hh, _, b_hh, w_hr = weights
        whole = running == h.shape[0]
        h_run = h if whole else h[:running]
        if self.mode == "LSTM":
            new_h, new_c = lstm_step(x, h_run, c if whole else c[:running], w_hh, b_hh, w_hr)
        elif self.mode == "GRU":
            new_h, new_c = gru_step(x, h_run, w_hh, b_hh), None
        else:
            new_h = rnn_step(x, h_run, w_hh, b_hh, "tanh" if self.mode == "RNN_TANH" else "relu")
            new_c = None
        if whole:
            return new_h, new_c
        new_h = cat([new_h, h[running:]], 0)
        return new_h, (None if new_c is None else cat([new_c, c[running:]], 0))


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

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:  # noqa: A002
        output, h_n, _ = self._run(input, hx)
        return output, h_n


class LSTM(RNNBase):
    """Long short-term memory, PyTorch's ``nn.LSTM(input_size, hidden_size, num_layers=1,
    bias=True, batch_first=False, dropout=0.0, bidirectional=False, proj_size=0)``.
    ``forward(input, (h_0, c_0)=None)`` returns ``(output, (h_n, c_n))``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)

    def forward(self, input: Any, hx: tuple[Tensor, Tensor] | None = None) -> Any:  # noqa: A002
        output, h_n, c_n = self._run(input, hx)
        return output, (h_n, c_n)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's ``nn.GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``. ``forward(input, hx=None)`` returns
    ``(output, h_n)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input: Any, hx: Tensor | None = None) -> tuple[Any, Tensor]:  # noqa: A002
        output, h_n, _ = self._run(input, hx)
        return output, h_n
