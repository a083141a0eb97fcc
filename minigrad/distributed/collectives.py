"""Collectives on minigrad tensors, with ``torch.distributed``'s signatures.

Each call checks its arguments (the same on every rank, so a bad call fails everywhere before
anything is exchanged), hands C-contiguous arrays to the engine of the tensor's device
(:mod:`mpi_backend` for CPU, :mod:`nccl_backend` for CUDA) and writes results into the tensors
in place. A non-contiguous tensor goes through a contiguous copy (PyTorch's gloo does the same).

``async_op=True`` returns a :class:`Work`; read the tensors after ``work.wait()``.
Results are in-place writes that bump the tensor's version counter, so a tensor saved for
backward and then reduced makes backward fail loudly (PyTorch's collectives leave the counter
alone and backward silently uses the new values).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from minigrad.distributed.process_group import ProcessGroup, default_group
from minigrad.distributed.reduce_op import BITWISE, ReduceOp, as_reduce_op
from minigrad.distributed.work import Work
from minigrad.tensor import Tensor


# --- argument checks ---------------------------------------------------------------------------
def _check_tensor(tensor: Any, parameter: str = "tensor") -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"Invalid function argument. Expected parameter `{parameter}` of type minigrad.Tensor "
            f"but got {type(tensor)} instead."
        )
    if tensor.dtype.kind not in "fiub":
        raise TypeError(f"collectives exchange float, int and bool tensors, got dtype {tensor.dtype}")


def _check_op(op: ReduceOp, tensor: Tensor) -> None:
    kind = tensor.dtype.kind
    if op in BITWISE and kind == "f":
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    if op is ReduceOp.AVG and kind == "b":
        raise RuntimeError("Cannot use ReduceOp.AVG with bool tensors: use SUM/MAX (any) or MIN/PRODUCT (all)")


def _check_like(name: str, reference: Tensor, tensors: Any, world_size: int, what: str) -> list[Tensor]:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}: {what} must be a list of tensors, got {type(tensors).__name__}")
    if len(tensors) != world_size:
        raise RuntimeError(
            f"{name}: invalid {what} (expected length {world_size}, the world size, got {len(tensors)})"
        )
    for index, tensor in enumerate(tensors):
        _check_tensor(tensor, what)
        if tuple(tensor.shape) != tuple(reference.shape):
            raise RuntimeError(
                f"{name}: invalid tensor size at index {index} of {what} "
                f"(expected {tuple(reference.shape)}, got {tuple(tensor.shape)})"
            )
        if tensor.dtype != reference.dtype or tensor.device != reference.device:
            raise RuntimeError(
                f"{name}: tensor {index} of {what} is {tensor.dtype} on {tensor.device}, but the other "
                f"tensor is {reference.dtype} on {reference.device}: they must match"
            )
    return list(tensors)


def _check_rank(name: str, rank: Any, world_size: int, what: str) -> int:
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise TypeError(f"{name}: {what} must be an int rank, got {rank!r}")
    if not 0 <= rank < world_size:
        raise RuntimeError(f"{name}: invalid root rank: {rank} (ranks are 0..{world_size - 1})")
    return rank


def _source(name: str, src: Any, group_src: Any, world_size: int) -> int:
    if src is None and group_src is None:
        raise ValueError("Either src or group_src must be set")
    if src is not None and group_src is not None and src != group_src:
        raise ValueError(f"{name}: src={src} and group_src={group_src} disagree (there is one group: give one)")
    return _check_rank(name, src if src is not None else group_src, world_size, "src")


# --- moving arrays in and out of tensors --------------------------------------------------------
def _device_scope(tensor: Tensor) -> Any:
    return tensor.backend.activate()


def _contiguous(tensor: Tensor) -> Any:
    array = tensor._array
    if array.flags.c_contiguous and array.flags.writeable:
        return array
    return tensor.backend.xp.ascontiguousarray(array)


def _write_back(tensor: Tensor, array: Any) -> None:
    if array is not tensor._array:
        with _device_scope(tensor):
            tensor._array[...] = array.reshape(tensor.shape)
    tensor._mark_modified()


def _finish(work: Work, async_op: bool) -> Work | None:
    if async_op:
        return work
    work.wait()
    return None


def _engine(group: ProcessGroup, tensor: Tensor) -> Any:
    return group.backend_for(tensor.backend.type)


# --- the collectives ----------------------------------------------------------------------------
def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Replace ``tensor`` on every rank by the reduction (``op``) of all ranks' ``tensor``."""
    _check_tensor(tensor)
    op = as_reduce_op(op)
    _check_op(op, tensor)
    group = default_group(group)
    engine = _engine(group, tensor)
    with _device_scope(tensor):
        array = _contiguous(tensor)
        work = engine.all_reduce(array, op)
    return _finish(work.then(lambda: _write_back(tensor, array)), async_op)


def broadcast(tensor: Tensor, src: int | None = None, group: ProcessGroup | None = None,
              async_op: bool = False, group_src: int | None = None) -> Work | None:
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    _check_tensor(tensor)
    group = default_group(group)
    root = _source("broadcast", src, group_src, group.size())
    engine = _engine(group, tensor)
    with _device_scope(tensor):
        array = _contiguous(tensor)
        work = engine.broadcast(array, root)
    return _finish(work.then(lambda: _write_back(tensor, array)), async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: ProcessGroup | None = None,
               async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` with rank r's ``tensor``, on every rank."""
    _check_tensor(tensor)
    group = default_group(group)
    outputs = _check_like("all_gather", tensor, tensor_list, group.size(), "output tensor list")
    engine = _engine(group, tensor)
    with _device_scope(tensor):
        gathered = tensor.backend.xp.empty((group.size(), *tensor.shape), dtype=tensor.dtype)
        work = engine.all_gather(gathered, _contiguous(tensor))

    def scatter_rows() -> None:
        for row, output in enumerate(outputs):
            _write_back(output, gathered[row])

    return _finish(work.then(scatter_rows), async_op)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group: ProcessGroup | None = None,
                           async_op: bool = False) -> Work | None:
    """Rank r's ``input_tensor`` becomes slice r of ``output_tensor`` (``world_size`` times as
    many elements: stacked or concatenated along dim 0)."""
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    group = default_group(group)
    _check_sizes("all_gather_into_tensor", output_tensor, input_tensor, group.size())
    engine = _engine(group, input_tensor)
    with _device_scope(input_tensor):
        gathered = _contiguous(output_tensor).reshape(group.size(), *input_tensor.shape)
        work = engine.all_gather(gathered, _contiguous(input_tensor))
    return _finish(work.then(lambda: _write_back(output_tensor, gathered)), async_op)


def reduce_scatter(output: Tensor, input_list: list[Tensor], op: ReduceOp = ReduceOp.SUM,
                   group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Rank r's ``output`` becomes the reduction of every rank's ``input_list[r]``."""
    _check_tensor(output, "output")
    op = as_reduce_op(op)
    _check_op(op, output)
    group = default_group(group)
    inputs = _check_like("reduce_scatter", output, input_list, group.size(), "input tensor list")
    engine = _engine(group, output)
    with _device_scope(output):
        stacked = output.backend.xp.stack([t._array for t in inputs])
        result = _contiguous(output)
        work = engine.reduce_scatter(result, stacked, op)
    return _finish(work.then(lambda: _write_back(output, result)), async_op)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op: ReduceOp = ReduceOp.SUM,  # noqa: A002
                          group: ProcessGroup | None = None, async_op: bool = False) -> Work | None:
    """Rank r's ``output`` becomes the reduction of slice r of every rank's ``input``."""
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    op = as_reduce_op(op)
    _check_op(op, output)
    group = default_group(group)
    _check_sizes("reduce_scatter_tensor", input, output, group.size())
    engine = _engine(group, output)
    with _device_scope(output):
        stacked = _contiguous(input).reshape(group.size(), *output.shape)
        result = _contiguous(output)
        work = engine.reduce_scatter(result, stacked, op)
    return _finish(work.then(lambda: _write_back(output, result)), async_op)


def _check_sizes(name: str, whole: Tensor, part: Tensor, world_size: int) -> None:
    if whole.numel() != world_size * part.numel() or whole.dtype != part.dtype or whole.device != part.device:
        raise RuntimeError(
            f"{name}: the larger tensor must have world_size ({world_size}) times the elements of the "
            f"other, with the same dtype and device; got {tuple(whole.shape)} {whole.dtype} on "
            f"{whole.device} and {tuple(part.shape)} {part.dtype} on {part.device}"
        )


def barrier(group: ProcessGroup | None = None, async_op: bool = False, device_ids: Any = None,
            timeout: timedelta | None = None) -> Work | None:
    """Return only when every rank has called ``barrier`` (``timeout`` overrides the group's)."""
    group = default_group(group)
    engine = group.devices.get("cpu") or next(iter(group.devices.values()))
    work = engine.barrier()
    if async_op:
        return work
    work.wait(timeout)
    return None


def all_gather_object(object_list: list, obj: Any, group: ProcessGroup | None = None) -> None:
    """Fill ``object_list[r]`` with rank r's ``obj`` (any picklable object), on every rank."""
    group = default_group(group)
    if not isinstance(object_list, list) or len(object_list) != group.size():
        raise ValueError(
            f"all_gather_object: object_list must be a list of world_size ({group.size()}) items to fill, "
            f"e.g. [None] * get_world_size()"
        )
    object_list[:] = group.mpi.all_gather_object(obj)


def broadcast_object_list(object_list: list, src: int | None = None, group: ProcessGroup | None = None,
                          device: Any = None, group_src: int | None = None) -> None:
    """Replace the items of ``object_list`` on every rank with rank ``src``'s (picklable) items."""
    group = default_group(group)
    root = _source("broadcast_object_list", src, group_src, group.size())
    if not isinstance(object_list, list):
        raise TypeError(f"broadcast_object_list: object_list must be a list, got {type(object_list).__name__}")
    received = group.mpi.broadcast_object(list(object_list), root)
    if len(received) != len(object_list):
        raise RuntimeError(
            f"broadcast_object_list: rank {root} sent {len(received)} objects but this rank's list has "
            f"{len(object_list)} places: give every rank a list of the same length"
        )
    object_list[:] = received


__all__ = [
    "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
    "reduce_scatter_tensor", "barrier", "all_gather_object", "broadcast_object_list",
]
