"""TransformerEncoderLayer and TransformerEncoder against PyTorch: post-norm and pre-norm,
relu/gelu, batch_first, bias, masks (causal float mask, key padding), unbatched input; values,
gradients of the input and every parameter, state_dict keys, reprs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import nn
from minigrad.nn.transformer import generate_square_subsequent_mask

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def copy_from(torch_module, module):
    module.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()})
    return module


@st.composite
def cases(draw):
    d_model, nhead = draw(st.sampled_from([(4, 1), (4, 2), (6, 3)]))
    kwargs = dict(
        dim_feedforward=draw(st.integers(1, 8)),
        dropout=0.0,
        activation=draw(st.sampled_from(["relu", "gelu"])),
        batch_first=draw(st.booleans()),
        norm_first=draw(st.booleans()),
        bias=draw(st.booleans()),
    )
    return dict(
        d_model=d_model,
        nhead=nhead,
        kwargs=kwargs,
        length=draw(st.integers(1, 4)),
        batch=draw(st.integers(1, 2)),
        batched=draw(st.booleans()),
        causal=draw(st.booleans()),
        padding=draw(st.booleans()),
        layers=draw(st.integers(1, 2)),
    )


@SETTINGS
@given(cases())
def test_encoder_matches_pytorch(torch, case):
    c = case
    torch_layer = torch.nn.TransformerEncoderLayer(c["d_model"], c["nhead"], **c["kwargs"]).double()
    theirs = torch.nn.TransformerEncoder(
        torch_layer, c["layers"], norm=torch.nn.LayerNorm(c["d_model"]).double(), enable_nested_tensor=False
    )
    layer = nn.TransformerEncoderLayer(c["d_model"], c["nhead"], **c["kwargs"], dtype=minigrad.float64)
    ours = copy_from(
        theirs, nn.TransformerEncoder(layer, c["layers"], norm=nn.LayerNorm(c["d_model"], dtype=minigrad.float64))
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)

    rng = np.random.default_rng(0)
    if not c["batched"]:
        shape = (c["length"], c["d_model"])
    elif c["kwargs"]["batch_first"]:
        shape = (c["batch"], c["length"], c["d_model"])
    else:
        shape = (c["length"], c["batch"], c["d_model"])
    x_np = rng.standard_normal(shape)
    ours_kw, theirs_kw = {}, {}
    if c["causal"]:
        ours_kw["mask"] = generate_square_subsequent_mask(c["length"], dtype=minigrad.float64)
        theirs_kw["mask"] = torch.nn.Transformer.generate_square_subsequent_mask(c["length"], dtype=torch.float64)
        np.testing.assert_array_equal(ours_kw["mask"].numpy(), theirs_kw["mask"].numpy())
        ours_kw["is_causal"] = theirs_kw["is_causal"] = True
    if c["padding"]:
        blocked = rng.random((c["batch"], c["length"])) > 0.5
        blocked[:, 0] = False
        blocked = blocked if c["batched"] else blocked[0]
        ours_kw["src_key_padding_mask"] = minigrad.tensor(blocked)
        theirs_kw["src_key_padding_mask"] = torch.tensor(blocked)
    x, tx = minigrad.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out = ours(x, **ours_kw)
    expected = theirs(tx, **theirs_kw)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-9)
    dy = rng.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-9)
    reference = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), reference[name].grad.numpy(), atol=1e-9, err_msg=name)


def test_layer_defaults_names_and_dropout(torch):
    theirs = torch.nn.TransformerEncoderLayer(8, 2)
    ours = nn.TransformerEncoderLayer(8, 2)
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()
    }
    assert ours.linear1.out_features == 2048 and ours.dropout.p == 0.1 and not ours.norm_first
    x = minigrad.randn(5, 3, 8)
    ours.eval()
    first = ours(x)
    np.testing.assert_array_equal(ours(x).detach().numpy(), first.detach().numpy())
    ours.train()
    minigrad.manual_seed(0)
    assert not np.allclose(ours(x).detach().numpy(), first.detach().numpy())
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    gelu = nn.TransformerEncoderLayer(8, 2, activation=nn.GELU())
    assert repr(gelu) == repr(torch.nn.TransformerEncoderLayer(8, 2, activation=torch.nn.GELU()))


def test_eval_fast_path_agrees(torch):
    """PyTorch's fused eval path computes the same values as the reference path."""
    theirs = torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True).eval()
    ours = copy_from(theirs, nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)).eval()
    x_np = np.random.default_rng(1).standard_normal((2, 5, 8)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.tensor(x_np)).numpy()
    with minigrad.no_grad():
        out = ours(minigrad.tensor(x_np)).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer_with_decoder_matches_pytorch(torch, norm_first, batch_first):
    kwargs = dict(
        d_model=4,
        nhead=2,
        num_encoder_layers=2,
        num_decoder_layers=2,
        dim_feedforward=6,
        dropout=0.0,
        activation="gelu",
        batch_first=batch_first,
        norm_first=norm_first,
    )
    theirs = torch.nn.Transformer(**kwargs).double()
    ours = copy_from(theirs, nn.Transformer(**kwargs, dtype=minigrad.float64))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(2)
    source, target, batch = 5, 3, 2
    src_np = rng.standard_normal((batch, source, 4) if batch_first else (source, batch, 4))
    tgt_np = rng.standard_normal((batch, target, 4) if batch_first else (target, batch, 4))
    padding = np.zeros((batch, source), dtype=bool)
    padding[1, 3:] = True
    ours_in = [minigrad.tensor(a, requires_grad=True) for a in (src_np, tgt_np)]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in (src_np, tgt_np)]
    out = ours(
        *ours_in,
        tgt_mask=nn.Transformer.generate_square_subsequent_mask(target, dtype=minigrad.float64),
        src_key_padding_mask=minigrad.tensor(padding),
        memory_key_padding_mask=minigrad.tensor(padding),
        tgt_is_causal=True,
    )
    expected = theirs(
        *theirs_in,
        tgt_mask=torch.nn.Transformer.generate_square_subsequent_mask(target, dtype=torch.float64),
        src_key_padding_mask=torch.tensor(padding),
        memory_key_padding_mask=torch.tensor(padding),
        tgt_is_causal=True,
    )
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-9)
    dy = rng.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    for mine, reference in zip(ours_in, theirs_in):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), atol=1e-9)
    reference = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        np.testing.assert_allclose(parameter.grad.numpy(), reference[name].grad.numpy(), atol=1e-9, err_msg=name)


def test_transformer_init_is_xavier_uniform_for_every_matrix(torch):
    ours = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)
    theirs = torch.nn.Transformer(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)
    reference = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        values = parameter.detach().numpy()
        if values.ndim > 1:
            fan_out, fan_in = values.shape
            bound = np.sqrt(6 / (fan_in + fan_out))
            assert np.abs(values).max() <= bound, name
            assert values.std() == pytest.approx(bound / np.sqrt(3), rel=0.1), name
            assert values.std() == pytest.approx(reference[name].detach().numpy().std(), rel=0.15), name
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        ours(minigrad.randn(3, 2, 32), minigrad.randn(3, 1, 32))
