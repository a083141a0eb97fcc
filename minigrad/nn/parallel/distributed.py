"""``DistributedDataParallel``: every rank trains a replica; gradients are averaged in backward.

    dist.init_process_group("mpi")
    model = DistributedDataParallel(model)       # rank 0's weights are copied to every rank
    loss = loss_fn(model(local_batch), labels)   # each rank its own shard of the batch
    loss.backward()                              # .grad = the average over ranks
    optimizer.step()                             # identical steps: replicas stay identical

With a mean loss, ``world_size`` ranks of batch ``B`` take the same step as one process with
batch ``world_size * B``. See :mod:`minigrad.nn.parallel.reducer` for how the averaging overlaps
backward.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from minigrad import distributed as dist
from minigrad.autograd.grad_mode import is_grad_enabled, no_grad
from minigrad.nn.module import Module
from minigrad.nn.parallel.reducer import Reducer, bucket_cap
from minigrad.tensor import Tensor


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    Args:
        module: the model; ``ddp.module`` is it, and ``ddp.state_dict()`` has its keys with the
            ``module.`` prefix, as PyTorch (save ``ddp.module.state_dict()`` for prefix-free keys).
        device_ids, output_device: accepted for PyTorch's signature; the module stays where it is
            (one device per process), so they must be ``None`` or name that device.
        broadcast_buffers: copy rank 0's buffers (batch-norm statistics) to every rank at the
            start of each forward.
        init_sync: copy rank 0's parameters and buffers to every rank now (default True).
        bucket_cap_mb: the size of a gradient bucket (default 25 MiB; the first is 1 MiB).
        find_unused_parameters: accepted; parameters that get no gradient are always found
            (each forward walks its graph), so ``True`` and ``False`` behave the same.
        gradient_as_bucket_view, static_graph: accepted; no effect on the results.

    The parameter names, shapes and dtypes must be the same on every rank: a mismatch is an
    error here, on every rank, naming the first difference.
    """

    def __init__(
        self,
        module: Module,
        device_ids: list | None = None,
        output_device: Any = None,
        dim: int = 0,
        broadcast_buffers: bool = True,
        init_sync: bool = True,
        process_group: Any = None,
        bucket_cap_mb: float | None = None,
        find_unused_parameters: bool = False,
        check_reduction: bool = False,
        gradient_as_bucket_view: bool = False,
        static_graph: bool = False,
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel wraps a minigrad.nn.Module, got {type(module).__name__}")
        dist.process_group.default_group(process_group)  # initialised, and the default group
        if dim != 0:
            raise ValueError("DistributedDataParallel: only dim=0 (the batch dimension) is supported")
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter that "
                "requires a gradient."
            )
        _check_devices(named, device_ids, output_device)
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        verify_same_model_on_all_ranks(module)
        if init_sync:
            broadcast_coalesced([p for _, p in module.named_parameters()] + [b for _, b in module.named_buffers()])
        self.reducer = Reducer([p for _, p in named], [n for n, _ in named], bucket_cap(bucket_cap_mb))

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if self.broadcast_buffers and dist.get_world_size() > 1:
            buffers = [b for _, b in self.module.named_buffers()]
            if buffers:
                broadcast_coalesced(buffers)
        output = self.module(*inputs, **kwargs)
        if self.require_backward_grad_sync and is_grad_enabled():
            self.reducer.prepare_for_backward(output)
        else:
            self.reducer.disarm()
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward inside keeps gradients local (they accumulate in ``.grad``); the first
        backward after it averages the accumulated gradients (run its forward outside)."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _check_devices(named: list, device_ids: Any, output_device: Any) -> None:
    devices = {str(p.device) for _, p in named}
    if len(devices) > 1:
        raise ValueError(
            f"DistributedDataParallel: the module's parameters are on several devices ({sorted(devices)}); "
            "one device per process is supported: move the module with .to(device)"
        )
    (device,) = devices
    wanted = [str(d) for d in (device_ids or [])] + ([str(output_device)] if output_device is not None else [])
    for name in wanted:
        normalised = name if not name.isdigit() else f"cuda:{name}"
        if normalised not in (device, device.split(":")[0]):
            raise ValueError(
                f"DistributedDataParallel: device_ids/output_device name {name}, but the module is on "
                f"{device}: move the module there first (module.to(...)), or leave them None"
            )


def _describe(module: Module) -> list[tuple]:
    parameters = [("parameter", name, tuple(p.shape), str(p.dtype), p.requires_grad)
                  for name, p in module.named_parameters()]
    buffers = [("buffer", name, tuple(b.shape), str(b.dtype), False) for name, b in module.named_buffers()]
    return parameters + buffers


def verify_same_model_on_all_ranks(module: Module) -> None:
    """Raise on every rank, naming the first difference, unless all ranks hold the same
    parameter and buffer names, shapes and dtypes."""
    world = [None] * dist.get_world_size()
    dist.all_gather_object(world, _describe(module))
    reference = world[0]
    for rank, described in enumerate(world[1:], start=1):
        if described == reference:
            continue
        counts = {kind: (sum(1 for d in described if d[0] == kind), sum(1 for d in reference if d[0] == kind))
                  for kind in ("parameter", "buffer")}
        for kind, (theirs, ours) in counts.items():
            if theirs != ours:
                raise RuntimeError(
                    f"DistributedDataParallel: the model differs between ranks: rank {rank} has {theirs} "
                    f"{kind}s but rank 0 has {ours}. Build the same model on every rank."
                )
        for mine, first in zip(described, reference):
            if mine != first:
                kind, name = first[0], first[1]
                raise RuntimeError(
                    f"DistributedDataParallel: the model differs between ranks: {kind} {name!r} on rank 0 "
                    f"has shape {first[2]}, dtype {first[3]}, requires_grad {first[4]}, but rank {rank}'s "
                    f"{mine[0]} {mine[1]!r} has shape {mine[2]}, dtype {mine[3]}, requires_grad {mine[4]}. "
                    "Build the same model on every rank."
                )


@no_grad()
def broadcast_coalesced(tensors: list[Tensor], src: int = 0) -> None:
    """Copy rank ``src``'s values of ``tensors`` into everyone's: one broadcast per dtype and
    device, of all of them flattened together."""
    groups: dict[tuple, list[Tensor]] = {}
    for tensor in tensors:
        groups.setdefault((tensor.dtype, str(tensor.device)), []).append(tensor)
    for members in groups.values():
        backend = members[0].backend
        xp = backend.xp
        with backend.activate():
            flat = Tensor._make(xp.concatenate([t._array.reshape(-1) for t in members]), backend)
        dist.broadcast(flat, src=src)
        offset = 0
        with backend.activate():
            for tensor in members:
                size = tensor.numel()
                tensor._array[...] = flat._array[offset:offset + size].reshape(tensor.shape)
                tensor._mark_modified()
                offset += size
