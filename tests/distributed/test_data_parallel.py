"""DistributedDataParallel: 2 real ranks against one process (workers/data_parallel.py), and
the reducer's logic in a world of one process (fast, in this process)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import minigrad
import minigrad.nn as nn
from minigrad.nn.parallel import DistributedDataParallel as DDP
from minigrad.nn.parallel import reducer as reducer_module
from tests.conftest import mnist_dir


def test_two_ranks_train_like_one_process_with_the_whole_batch(run_ranks, tmp_path):
    # 2 ranks x batch 32 for 20 SGD steps == 1 process x batch 64 to 1e-6 (float64, real MNIST);
    # buckets, shared and unused parameters, no_sync(), buffers and a checkpoint round trip.
    result = run_ranks("data_parallel.py", str(tmp_path), str(mnist_dir()), timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]
    for rank in (0, 1):
        assert f"data parallel ok on rank {rank}" in result.stdout, result.stdout
    assert "largest weight difference from 1 process x batch 64" in result.stdout


def small_model() -> nn.Module:
    minigrad.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2)).double()


def test_in_a_world_of_one_gradients_are_the_plain_ones(world_of_one):
    model = small_model()
    reference = copy.deepcopy(model)
    ddp = DDP(model, bucket_cap_mb=1e-6)
    x = minigrad.randn(4, 3, dtype="float64")
    for _ in range(2):  # the second backward accumulates into .grad, as without DDP
        ddp(x).sum().backward()
        reference(x).sum().backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_buckets_start_during_backward_as_soon_as_their_gradients_are_ready(world_of_one, monkeypatch):
    model = small_model()
    ddp = DDP(model, bucket_cap_mb=1e-6)  # one bucket per parameter
    events = []
    launch = minigrad.distributed.all_reduce

    def recording_all_reduce(tensor, *args, **kwargs):
        events.append(("launch", tensor.numel()))
        return launch(tensor, *args, **kwargs)

    monkeypatch.setattr(reducer_module.dist, "all_reduce", recording_all_reduce)
    for index, param in enumerate(model.parameters()):
        param.register_hook(lambda grad, index=index: events.append(("gradient", index)))
    ddp(minigrad.randn(4, 3, dtype="float64")).sum().backward()
    # Reverse order: the last layer's bucket is launched before the first layer's gradient exists.
    launches = [i for i, event in enumerate(events) if event[0] == "launch"]
    first_layer_gradient = events.index(("gradient", 0))
    assert len(launches) == 6 and launches[0] < first_layer_gradient


def test_bucket_sizes_follow_bucket_cap_mb_in_reverse_order(world_of_one):
    model = small_model()  # parameters of 24, 3... floats
    assert [b.indices for b in DDP(model).reducer.buckets] == [[5, 4, 3, 2, 1, 0]]
    assert [b.indices for b in DDP(model, bucket_cap_mb=1e-6).reducer.buckets] == [[5], [4], [3], [2], [1], [0]]
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        DDP(model, bucket_cap_mb=0)


def test_a_parameter_that_gets_no_gradient_is_named_at_the_next_forward(world_of_one):
    class TwoHeads(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = nn.Linear(2, 1), nn.Linear(2, 1)

        def forward(self, x):
            return self.a(x), self.b(x)

    ddp = DDP(TwoHeads())
    first, _ = ddp(minigrad.randn(3, 2))
    first.sum().backward()  # b is in the graph but its output is not in the loss
    with pytest.raises(RuntimeError, match=r"expected to have finished reduction.*b\.weight, b\.bias"):
        ddp(minigrad.randn(3, 2))


def test_a_forward_without_backward_and_no_grad_forwards_are_fine(world_of_one):
    model = small_model()
    ddp = DDP(model)
    x = minigrad.randn(4, 3, dtype="float64")
    ddp(x)  # e.g. a validation loss computed with grad mode on
    with minigrad.no_grad():
        ddp(x)
    ddp(x).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_two_forwards_then_one_backward_reduces_the_summed_gradient_once(world_of_one):
    # The engine delivers each parameter's contributions summed, once (as PyTorch's
    # AccumulateGrad), so both forwards' parts arrive together before the bucket is averaged.
    model = small_model()
    reference = copy.deepcopy(model)
    ddp = DDP(model)
    x = minigrad.randn(4, 3, dtype="float64")
    first, second = ddp(x), ddp(x * 2)
    (first + second).sum().backward()
    (reference(x) + reference(x * 2)).sum().backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14)


def test_a_loss_used_twice_is_one_delivery_and_a_second_backward_is_an_error(world_of_one):
    model = small_model()
    reference = copy.deepcopy(model)
    ddp = DDP(model)
    x = minigrad.randn(4, 3, dtype="float64")
    out = ddp(x).sum()
    (out + out).backward(retain_graph=True)  # one node reached twice: one summed delivery
    ref = reference(x).sum()
    (ref + ref).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-14)
    # PyTorch would add this un-averaged gradient to the average; minigrad refuses.
    with pytest.raises(RuntimeError, match="Call the DDP module itself"):
        out.backward()
    with pytest.raises(RuntimeError, match="Call the DDP module itself"):
        ddp.module(x).sum().backward()
    with ddp.no_sync():  # a DDP forward starts a new iteration: local accumulation is fine
        ddp(x).sum().backward()


def test_the_state_dict_has_the_module_prefix_and_round_trips(world_of_one, tmp_path):
    ddp = DDP(small_model())
    assert list(ddp.state_dict())[:2] == ["module.0.weight", "module.0.bias"]
    assert ddp.module.state_dict().keys() == {k[len("module."):]: 0 for k in ddp.state_dict()}.keys()
    minigrad.save(ddp.state_dict(), tmp_path / "ddp.npz")
    other = DDP(nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 2)).double())
    other.load_state_dict(minigrad.load(tmp_path / "ddp.npz"))
    for p, q in zip(ddp.parameters(), other.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    with pytest.raises(RuntimeError, match="Missing key"):
        other.load_state_dict(ddp.module.state_dict())


def test_construction_errors_say_what_to_do(world_of_one):
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        DDP(nn.ReLU())
    with pytest.raises(TypeError, match="wraps a minigrad.nn.Module"):
        DDP(lambda x: x)
    with pytest.raises(ValueError, match="device_ids"):
        DDP(small_model(), device_ids=[1])
    assert DDP(small_model(), device_ids=None, find_unused_parameters=True).module is not None


def test_without_a_process_group_ddp_says_to_initialise_it():
    with pytest.raises(ValueError, match="init_process_group"):
        DDP(small_model())
