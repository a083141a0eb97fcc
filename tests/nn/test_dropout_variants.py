"""Channel-wise and alpha dropout (issue 11): which elements go together, how often, the values
they take (those of PyTorch for the same input), train/eval, gradients, reprs, errors."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn.functional as F
from minigrad import nn

CHANNEL_WISE = [("dropout1d", (400, 5, 3)), ("dropout1d", (60, 3)), ("dropout2d", (400, 5, 2, 3)),
                ("dropout3d", (400, 5, 2, 2, 2)), ("dropout3d", (60, 2, 2, 2)),
                ("feature_alpha_dropout", (400, 5, 3, 2))]


def distinct(values):
    return np.unique(np.round(np.asarray(values, dtype=np.float64), 6))


@pytest.mark.parametrize("name,shape", CHANNEL_WISE, ids=[f"{n}{s}" for n, s in CHANNEL_WISE])
@pytest.mark.parametrize("p", [0.2, 0.6])
def test_channel_wise_dropout_zeroes_whole_channels_at_rate_p_with_pytorchs_values(torch, name, shape, p):
    minigrad.manual_seed(1)
    torch.manual_seed(1)
    x = minigrad.ones(*shape, dtype=minigrad.float64, requires_grad=True)
    out = getattr(F, name)(x, p, training=True)
    values = out.detach().numpy()
    batched = len(shape) in (3, 4, 5) and shape[0] == 400
    channels = values.reshape(shape[0] * shape[1], -1) if batched else values.reshape(shape[0], -1)
    assert (channels == channels[:, :1]).all(), "a channel was split"
    reference = getattr(torch.nn.functional, name)(torch.ones(*shape, dtype=torch.float64), p, training=True)
    np.testing.assert_allclose(distinct(values), distinct(reference.numpy()))
    if batched:
        kept = (channels[:, 0] == channels[:, 0].max()).mean()
        assert abs(kept - (1 - p)) < 4 * np.sqrt(p * (1 - p) / channels.shape[0])  # 4 sigma
    out.sum().backward()
    if "alpha" in name:  # out = a * x * keep + b: the gradient is a where kept, 0 where dropped
        a = 1 / np.sqrt((1.7580993408473766**2 * p + 1) * (1 - p))
        np.testing.assert_allclose(x.grad.numpy(), (values == values.max()) * a)
    else:  # x is all ones, so the output IS the gradient: 0 or 1 / (1 - p)
        np.testing.assert_allclose(x.grad.numpy(), values)


@pytest.mark.parametrize("name", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_keeps_zero_mean_and_unit_variance_and_pytorchs_values(torch, name):
    minigrad.manual_seed(2)
    torch.manual_seed(2)
    data = np.random.default_rng(3).standard_normal((200, 50, 4))
    x = minigrad.tensor(data, requires_grad=True)
    out = getattr(F, name)(x, 0.3, training=True)
    assert abs(out.detach().numpy().mean()) < 0.05 and abs(out.detach().numpy().std() - 1) < 0.05
    ones = getattr(F, name)(minigrad.ones(300, 4, 2, dtype=minigrad.float64), 0.3, training=True)
    theirs = getattr(torch.nn.functional, name)(torch.ones(300, 4, 2, dtype=torch.float64), 0.3, training=True)
    np.testing.assert_allclose(distinct(ones.numpy()), distinct(theirs.numpy()))
    out.sum().backward()
    a = 1 / np.sqrt((1.7580993408473766**2 * 0.3 + 1) * 0.7)
    np.testing.assert_allclose(distinct(x.grad.numpy()), [0.0, round(a, 6)])


LAYERS = {"Dropout1d": "dropout1d", "Dropout2d": "dropout2d", "Dropout3d": "dropout3d",
          "AlphaDropout": "alpha_dropout", "FeatureAlphaDropout": "feature_alpha_dropout"}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_print_as_pytorch_and_are_the_identity_in_eval_mode(torch, name):
    for args in ((), (0.25, True)):
        assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    layer = getattr(nn, name)(0.5).eval()
    x = minigrad.randn(2, 3, 2, 2, 2) if name == "Dropout3d" else minigrad.randn(2, 3, 4)
    assert layer(x) is x
    assert getattr(F, LAYERS[name])(x, 0.5, training=False) is x


def test_functional_alpha_dropout_defaults_to_evaluation_as_pytorch():
    x = minigrad.randn(3, 4)
    assert F.alpha_dropout(x) is x and F.feature_alpha_dropout(x) is x
    assert F.alpha_dropout(x, 1.0, training=True).abs().sum().item() == 0


def test_inplace_channel_dropout_writes_into_its_input():
    minigrad.manual_seed(4)
    x = minigrad.ones(50, 3, 2)
    out = F.dropout1d(x, 0.5, inplace=True)
    assert out is x and set(np.unique(x.numpy())) == {0.0, 2.0}
    unbatched = minigrad.ones(40, 3)
    assert F.dropout1d(unbatched, 0.5, inplace=True) is unbatched and 0.0 in unbatched.numpy()


def test_bad_ranks_and_probabilities_are_named():
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input"):
        F.dropout1d(minigrad.randn(2, 3, 4, 5))
    with pytest.raises(RuntimeError, match="Expected 4D or 5D input"):
        F.dropout3d(minigrad.randn(2, 3, 4))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.alpha_dropout(minigrad.randn(2), -0.1, training=True)
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):
        F.dropout2d(minigrad.randn(2, 3, 4))
    with pytest.warns(UserWarning, match="deprecated"):
        F.dropout2d(minigrad.randn(2, 3, 4, 5, 6))
