"""lr_scheduler.StepLR: the schedule, get_last_lr and checkpoints, against PyTorch."""

from __future__ import annotations

import pytest

import minigrad
from minigrad import optim
from minigrad.optim.lr_scheduler import LRScheduler, StepLR


def two_group_optimizers(torch):
    ours = optim.SGD(
        [{"params": [minigrad.zeros(1, requires_grad=True)]},
         {"params": [minigrad.zeros(1, requires_grad=True)], "lr": 0.5}],
        lr=0.1, momentum=0.9,
    )
    theirs = torch.optim.SGD(
        [{"params": [torch.zeros(1, requires_grad=True)]},
         {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.5}],
        lr=0.1, momentum=0.9,
    )
    return ours, theirs


@pytest.mark.parametrize("step_size, gamma", [(1, 0.5), (3, 0.1), (4, 0.9)])
def test_step_lr_schedule_matches_pytorch(torch, step_size, gamma):
    optimizer, reference_optimizer = two_group_optimizers(torch)
    scheduler = StepLR(optimizer, step_size=step_size, gamma=gamma)
    reference = torch.optim.lr_scheduler.StepLR(reference_optimizer, step_size=step_size, gamma=gamma)
    assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-15)
    for _ in range(12):
        optimizer.step()
        reference_optimizer.step()
        scheduler.step()
        reference.step()
        assert scheduler.get_last_lr() == pytest.approx(reference.get_last_lr(), rel=1e-15)
        assert [g["lr"] for g in optimizer.param_groups] == scheduler.get_last_lr()
    assert scheduler.last_epoch == reference.last_epoch == 12
    assert [g["initial_lr"] for g in optimizer.param_groups] == [0.1, 0.5]


def test_step_lr_state_dict_round_trips_through_save_and_load(tmp_path):
    optimizer = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        scheduler.step()
    path = tmp_path / "checkpoint.npz"
    minigrad.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, path)
    checkpoint = minigrad.load(path)

    resumed_optimizer = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    resumed = StepLR(resumed_optimizer, step_size=7, gamma=0.9)
    resumed.load_state_dict(checkpoint["scheduler"])
    assert resumed.step_size == 2 and resumed.last_epoch == 3
    for _ in range(4):
        scheduler.step()
        resumed.step()
        assert resumed.get_last_lr() == scheduler.get_last_lr()
    assert resumed.get_last_lr() == [1.0 * 0.5**3]


def test_resuming_needs_initial_lr_and_step_size_must_be_positive():
    optimizer = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(optimizer, step_size=2, last_epoch=4)
    with pytest.raises(ValueError, match="positive integer"):
        StepLR(optimizer, step_size=0)


def test_stepping_to_an_explicit_epoch_uses_the_closed_form(torch):
    optimizer = optim.SGD([minigrad.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = StepLR(optimizer, step_size=2, gamma=0.1)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(5)
    assert scheduler.get_last_lr() == pytest.approx([0.01])


def test_a_custom_scheduler_only_writes_get_lr():
    class Halving(LRScheduler):
        def get_lr(self):
            return [base / 2**self.last_epoch for base in self.base_lrs]

    optimizer = optim.Adam([minigrad.zeros(1, requires_grad=True)], lr=0.8)
    scheduler = Halving(optimizer)
    scheduler.step()
    scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.2)
