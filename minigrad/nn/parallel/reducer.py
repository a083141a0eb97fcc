"""The gradient reducer of ``DistributedDataParallel``: buckets averaged during backward.

Parameters are grouped into buckets (flat arrays of one dtype and device, at most
``bucket_cap_mb``; the first one small so that communication starts early), in reverse
registration order, roughly the order backward produces their gradients (PyTorch's rule).

A gradient hook on every parameter (``p.register_hook``) copies each arriving gradient into the
parameter's slot of its bucket. minigrad's engine runs a leaf's hooks *before* adding into
``.grad``, once per backward with a parameter's contributions summed (as PyTorch's
AccumulateGrad), as soon as every node leading to it has run. The reducer finds at forward time
which parameters the graph reaches: when all of a bucket's parameters have arrived the bucket's
all-reduce starts (asynchronously), while backward goes on with earlier layers.
Buckets start in index order on every rank, as collectives must be matched. The hook returns a
zero gradient, so the engine adds nothing; the last bucket's start waits for all buckets and
writes the averages into ``.grad``.

What is reduced is the whole gradient: what ``.grad`` held before (``no_sync()`` steps) plus
this backward's contributions, as in PyTorch. Each bucket also carries one "used" count per
parameter, so a parameter no rank used keeps ``.grad`` as it was (``None``).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

from minigrad import distributed as dist
from minigrad.tensor import Tensor

# PyTorch's defaults: 25 MiB buckets, the first one 1 MiB.
DEFAULT_BUCKET_CAP_MB = 25.0
FIRST_BUCKET_MB = 1.0

# What a hook sees: gradients stay local (no_sync(), or no DDP forward yet), this iteration's
# gradients are being collected, or they have been averaged. A gradient arriving then is an
# error: it would be added, un-averaged, on top of the average (two forwards and one backward,
# a second backward through one forward, or a backward through ``ddp.module`` alone). PyTorch
# accumulates such gradients locally without a word; replicas then silently drift apart.
IDLE, COLLECTING, REDUCED = "idle", "collecting", "reduced"


class Bucket:
    """Parameters reduced together: one flat array (their gradients, then a used-count each)."""

    def __init__(self, indices: list[int], params: list[Tensor]) -> None:
        self.indices = indices
        first = params[indices[0]]
        self.backend = first.backend
        self.offsets: list[int] = []
        total = 0
        for index in indices:
            self.offsets.append(total)
            total += params[index].numel()
        self.numel = total
        with self.backend.activate():
            flat = self.backend.xp.zeros(total + len(indices), dtype=first.dtype)
        self.flat = Tensor._make(flat, self.backend)
        self.slots = [
            flat[offset:offset + params[index].numel()].reshape(params[index].shape)
            for offset, index in zip(self.offsets, indices)
        ]
        self.used = flat[total:]
        self.waiting = 0  # parameters not ready yet, this iteration
        self.work: Any = None


def assign_buckets(params: list[Tensor], bucket_cap_mb: float, first_bucket_mb: float) -> list[list[int]]:
    """Parameter indices per bucket: reverse order, split by dtype and device and by size."""
    buckets: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    cap = min(first_bucket_mb, bucket_cap_mb) * 2**20
    key = None
    for index in reversed(range(len(params))):
        param = params[index]
        param_key = (param.dtype, param.device)
        size = param.numel() * param.dtype.itemsize
        if current and (param_key != key or current_bytes + size > cap):
            buckets.append(current)
            current, current_bytes, cap = [], 0, bucket_cap_mb * 2**20
        current.append(index)
        current_bytes += size
        key = param_key
    if current:
        buckets.append(current)
    return buckets


class Reducer:
    """Averages the gradients of ``params`` over the process group during backward."""

    def __init__(self, params: list[Tensor], names: list[str], bucket_cap_mb: float,
                 first_bucket_mb: float = FIRST_BUCKET_MB) -> None:
        self.params = params
        self.names = names
        self.world_size = dist.get_world_size()
        self.buckets = [Bucket(indices, params) for indices in assign_buckets(params, bucket_cap_mb, first_bucket_mb)]
        self.bucket_of = [0] * len(params)
        self.slot_of = [0] * len(params)
        for number, bucket in enumerate(self.buckets):
            for position, index in enumerate(bucket.indices):
                self.bucket_of[index], self.slot_of[index] = number, position
        self.state = IDLE
        self.expected = [0] * len(params)  # contributions still to come, per parameter
        self.started = [False] * len(params)  # whether the slot holds this iteration's values
        self.used_here = [False] * len(params)  # whether this rank delivered a gradient
        self.next_bucket = 0
        self.arrived = False  # whether any gradient arrived since the last forward
        self._zeros = [_zero_gradient(p) for p in params]
        this = weakref.ref(self)  # the hooks must not keep a deleted DDP alive
        for index, param in enumerate(params):
            param.register_hook(_make_hook(this, index))

    # --- forward: what backward will deliver -----------------------------------------------
    def prepare_for_backward(self, outputs: Any) -> None:
        """Arm the reducer for the backward of ``outputs`` (called at the end of forward)."""
        self._check_previous_iteration()
        edges = count_edges_to_leaves(outputs, {id(p): i for i, p in enumerate(self.params)})
        self.expected = [min(count, 1) for count in edges]  # one summed delivery per reached parameter
        self.started = [False] * len(self.params)
        self.used_here = [False] * len(self.params)
        self.next_bucket = 0
        self.arrived = False
        for bucket in self.buckets:
            bucket.work = None
            bucket.waiting = sum(1 for index in bucket.indices if self.expected[index] > 0)
            bucket.used[...] = 0
        self.state = COLLECTING

    def disarm(self) -> None:
        """Gradients of the coming backward stay local (``no_sync()``, or no graph)."""
        self._check_previous_iteration()
        self.state = IDLE

    def _check_previous_iteration(self) -> None:
        if self.state != COLLECTING or not self.arrived:
            return  # nothing arrived last time (a forward without backward): start afresh
        missing = [self.names[i] for i in range(len(self.params)) if self.expected[i] > 0]
        raise RuntimeError(
            "DistributedDataParallel: expected to have finished reduction in the prior iteration before "
            "starting a new one: these parameters did not receive all their gradients in the last "
            f"backward: {', '.join(missing)}. Make sure every output of forward takes part in the loss, "
            "and call forward once per backward (use no_sync() to accumulate gradients)."
        )

    # --- backward: one hook call per parameter (its contributions summed) ------------------------------------
    def on_gradient(self, index: int, grad: Tensor) -> Tensor | None:
        if self.state == IDLE:
            return None  # an ordinary local accumulation
        if self.state == REDUCED or self.expected[index] == 0:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self.names[index]!r} received a gradient after "
                "its bucket was averaged over the ranks. Call the DDP module itself (not ddp.module) "
                "once before every backward, and backward once per forward (no_sync() accumulates "
                "gradients over several forward/backward pairs)."
            )
        self.arrived = True
        with grad.backend.activate():
            if not self.started[index]:
                self._start_slot(index, grad._array)
            else:
                slot = self.buckets[self.bucket_of[index]].slots[self.slot_of[index]]
                slot += grad._array
        self.expected[index] -= 1
        if self.expected[index] == 0:
            bucket = self.buckets[self.bucket_of[index]]
            bucket.waiting -= 1
            self._launch_ready_buckets()
        self._poll()
        return self._zeros[index]

    def _start_slot(self, index: int, grad_array: Any) -> None:
        """The slot's first value this iteration: the gradient held so far plus ``grad_array``."""
        bucket = self.buckets[self.bucket_of[index]]
        position = self.slot_of[index]
        slot = bucket.slots[position]
        held = self.params[index].grad
        with bucket.backend.activate():
            if held is None and grad_array is None:
                slot[...] = 0
            elif held is None:
                slot[...] = grad_array
            elif grad_array is None:
                slot[...] = held._array
            else:
                bucket.backend.xp.add(held._array, grad_array, out=slot)
            if grad_array is not None:
                bucket.used[position] = 1
        self.started[index] = True
        self.used_here[index] = grad_array is not None

    def _launch_ready_buckets(self) -> None:
        while self.next_bucket < len(self.buckets) and self.buckets[self.next_bucket].waiting == 0:
            bucket = self.buckets[self.next_bucket]
            for index in bucket.indices:
                if not self.started[index]:  # unused here: contributes what .grad holds, or zeros
                    self._start_slot(index, None)
            bucket.work = dist.all_reduce(bucket.flat, op=dist.ReduceOp.AVG, async_op=True)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finish()

    def _poll(self) -> None:
        # MPI moves data only inside MPI calls: testing the started buckets lets them progress.
        for bucket in self.buckets[:self.next_bucket]:
            if bucket.work is not None:
                bucket.work.is_completed()

    def _finish(self) -> None:
        """Wait for every bucket and write the averages into ``.grad``."""
        for bucket in self.buckets:
            bucket.work.wait()
            used_anywhere = None  # read from the device only when needed (a GPU would wait)
            with bucket.backend.activate():
                for position, index in enumerate(bucket.indices):
                    param = self.params[index]
                    if param.grad is None and not self.used_here[index]:
                        if used_anywhere is None:
                            used_anywhere = bucket.backend.to_numpy(bucket.used) > 0
                        if not used_anywhere[position]:
                            continue  # no rank used it: .grad stays None, as in PyTorch
                    slot = bucket.slots[position]
                    if param.grad is None:
                        param.grad = Tensor._make(slot.copy(), bucket.backend)
                    else:
                        param.grad._array[...] = slot
                        param.grad._mark_modified()
        self.state = REDUCED


def _zero_gradient(param: Tensor) -> Tensor:
    """What a hook returns so that the engine adds nothing: zeros that take no memory."""
    xp = param.backend.xp
    with param.backend.activate():
        zeros = xp.broadcast_to(xp.zeros((), dtype=param.dtype), param.shape)
    return Tensor._make(zeros, param.backend)


def _make_hook(reducer: Any, index: int) -> Any:
    def hook(grad: Tensor) -> Tensor | None:
        alive = reducer()
        return None if alive is None else alive.on_gradient(index, grad)

    return hook


def count_edges_to_leaves(outputs: Any, leaf_index: dict[int, int]) -> list[int]:
    """For each leaf in ``leaf_index`` (id -> position), how many graph edges reach it from
    ``outputs`` (tensors, nested in tuples, lists and dicts): the number of gradient
    contributions one backward will deliver to it."""
    counts = [0] * len(leaf_index)
    stack = [t.grad_fn for t in _tensors_in(outputs) if t.grad_fn is not None]
    seen = set(stack)
    for t in _tensors_in(outputs):
        if t.grad_fn is None and id(t) in leaf_index and t.requires_grad:
            counts[leaf_index[id(t)]] += 1  # an output that is a parameter itself
    while stack:
        node = stack.pop()
        for edge in node.next_functions:
            if edge is None:
                continue
            source = edge[0]
            if isinstance(source, Tensor):
                position = leaf_index.get(id(source))
                if position is not None:
                    counts[position] += 1
            elif source not in seen:
                seen.add(source)
                stack.append(source)
    return counts


def _tensors_in(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors_in(item)]
    return []


def bucket_cap(bucket_cap_mb: float | None) -> float:
    if bucket_cap_mb is None:
        return DEFAULT_BUCKET_CAP_MB
    if not (isinstance(bucket_cap_mb, (int, float)) and math.isfinite(bucket_cap_mb) and bucket_cap_mb > 0):
        raise ValueError(f"bucket_cap_mb must be a positive number of MiB, got {bucket_cap_mb!r}")
    return float(bucket_cap_mb)
