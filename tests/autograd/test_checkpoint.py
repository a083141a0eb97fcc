"""minigrad.utils.checkpoint against torch.utils.checkpoint: the same values and gradients
(inputs and parameters), dropout replayed with the same mask, and checkpoint_sequential."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.utils.checkpoint import checkpoint, checkpoint_sequential


def twin_models(torch):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 8), torch.nn.ReLU(),
                                 torch.nn.Linear(8, 2)).double()
    ours = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2)).double()
    ours.load_state_dict({k: minigrad.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    return theirs, ours


@pytest.mark.parametrize("input_requires_grad", [True, False])
@pytest.mark.parametrize("sequential", [False, True])
def test_checkpointed_gradients_equal_pytorch(torch, input_requires_grad, sequential):
    import torch.utils.checkpoint as torch_checkpoint

    theirs, ours = twin_models(torch)
    x = np.random.default_rng(0).standard_normal((3, 4))
    tx = torch.tensor(x, requires_grad=input_requires_grad)
    mx = minigrad.tensor(x, requires_grad=input_requires_grad)
    if sequential:
        t_out = torch_checkpoint.checkpoint_sequential(theirs, 2, tx, use_reentrant=False)
        m_out = checkpoint_sequential(ours, 2, mx, use_reentrant=False)
    else:
        t_out = torch_checkpoint.checkpoint(theirs, tx, use_reentrant=False)
        m_out = checkpoint(ours, mx, use_reentrant=False)
    np.testing.assert_allclose(m_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-12)
    (t_out**2).sum().backward()
    (m_out**2).sum().backward()
    for (name, p), q in zip(theirs.named_parameters(), ours.parameters()):
        np.testing.assert_allclose(q.grad.numpy(), p.grad.numpy(), rtol=1e-10, err_msg=name)
    if input_requires_grad:
        np.testing.assert_allclose(mx.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_recomputation_replays_the_same_dropout_mask():
    minigrad.manual_seed(3)
    x = minigrad.ones(200, requires_grad=True)
    dropout = nn.Dropout(0.5)
    y = checkpoint(dropout, x, use_reentrant=False)
    minigrad.rand(7)  # the global stream moves on before backward
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (y.detach().numpy() != 0) * 2.0)
