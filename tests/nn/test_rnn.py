"""RNN (tanh/relu), LSTM (with proj_size), GRU and their cells against PyTorch: values, final
states, gradients of input, initial states and every parameter, parameter names and order, init
statistics, reprs, dropout between layers, unbatched input and PyTorch's errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import nn
from minigrad.autograd.gradcheck import gradcheck

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def copy_from(torch_module, module):
    module.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()})
    return module


def assert_close(ours, theirs, name):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-10, err_msg=name)


@st.composite
def configs(draw):
    mode = draw(st.sampled_from(["RNN", "RNN-relu", "LSTM", "LSTM-proj", "GRU"]))
    kwargs = dict(
        num_layers=draw(st.integers(1, 2)),
        bias=draw(st.booleans()),
        batch_first=draw(st.booleans()),
        bidirectional=draw(st.booleans()),
    )
    if mode == "RNN-relu":
        kwargs["nonlinearity"] = "relu"
    hidden = draw(st.integers(2, 4))
    if mode == "LSTM-proj":
        kwargs["proj_size"] = draw(st.integers(1, hidden - 1))
    return dict(
        cls=mode.split("-")[0],
        input_size=draw(st.integers(1, 3)),
        hidden=hidden,
        kwargs=kwargs,
        length=draw(st.integers(1, 4)),
        batch=draw(st.integers(1, 3)),
        batched=draw(st.booleans()),
        initial=draw(st.booleans()),
    )


@SETTINGS
@given(configs())
def test_sequence_layers_match_pytorch(torch, config):
    c = config
    theirs = getattr(torch.nn, c["cls"])(c["input_size"], c["hidden"], **c["kwargs"]).double()
    ours = copy_from(theirs, getattr(nn, c["cls"])(c["input_size"], c["hidden"], **c["kwargs"], dtype=minigrad.float64))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert repr(ours) == repr(theirs)

    rng = np.random.default_rng(0)
    shape = (c["batch"], c["length"]) if c["kwargs"]["batch_first"] else (c["length"], c["batch"])
    x_np = rng.standard_normal((*shape, c["input_size"]) if c["batched"] else (c["length"], c["input_size"]))
    layers = c["num_layers"] if "num_layers" in c else c["kwargs"]["num_layers"]
    states = (2 if c["kwargs"]["bidirectional"] else 1) * layers
    out_size = c["kwargs"].get("proj_size") or c["hidden"]
    lead = (states, c["batch"]) if c["batched"] else (states,)
    initial = []
    if c["initial"]:
        initial.append(rng.standard_normal((*lead, out_size)))
        if c["cls"] == "LSTM":
            initial.append(rng.standard_normal((*lead, c["hidden"])))

    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    ours_h = [minigrad.tensor(a, requires_grad=True) for a in initial]
    theirs_h = [torch.tensor(a, requires_grad=True) for a in initial]
    pack = (lambda hs: tuple(hs)) if c["cls"] == "LSTM" else (lambda hs: hs[0])
    out, state = ours(x, pack(ours_h) if initial else None)
    expected, expected_state = theirs(tx, pack(theirs_h) if initial else None)
    assert tuple(out.shape) == tuple(expected.shape)
    assert_close(out, expected, "output")
    finals = state if c["cls"] == "LSTM" else (state,)
    expected_finals = expected_state if c["cls"] == "LSTM" else (expected_state,)
    for mine, reference in zip(finals, expected_finals):
        assert tuple(mine.shape) == tuple(reference.shape)
        assert_close(mine, reference, "final state")

    # One objective touching the output and every final state.
    weights = [rng.standard_normal(tuple(t.shape)) for t in (expected, *expected_finals)]
    loss = sum((t * minigrad.tensor(w)).sum() for t, w in zip((out, *finals), weights))
    expected_loss = sum((t * torch.tensor(w)).sum() for t, w in zip((expected, *expected_finals), weights))
    loss.backward()
    expected_loss.backward()
    assert_close(x.grad, tx.grad, "input gradient")
    for mine, reference in zip(ours_h, theirs_h):
        assert_close(mine.grad, reference.grad, "initial state gradient")
    reference = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, reference[name].grad, name)


@pytest.mark.parametrize(("cls", "gates"), [("RNN", 1), ("LSTM", 4), ("GRU", 3)])
def test_parameter_shapes_and_init_statistics_match_pytorch(torch, cls, gates):
    """Every parameter U(-1/sqrt(H), 1/sqrt(H)); std = bound / sqrt(3)."""
    theirs = getattr(torch.nn, cls)(20, 64, num_layers=2, bidirectional=True)
    ours = getattr(nn, cls)(20, 64, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(64)
    shapes = {name: tuple(p.shape) for name, p in theirs.named_parameters()}
    assert {name: tuple(p.shape) for name, p in ours.named_parameters()} == shapes
    assert shapes["weight_ih_l1_reverse"] == (gates * 64, 128)
    values = np.concatenate([p.detach().numpy().ravel() for p in ours.parameters()])
    reference = np.concatenate([p.detach().numpy().ravel() for p in theirs.parameters()])
    assert np.abs(values).max() <= bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert values.std() == pytest.approx(reference.std(), rel=0.02)
    assert ours.weight_hh_l0.dtype == minigrad.float32


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
@pytest.mark.parametrize("batched", [True, False])
def test_cells_match_pytorch(torch, cls, batched):
    kwargs = {"nonlinearity": "relu"} if cls == "RNNCell" and batched else {}
    theirs = getattr(torch.nn, cls)(3, 4, **kwargs).double()
    ours = copy_from(theirs, getattr(nn, cls)(3, 4, **kwargs, dtype=minigrad.float64))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(1)
    lead = (2,) if batched else ()
    x_np = rng.standard_normal((*lead, 3))
    h_np = [rng.standard_normal((*lead, 4)) for _ in range(2 if cls == "LSTMCell" else 1)]
    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    hs = [minigrad.tensor(a, requires_grad=True) for a in h_np]
    ths = [torch.tensor(a, requires_grad=True) for a in h_np]
    out = ours(x, tuple(hs) if cls == "LSTMCell" else hs[0])
    expected = theirs(tx, tuple(ths) if cls == "LSTMCell" else ths[0])
    outs = out if cls == "LSTMCell" else (out,)
    expected_outs = expected if cls == "LSTMCell" else (expected,)
    for mine, reference in zip(outs, expected_outs):
        assert tuple(mine.shape) == tuple(reference.shape)
        assert_close(mine, reference, "cell output")
    sum(o.sum() * (i + 1) for i, o in enumerate(outs)).backward()
    sum(o.sum() * (i + 1) for i, o in enumerate(expected_outs)).backward()
    assert_close(x.grad, tx.grad, "input gradient")
    for mine, reference in zip(hs, ths):
        assert_close(mine.grad, reference.grad, "state gradient")
    reference = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, reference[name].grad, name)
    # Without a state: zeros, as PyTorch.
    no_state = ours(x)
    expected_no_state = theirs(tx)
    first = no_state[0] if cls == "LSTMCell" else no_state
    assert_close(first, expected_no_state[0] if cls == "LSTMCell" else expected_no_state, "zero state")


def test_gradcheck_float64_through_time():
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=minigrad.float64)
    gru = nn.GRUCell(2, 3, dtype=minigrad.float64)
    rng = np.random.default_rng(2)
    x = minigrad.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)
    h = minigrad.tensor(rng.standard_normal((4, 1, 3)), requires_grad=True)
    c = minigrad.tensor(rng.standard_normal((4, 1, 3)), requires_grad=True)
    assert gradcheck(lambda x, h, c: lstm(x, (h, c))[0], (x, h, c))
    assert gradcheck(lambda x, h: gru(x[0], h[0]), (x, h))


def test_dropout_between_layers_only_in_training(torch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gru = nn.GRU(3, 5, num_layers=2, dropout=0.5)
    x = minigrad.randn(4, 2, 3)
    gru.eval()
    reference, _ = gru(x)
    np.testing.assert_array_equal(gru(x)[0].detach().numpy(), reference.detach().numpy())
    gru.train()
    minigrad.manual_seed(0)
    dropped, _ = gru(x)
    assert not np.allclose(dropped.detach().numpy(), reference.detach().numpy())
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.2)
    assert repr(nn.GRU(3, 5, num_layers=2, dropout=0.5)) == repr(torch.nn.GRU(3, 5, num_layers=2, dropout=0.5))


def test_errors_match_pytorch():
    rnn = nn.RNN(3, 4)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 4"):
        rnn(minigrad.randn(5, 2, 4))
    with pytest.raises(RuntimeError, match="Expected hidden size \\(1, 2, 4\\), got \\[2, 2, 4\\]"):
        rnn(minigrad.randn(5, 2, 3), minigrad.randn(2, 2, 4))
    with pytest.raises(RuntimeError, match="For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"):
        rnn(minigrad.randn(5, 3), minigrad.randn(1, 2, 4))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        rnn(minigrad.randn(5, 3, 3, 3))
    with pytest.raises(
        ValueError, match="RNN input dtype \\(minigrad.float64\\) does not match weight dtype \\(minigrad.float32\\)"
    ):
        rnn(minigrad.randn(5, 2, 3).double())
    with pytest.raises(ValueError, match="Unknown nonlinearity 'gelu'"):
        nn.RNN(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        nn.GRU(3, 4, proj_size=2)


@st.composite
def packed_cases(draw):
    batch = draw(st.integers(1, 4))
    lengths = [draw(st.integers(1, 4)) for _ in range(batch)]
    enforce_sorted = draw(st.booleans())
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    return dict(
        cls=draw(st.sampled_from(["RNN", "LSTM", "GRU"])),
        lengths=lengths,
        enforce_sorted=enforce_sorted,
        batch_first=draw(st.booleans()),
        kwargs=dict(num_layers=draw(st.integers(1, 2)), bidirectional=draw(st.booleans())),
        initial=draw(st.booleans()),
    )


@SETTINGS
@given(packed_cases())
def test_packed_sequences_match_pytorch(torch, case):
    """A PackedSequence in, a PackedSequence out: each sequence stops at its own length, the
    reverse direction starts there, h_n is each sequence's last state, in the caller's order."""
    from minigrad.nn.utils import rnn as ours_rnn

    c = case
    theirs = getattr(torch.nn, c["cls"])(3, 4, batch_first=c["batch_first"], **c["kwargs"]).double()
    ours = copy_from(
        theirs, getattr(nn, c["cls"])(3, 4, batch_first=c["batch_first"], **c["kwargs"], dtype=minigrad.float64)
    )
    rng = np.random.default_rng(7)
    batch, longest = len(c["lengths"]), max(c["lengths"])
    x_np = rng.standard_normal((batch, longest, 3) if c["batch_first"] else (longest, batch, 3))
    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    pack_kwargs = dict(batch_first=c["batch_first"], enforce_sorted=c["enforce_sorted"])
    packed = ours_rnn.pack_padded_sequence(x, c["lengths"], **pack_kwargs)
    expected_packed = torch.nn.utils.rnn.pack_padded_sequence(tx, c["lengths"], **pack_kwargs)
    np.testing.assert_array_equal(packed.batch_sizes.numpy(), expected_packed.batch_sizes.numpy())
    states = (2 if c["kwargs"]["bidirectional"] else 1) * c["kwargs"]["num_layers"]
    initial = [rng.standard_normal((states, batch, 4)) for _ in range(2 if c["cls"] == "LSTM" else 1)]
    ours_h = [minigrad.tensor(a, requires_grad=True) for a in initial]
    theirs_h = [torch.tensor(a, requires_grad=True) for a in initial]
    pack = (lambda hs: tuple(hs)) if c["cls"] == "LSTM" else (lambda hs: hs[0])
    out, state = ours(packed, pack(ours_h) if c["initial"] else None)
    expected, expected_state = theirs(expected_packed, pack(theirs_h) if c["initial"] else None)
    assert isinstance(out, ours_rnn.PackedSequence)
    assert_close(out.data, expected.data, "packed output")
    finals = state if c["cls"] == "LSTM" else (state,)
    expected_finals = expected_state if c["cls"] == "LSTM" else (expected_state,)
    for mine, reference in zip(finals, expected_finals):
        assert_close(mine, reference, "final state")
    padded, lengths = ours_rnn.pad_packed_sequence(out, batch_first=c["batch_first"])
    expected_padded, expected_lengths = torch.nn.utils.rnn.pad_packed_sequence(expected, batch_first=c["batch_first"])
    np.testing.assert_array_equal(lengths.numpy(), expected_lengths.numpy())
    assert_close(padded, expected_padded, "padded output")
    loss = (padded * padded).sum() + sum((f * f).sum() for f in finals)
    expected_loss = (expected_padded * expected_padded).sum() + sum((f * f).sum() for f in expected_finals)
    loss.backward()
    expected_loss.backward()
    assert_close(x.grad, tx.grad, "input gradient")
    if c["initial"]:
        for mine, reference in zip(ours_h, theirs_h):
            assert_close(mine.grad, reference.grad, "initial state gradient")
    reference = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, reference[name].grad, name)


def test_packing_utilities_match_pytorch(torch):
    from minigrad.nn.utils import rnn as ours_rnn

    rng = np.random.default_rng(8)
    sequences = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    packed = ours_rnn.pack_sequence([minigrad.tensor(s) for s in sequences], enforce_sorted=False)
    expected = torch.nn.utils.rnn.pack_sequence([torch.tensor(s) for s in sequences], enforce_sorted=False)
    np.testing.assert_array_equal(packed.data.numpy(), expected.data.numpy())
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        np.testing.assert_array_equal(getattr(packed, name).numpy(), getattr(expected, name).numpy())
    for mine, original in zip(ours_rnn.unpack_sequence(packed), sequences):
        np.testing.assert_array_equal(mine.numpy(), original)
    padded, _ = ours_rnn.pad_packed_sequence(packed, total_length=6, padding_value=-1.0)
    expected_padded, _ = torch.nn.utils.rnn.pad_packed_sequence(expected, total_length=6, padding_value=-1.0)
    np.testing.assert_array_equal(padded.numpy(), expected_padded.numpy())
    for mine, original in zip(ours_rnn.unpad_sequence(padded, [2, 4, 1]), sequences):
        np.testing.assert_array_equal(mine.numpy(), original)
    with pytest.raises(RuntimeError, match="must be sorted in decreasing order when `enforce_sorted` is True"):
        ours_rnn.pack_padded_sequence(padded, [2, 4, 1])
    with pytest.raises(ValueError, match="Expected total_length to be at least the length of the longest sequence"):
        ours_rnn.pad_packed_sequence(packed, total_length=3)
