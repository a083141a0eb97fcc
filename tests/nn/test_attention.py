"""F.scaled_dot_product_attention and nn.MultiheadAttention against PyTorch: values, attention
weights, gradients of every input and parameter, mask conventions (bool/float, causal, key
padding), grouped-query attention, dropout, parameter names, init and reprs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.nn.functional as F
from minigrad import nn
from minigrad.autograd.gradcheck import gradcheck

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def assert_close(ours, theirs, name, atol=1e-10):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=atol, err_msg=name)


@st.composite
def sdpa_cases(draw):
    lead = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    length, source = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    embed, value_dim = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    mask = draw(st.sampled_from(["none", "bool", "float", "causal"]))
    scale = draw(st.sampled_from([None, 0.5]))
    return lead, length, source, embed, value_dim, mask, scale


@SETTINGS
@given(sdpa_cases())
def test_sdpa_matches_pytorch_values_and_gradients(torch, case):
    lead, length, source, embed, value_dim, mask_kind, scale = case
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal((*lead, length, embed)),
        rng.standard_normal((*lead, source, embed)),
        rng.standard_normal((*lead, source, value_dim)),
    ]
    kwargs, theirs_kwargs = {"scale": scale, "is_causal": "causal" in mask_kind}, {"scale": scale}
    theirs_kwargs["is_causal"] = kwargs["is_causal"]
    float_mask = None
    if "bool" in mask_kind:
        mask = rng.random((length, source)) > 0.4  # some rows may be fully blocked: zeros, as PyTorch
        kwargs["attn_mask"], theirs_kwargs["attn_mask"] = minigrad.tensor(mask), torch.tensor(mask)
    elif mask_kind == "float":
        mask = rng.standard_normal((length, source))
        float_mask = (minigrad.tensor(mask, requires_grad=True), torch.tensor(mask, requires_grad=True))
        kwargs["attn_mask"], theirs_kwargs["attn_mask"] = float_mask
    ours = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = F.scaled_dot_product_attention(*ours, **kwargs)
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs, **theirs_kwargs)
    assert tuple(out.shape) == tuple(expected.shape)
    assert_close(out, expected, "output")
    dy = rng.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    for mine, reference, name in zip(ours, theirs, ("query", "key", "value")):
        assert_close(mine.grad, reference.grad, f"{name} gradient")
    if float_mask is not None:
        assert_close(float_mask[0].grad, float_mask[1].grad, "mask gradient")


def test_sdpa_grouped_query_attention_and_float32(torch):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in ((2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 3)))
    out = F.scaled_dot_product_attention(*(minigrad.tensor(a) for a in (q, k, v)), enable_gqa=True)
    expected = torch.nn.functional.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), enable_gqa=True)
    assert out.dtype == minigrad.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), atol=1e-5)


def test_sdpa_dropout_drops_attention_weights():
    """With value = identity the output IS the weight matrix: after dropout each entry is 0 or
    the undropped weight / (1 - p)."""
    rng = np.random.default_rng(2)
    q, k = minigrad.tensor(rng.standard_normal((1, 6, 3))), minigrad.tensor(rng.standard_normal((1, 8, 3)))
    eye = minigrad.tensor(np.eye(8)[None])
    weights = F.scaled_dot_product_attention(q, k, eye).numpy()
    minigrad.manual_seed(0)
    dropped = F.scaled_dot_product_attention(q, k, eye, dropout_p=0.5).numpy()
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], 2 * weights[kept])


def test_sdpa_gradcheck_float64():
    rng = np.random.default_rng(3)
    q, k, v = (minigrad.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 3, 2), (2, 4, 2), (2, 4, 3)))
    mask = minigrad.tensor(rng.random((3, 4)) > 0.3)
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, attn_mask=mask), (q, k, v))
    assert gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=0.7), (q, k, v))


def copy_from(torch_module, module):
    module.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in torch_module.state_dict().items()})
    return module


@st.composite
def mha_cases(draw):
    embed, heads = draw(st.sampled_from([(4, 1), (4, 2), (6, 3)]))
    kwargs = dict(
        bias=draw(st.booleans()),
        add_bias_kv=draw(st.booleans()),
        add_zero_attn=draw(st.booleans()),
        batch_first=draw(st.booleans()),
    )
    if draw(st.booleans()):
        kwargs["kdim"], kwargs["vdim"] = draw(st.integers(1, 3)), draw(st.integers(1, 5))
    return dict(
        embed=embed,
        heads=heads,
        kwargs=kwargs,
        length=draw(st.integers(1, 3)),
        source=draw(st.integers(1, 4)),
        batch=draw(st.integers(1, 2)),
        batched=draw(st.booleans()),
        padding=draw(st.sampled_from([None, "bool", "float"])),
        mask=draw(st.sampled_from([None, "bool2d", "float2d", "float3d"])),
        need_weights=draw(st.booleans()),
        average=draw(st.booleans()),
    )


@SETTINGS
@given(mha_cases())
def test_multihead_attention_matches_pytorch(torch, case):
    c = case
    theirs = torch.nn.MultiheadAttention(c["embed"], c["heads"], **c["kwargs"]).double()
    ours = copy_from(theirs, nn.MultiheadAttention(c["embed"], c["heads"], **c["kwargs"], dtype=minigrad.float64))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(4)
    kdim, vdim = c["kwargs"].get("kdim", c["embed"]), c["kwargs"].get("vdim", c["embed"])
    batch_first = c["kwargs"]["batch_first"]

    def layout(length, features):
        if not c["batched"]:
            return (length, features)
        return (c["batch"], length, features) if batch_first else (length, c["batch"], features)

    arrays = [
        rng.standard_normal(layout(n, f))
        for n, f in ((c["length"], c["embed"]), (c["source"], kdim), (c["source"], vdim))
    ]
    ours_in = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    ours_kw, theirs_kw = {}, {}
    # Position 0 is never blocked, so no row is masked everywhere (PyTorch's NaN rows aside).
    if c["padding"]:
        blocked = rng.random((c["batch"], c["source"])) > 0.5
        blocked[:, 0] = False
        mask = blocked if c["padding"] == "bool" else np.where(blocked, -np.inf, rng.standard_normal(blocked.shape))
        mask = mask if c["batched"] else mask[0]
        ours_kw["key_padding_mask"], theirs_kw["key_padding_mask"] = minigrad.tensor(mask), torch.tensor(mask)
    if c["mask"]:
        shape = (c["length"], c["source"])  # bias_kv and zero_attn pad the masks themselves
        if c["mask"] == "float3d":
            shape = ((c["batch"] if c["batched"] else 1) * c["heads"], *shape)
        blocked = rng.random(shape) > 0.5
        blocked[..., 0] = False
        mask = blocked if c["mask"] == "bool2d" else np.where(blocked, -np.inf, rng.standard_normal(shape))
        ours_kw["attn_mask"], theirs_kw["attn_mask"] = minigrad.tensor(mask), torch.tensor(mask)
    for kw in (ours_kw, theirs_kw):
        kw["need_weights"], kw["average_attn_weights"] = c["need_weights"], c["average"]
    out, weights = ours(*ours_in, **ours_kw)
    expected, expected_weights = theirs(*theirs_in, **theirs_kw)
    assert tuple(out.shape) == tuple(expected.shape)
    assert_close(out, expected, "output")
    if c["need_weights"]:
        assert tuple(weights.shape) == tuple(expected_weights.shape)
        assert_close(weights, expected_weights, "weights")
    else:
        assert weights is None and expected_weights is None
    dy = rng.standard_normal(tuple(expected.shape))
    out.backward(minigrad.tensor(dy))
    expected.backward(torch.tensor(dy))
    for mine, reference, name in zip(ours_in, theirs_in, ("query", "key", "value")):
        assert_close(mine.grad, reference.grad, f"{name} gradient")
    reference = dict(theirs.named_parameters())
    for name, parameter in ours.named_parameters():
        assert_close(parameter.grad, reference[name].grad, name)


def test_multihead_attention_init_matches_pytorch(torch):
    theirs = torch.nn.MultiheadAttention(64, 4, add_bias_kv=True)
    ours = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    assert {n: tuple(p.shape) for n, p in ours.named_parameters()} == {
        n: tuple(p.shape) for n, p in theirs.named_parameters()
    }
    weight = ours.in_proj_weight.detach().numpy()
    bound = math.sqrt(6 / (64 + 3 * 64))  # xavier_uniform on (3E, E)
    assert np.abs(weight).max() <= bound
    assert weight.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
    assert weight.std() == pytest.approx(theirs.in_proj_weight.detach().numpy().std(), rel=0.03)
    assert np.all(ours.in_proj_bias.detach().numpy() == 0) and np.all(ours.out_proj.bias.detach().numpy() == 0)
    out_weight = ours.out_proj.weight.detach().numpy()
    assert out_weight.std() == pytest.approx(theirs.out_proj.weight.detach().numpy().std(), rel=0.05)


def test_multihead_attention_dropout_and_errors():
    attention = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = minigrad.randn(3, 2, 4)
    attention.eval()
    first, _ = attention(x, x, x)
    np.testing.assert_array_equal(attention(x, x, x)[0].detach().numpy(), first.detach().numpy())
    attention.train()
    minigrad.manual_seed(0)
    _, weights = attention(x, x, x, average_attn_weights=False)
    assert (weights.detach().numpy() == 0).any()  # dropped attention weights are returned as such
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        F.scaled_dot_product_attention(x, x, x, attn_mask=minigrad.ones(3, 3).bool(), is_causal=True)
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        attention(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)


def test_functional_multi_head_attention_forward_matches_pytorch(torch):
    """PyTorch's functional form, separate projection weights and precomputed static keys included."""
    rng = np.random.default_rng(5)
    embed, heads, length, source, batch = 4, 2, 3, 5, 2
    arrays = {
        "query": rng.standard_normal((length, batch, embed)),
        "key": rng.standard_normal((source, batch, 3)),
        "value": rng.standard_normal((source, batch, 6)),
        "in_proj_bias": rng.standard_normal(3 * embed),
        "out_proj_weight": rng.standard_normal((embed, embed)),
        "out_proj_bias": rng.standard_normal(embed),
        "q_proj_weight": rng.standard_normal((embed, embed)),
        "k_proj_weight": rng.standard_normal((embed, 3)),
        "v_proj_weight": rng.standard_normal((embed, 6)),
        "static_k": rng.standard_normal((batch * heads, source, embed // heads)),
    }
    ours = {k: minigrad.tensor(v, requires_grad=True) for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}

    def call(f, t):
        return f(
            t["query"],
            t["key"],
            t["value"],
            embed,
            heads,
            None,
            t["in_proj_bias"],
            None,
            None,
            True,
            0.0,
            t["out_proj_weight"],
            t["out_proj_bias"],
            use_separate_proj_weight=True,
            q_proj_weight=t["q_proj_weight"],
            k_proj_weight=t["k_proj_weight"],
            v_proj_weight=t["v_proj_weight"],
            static_k=t["static_k"],
            average_attn_weights=False,
        )

    out, weights = call(F.multi_head_attention_forward, ours)
    expected, expected_weights = call(torch.nn.functional.multi_head_attention_forward, theirs)
    assert_close(out, expected, "output")
    assert_close(weights, expected_weights, "weights")
    (out.sum() + weights.sum()).backward()
    (expected.sum() + expected_weights.sum()).backward()
    for name in arrays:
        if name in ("key", "k_proj_weight"):  # replaced by static_k: no gradient in either
            assert ours[name].grad is None and theirs[name].grad is None, name
            continue
        assert_close(ours[name].grad, theirs[name].grad, f"{name} gradient")
