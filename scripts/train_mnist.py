"""Train a LeNet-style network on MNIST with minigrad.

    python scripts/train_mnist.py                         # LeNet, 3 epochs, CPU
    python scripts/train_mnist.py --device cuda --epochs 5
    python scripts/train_mnist.py --model lenet5 --optimizer sgd --lr 0.05 --momentum 0.9
    python scripts/train_mnist.py --limit 5000 --epochs 1   # a quick look

Flags follow PyTorch's MNIST example. Data: --data-dir, else $MINIGRAD_DATA, else
~/.cache/minigrad (downloaded and MD5-checked when missing). A checkpoint is written atomically
after every epoch (--save); --resume continues exactly where it stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

# Run from a checkout without installing: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minigrad.models import get_model, model_names  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import (
    backends,  # noqa: E402
    optim,  # noqa: E402
)
from minigrad.data import MNIST, FashionMNIST, Subset  # noqa: E402
from minigrad.distributed import launch  # noqa: E402  (mpiexec -n N: data-parallel)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a LeNet-style CNN on MNIST with minigrad.")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: cpu)")
    parser.add_argument("--model", default="lenet", choices=model_names(), help="default: lenet")
    parser.add_argument("--dataset", default="mnist", choices=["mnist", "fashion"], help="default: mnist")
    parser.add_argument("--epochs", type=int, default=3, help="default: 3")
    parser.add_argument("--batch-size", type=int, default=64, help="training batch size (default: 64)")
    parser.add_argument("--test-batch-size", type=int, default=1000, help="default: 1000")
    parser.add_argument("--optimizer", default="sgd", choices=["sgd", "adam"], help="default: sgd")
    parser.add_argument("--lr", type=float, default=None, help="learning rate (default: sgd 0.05, adam 0.001)")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum (default: 0.9)")
    parser.add_argument("--gamma", type=float, default=0.4, help="learning-rate decay per epoch (default: 0.4)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--save", default=None, metavar="PATH", help="checkpoint written after every epoch")
    parser.add_argument("--resume", default=None, metavar="PATH", help="continue from a checkpoint")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="use only N training images")
    parser.add_argument("--log-interval", type=int, default=10, help="batches between progress updates")
    parser.add_argument("--quiet", action="store_true", help="no progress bars (epoch lines stay)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "test_batch_size", "log_interval"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if args.lr is None:
        args.lr = 0.05 if args.optimizer == "sgd" else 1e-3
    if not args.lr > 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    return args


class TrainingError(Exception):
    """A problem the user can fix; main() prints it as one line and exits with code 2."""


def check_device(device: str) -> str:
    """Fail fast, with the fix, when the requested device cannot run here."""
    try:
        kind, _ = backends.parse_device(device)
    except (TypeError, ValueError) as error:
        raise TrainingError(str(error)) from None
    reason = backends.available().get(kind, f"unknown device type {kind!r}")
    if reason is not None:
        raise TrainingError(f"--device {device} is not available: {reason}. Use --device cpu.")
    try:
        return backends.get(device).name
    except (RuntimeError, ValueError) as error:
        raise TrainingError(f"--device {device}: {error}") from None


def load_data(args: argparse.Namespace, log: Any) -> tuple[Any, Any]:
    dataset_class = FashionMNIST if args.dataset == "fashion" else MNIST
    try:
        train_set = dataset_class(args.data_dir, train=True)
        test_set = dataset_class(args.data_dir, train=False)
    except (OSError, RuntimeError, ValueError) as error:
        raise TrainingError(str(error)) from None
    if getattr(train_set, "is_sample", False):
        log(f"WARNING: training on a {len(train_set) + len(test_set):,}-image SAMPLE of MNIST, not the "
            "full data set: accuracy will be lower than published numbers.")
    if args.limit is not None and args.limit < len(train_set):
        train_set = Subset(train_set, range(args.limit))
    return train_set, test_set


def make_optimizer(args: argparse.Namespace, model: Any) -> Any:
    if args.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=args.lr)
    return optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)


def progress(iterable: Any, args: argparse.Namespace, **kwargs: Any) -> Any:
    from tqdm import tqdm

    return tqdm(iterable, disable=args.quiet, file=sys.stderr, dynamic_ncols=True, leave=False, **kwargs)


def train_epoch(model: Any, loader: Any, optimizer: Any, device: str, args: argparse.Namespace,
                epoch: int) -> dict[str, float]:
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    bar = progress(loader, args, desc=f"epoch {epoch}/{args.epochs} train", unit="batch")
    for step, (images, labels) in enumerate(bar, 1):
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        # .item() waits for the device; do it per log interval, not per step, on the GPU.
        if step % args.log_interval == 0 or step == len(loader):
            batch = labels.shape[0]
            total_loss += loss.item() * batch
            correct += int((logits.argmax(1) == labels).sum().item())
            seen += batch
            rate = step * loader.batch_size / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{100 * correct / seen:.2f}%",
                            img_s=f"{rate:,.0f}")
    elapsed = time.perf_counter() - start
    images_seen = min(len(loader) * loader.batch_size, len(loader.dataset))
    return {"train_loss": total_loss / max(seen, 1), "train_accuracy": correct / max(seen, 1),
            "train_seconds": elapsed, "train_images_per_second": images_seen / elapsed}


@minigrad.no_grad()
def evaluate(model: Any, loader: Any, device: str, args: argparse.Namespace) -> dict[str, float]:
    model.eval()
    total_loss, correct = 0.0, 0
    for images, labels in progress(loader, args, desc="test", unit="batch"):
        images, labels = images.to(device), labels.to(device)
        logits = model(images)
        total_loss += F.cross_entropy(logits, labels, reduction="sum").item()
        correct += int((logits.argmax(1) == labels).sum().item())
    count = len(loader.dataset)
    return {"test_loss": total_loss / count, "test_accuracy": correct / count}


def save_checkpoint(path: str, model: Any, optimizer: Any, scheduler: Any, loader: Any, epoch: int,
                    history: list, args: argparse.Namespace) -> None:
    minigrad.save({
        "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(), "loader": loader.state_dict(), "epoch": epoch,
        "history": history, "rng": minigrad.get_rng_state(), "args": vars(args),
    }, path)


def run(args: argparse.Namespace) -> dict[str, Any]:
    def log(message: str) -> None:  # stderr, so that --json output on stdout stays parseable
        if job.is_main:
            print(message, file=sys.stderr, flush=True)

    device = check_device(args.device)
    job = launch.start(args)  # under mpiexec: joins the job, rank 0 alone logs, a GPU per rank
    device = check_device(args.device)
    minigrad.manual_seed(args.seed)
    train_set, test_set = load_data(args, log)
    train_loader = job.train_loader(train_set, args.batch_size, args.seed)  # this rank's share
    test_loader = job.test_loader(test_set, args.test_batch_size)
    model = get_model(args.model).to(device)
    optimizer = make_optimizer(args, model)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)
    first_epoch, history = 1, []
    if args.resume:
        try:
            state = minigrad.load(args.resume)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            train_loader.load_state_dict(state["loader"])
            minigrad.set_rng_state(state["rng"])
        except (OSError, KeyError, ValueError, RuntimeError) as error:
            raise TrainingError(f"cannot resume from {args.resume}: {error}") from None
        model.to(device)
        first_epoch, history = state["epoch"] + 1, state["history"]
        log(f"resumed from {args.resume} after epoch {state['epoch']}")
    trained = job.wrap(model)  # DistributedDataParallel on several ranks
    parameters = sum(p.numel() for p in model.parameters())
    log(f"minigrad {minigrad.__version__} | {args.model} ({parameters:,} parameters) on {device} | "
        f"{len(train_set):,} training and {len(test_set):,} test images | {args.optimizer} lr {args.lr}"
        + (f" | data-parallel: {job.world_size} ranks x batch {args.batch_size}" if job.distributed else ""))
    start = time.perf_counter()
    for epoch in range(first_epoch, args.epochs + 1):
        result = train_epoch(trained, train_loader, optimizer, device, args, epoch)
        result.update(evaluate(model, test_loader, device, args))
        result = job.combine(result, len(test_loader.dataset))  # over all ranks
        scheduler.step()
        result["epoch"] = epoch
        history.append(result)
        log(f"epoch {epoch}/{args.epochs}  train loss {result['train_loss']:.4f}  "
            f"test loss {result['test_loss']:.4f}  test accuracy {100 * result['test_accuracy']:.2f}%  "
            f"time {result['train_seconds']:.1f}s  ({result['train_images_per_second']:,.0f} images/s)")
        if args.save and job.is_main:
            save_checkpoint(args.save, model, optimizer, scheduler, train_loader, epoch, history, args)
    summary = {
        "model": args.model, "device": device, "epochs": args.epochs, "parameters": parameters,
        "world_size": job.world_size,
        "test_accuracy": history[-1]["test_accuracy"] if history else math.nan,
        "test_loss": history[-1]["test_loss"] if history else math.nan,
        "wall_seconds": time.perf_counter() - start, "history": history, "checkpoint": args.save,
    }
    log(f"done: test accuracy {100 * summary['test_accuracy']:.2f}% after {args.epochs} epochs, "
        f"{summary['wall_seconds']:.1f}s" + (f", checkpoint {args.save}" if args.save else ""))
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = run(args)
    except (TrainingError, minigrad.cuda.OutOfMemoryError) as error:
        # The OOM message says how much was asked for and suggests a smaller --batch-size.
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted" + (f": the last finished epoch is in {args.save}" if args.save else ""),
              file=sys.stderr)
        return 130
    if args.json and launch.current().is_main:
        print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(launch.current().exit_code(main()))
