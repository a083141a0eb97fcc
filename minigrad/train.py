"""Train a LeNet-style network on MNIST with minigrad.

    python -m minigrad.train                              # LeNet, 3 epochs, CPU (also: minigrad-train)
    python -m minigrad.train --device cuda --epochs 5
    python -m minigrad.train --model lenet5 --optimizer sgd --lr 0.05 --momentum 0.9
    python -m minigrad.train --limit 5000 --epochs 1      # a quick look

``scripts/train_mnist.py`` runs this same code from a checkout. Flags follow PyTorch's MNIST
example. Data: --data-dir (read, never created), else $MINIGRAD_DATA, else ~/.cache/minigrad
(downloaded and MD5-checked when missing). A checkpoint is written atomically after every
epoch (--save); --resume continues exactly where it stopped. Progress and messages go to
stderr; --json prints the result on stdout; --log-file writes JSON lines for training curves.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, TextIO

import minigrad
import minigrad.nn.functional as F
from minigrad import backends, optim
from minigrad.data import MNIST, FashionMNIST, SampleDatasetWarning, Subset
from minigrad.distributed import launch  # mpiexec -n N: data-parallel
from minigrad.models import get_model, model_names

SEED_RANGE = (0, 2**32 - 1)  # what NumPy's generators accept


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
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files (read, never created)")
    parser.add_argument("--save", default=None, metavar="PATH", help="checkpoint written after every epoch")
    parser.add_argument("--resume", default=None, metavar="PATH", help="continue from a checkpoint")
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="use only N training images")
    parser.add_argument("--log-interval", type=int, default=10, help="batches between progress updates")
    parser.add_argument("--log-file", default=None, metavar="PATH",
                        help="one JSON line per logged step and per epoch (loss, accuracy, lr, images/s); "
                        "--resume appends")
    parser.add_argument("--quiet", action="store_true", help="no progress bars (epoch lines stay)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "test_batch_size", "log_interval"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    for name in ("save", "resume", "log_file", "data_dir"):
        if getattr(args, name) == "":
            parser.error(f"--{name.replace('_', '-')} needs a path (it was given an empty one)")
    args.lr_given = args.lr is not None
    if args.lr is None:
        args.lr = 0.05 if args.optimizer == "sgd" else 1e-3
    if not (args.lr > 0 and math.isfinite(args.lr)):
        parser.error(f"--lr must be a positive number, got {args.lr}")
    if not (args.momentum >= 0 and math.isfinite(args.momentum)):  # PyTorch's SGD refuses < 0 too
        parser.error(f"--momentum must be 0 or more, got {args.momentum}")
    if not (args.gamma > 0 and math.isfinite(args.gamma)):
        parser.error(f"--gamma must be a positive number, got {args.gamma}")
    if not SEED_RANGE[0] <= args.seed <= SEED_RANGE[1]:
        parser.error(f"--seed must be in {SEED_RANGE[0]}..{SEED_RANGE[1]}, got {args.seed}")
    return args


class TrainingError(Exception):
    """A problem the user can fix; main() prints it as one line and exits with code 2."""


class Progress:
    """What main() needs to say when the run is interrupted."""

    def __init__(self) -> None:
        self.saved_epoch: int | None = None


def check_device(device: str) -> str:
    """Fail fast, with the fix, when the requested device cannot run here."""
    try:
        kind, _ = backends.parse_device(device)
    except (TypeError, ValueError) as error:
        raise TrainingError(str(error)) from None
    reason = backends.available().get(kind, f"unknown device type {kind!r}")
    if reason is not None:
        fix = "" if "--device cpu" in reason else ". Use --device cpu."
        raise TrainingError(f"--device {device} is not available: {reason}{fix}")
    try:
        return backends.get(device).name
    except (RuntimeError, ValueError) as error:
        raise TrainingError(f"--device {device}: {error}") from None


def check_writable(flag: str, path: str) -> None:
    """Before training: a file can be created at ``path`` (its folder is made if missing)."""
    target = Path(path)
    if target.is_dir():
        raise TrainingError(f"{flag} {path} is a folder; give a file path, e.g. {target / 'lenet.npz'}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=target.parent):
            pass
    except OSError as error:
        raise TrainingError(f"{flag} {path}: cannot write there ({error.strerror or error})") from None


def load_data(args: argparse.Namespace, log: Any) -> tuple[Any, Any, bool]:
    """The training and test sets, and whether a sample stands in for the full data set."""
    if args.data_dir is not None:
        folder = Path(args.data_dir).expanduser()
        if not folder.exists():
            raise TrainingError(f"--data-dir {args.data_dir} does not exist (a typo?). It is only read, never "
                                "created; without --data-dir the data is downloaded to ~/.cache/minigrad")
        if not folder.is_dir():
            raise TrainingError(f"--data-dir {args.data_dir} is a file; give the folder that holds the IDX files")
    dataset_class = FashionMNIST if args.dataset == "fashion" else MNIST
    train_set: Any
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SampleDatasetWarning)
        try:
            train_set = dataset_class(args.data_dir, train=True)
            test_set = dataset_class(args.data_dir, train=False)
        except (OSError, RuntimeError, ValueError) as error:
            raise TrainingError(str(error)) from None
    is_sample = bool(getattr(train_set, "is_sample", False))
    if is_sample:  # said once, here, whatever the data set class said
        reasons = [str(w.message) for w in caught if issubclass(w.category, SampleDatasetWarning)]
        log("WARNING: " + (reasons[0] if reasons else "training on a 5,000-IMAGE SAMPLE of MNIST, not the full "
                           "data set: accuracy will be lower than published numbers."))
    if args.limit is not None and args.limit < len(train_set):
        train_set = Subset(train_set, range(args.limit))
    return train_set, test_set, is_sample


def make_optimizer(args: argparse.Namespace, model: Any) -> Any:
    if args.optimizer == "adam":
        return optim.Adam(model.parameters(), lr=args.lr)
    return optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)


def progress(iterable: Any, args: argparse.Namespace, **kwargs: Any) -> Any:
    from tqdm import tqdm

    return tqdm(iterable, disable=args.quiet, file=sys.stderr, dynamic_ncols=True, leave=False, **kwargs)


def current_lr(optimizer: Any) -> float:
    return float(optimizer.param_groups[0]["lr"])


def train_epoch(model: Any, loader: Any, optimizer: Any, device: str, args: argparse.Namespace,
                epoch: int, log_file: TextIO | None) -> dict[str, float]:
    """One pass over ``loader``. Loss and accuracy are averaged over every batch; they are summed
    on the device and read (one sync) only every ``--log-interval`` steps."""
    model.train()
    epoch_loss = epoch_correct = 0.0
    interval_loss: Any = 0.0
    interval_correct: Any = 0
    interval_seen = epoch_seen = 0
    last_finite: tuple[int, float] | None = None
    start = time.perf_counter()
    bar = progress(loader, args, desc=f"epoch {epoch}/{args.epochs} train", unit="batch")
    for step, (images, labels) in enumerate(bar, 1):
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        logits = model(images)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        batch = labels.shape[0]
        interval_loss = interval_loss + loss.detach() * batch
        interval_correct = interval_correct + (logits.detach().argmax(1) == labels).sum()
        interval_seen += batch
        if step % args.log_interval and step != len(loader):
            continue
        loss_sum, correct = float(interval_loss.item()), int(interval_correct.item())
        if not math.isfinite(loss_sum):
            first = 1 if last_finite is None else last_finite[0] + 1
            where = f"at step {step}" if first == step else f"between steps {first} and {step}"
            before = ("" if last_finite is None else
                      f"; the last finite loss was {last_finite[1]:.4g} at step {last_finite[0]}")
            raise TrainingError(
                f"the training loss became {loss_sum} in epoch {epoch} {where} of {len(loader)}{before}. "
                f"Training diverged: lower --lr (it is {current_lr(optimizer):g})"
                + (f" or --momentum ({args.momentum:g})" if args.optimizer == "sgd" else ""))
        last_finite = (step, loss_sum / interval_seen)
        epoch_loss += loss_sum
        epoch_correct += correct
        epoch_seen += interval_seen
        rate = epoch_seen / (time.perf_counter() - start)
        bar.set_postfix(loss=f"{epoch_loss / epoch_seen:.4f}", acc=f"{100 * epoch_correct / epoch_seen:.2f}%",
                        img_s=f"{rate:,.0f}")
        if log_file is not None:
            write_record(log_file, {
                "event": "step", "epoch": epoch, "step": step, "steps": len(loader), "images": interval_seen,
                "loss": loss_sum / interval_seen, "accuracy": correct / interval_seen,
                "lr": current_lr(optimizer), "images_per_second": rate,
            })
        interval_loss, interval_correct, interval_seen = 0.0, 0, 0
    elapsed = time.perf_counter() - start
    return {"train_loss": epoch_loss / max(epoch_seen, 1), "train_accuracy": epoch_correct / max(epoch_seen, 1),
            "train_seconds": elapsed, "train_images_per_second": epoch_seen / elapsed}


def write_record(log_file: TextIO, record: dict[str, Any]) -> None:
    log_file.write(json.dumps(record) + "\n")
    log_file.flush()  # a curve can be plotted while training runs


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


def read_checkpoint(args: argparse.Namespace) -> dict[str, Any]:
    """The --resume checkpoint, refused unless this run can continue it."""
    try:
        state = minigrad.load(args.resume)
    except (OSError, ValueError) as error:
        raise TrainingError(f"cannot resume from {args.resume}: {error}") from None
    needed = ("model", "optimizer", "scheduler", "loader", "epoch", "history", "rng")
    if not isinstance(state, dict) or any(key not in state for key in needed):
        raise TrainingError(f"cannot resume from {args.resume}: it is not a checkpoint of this script "
                            f"(it needs the entries {', '.join(needed)})")
    saved_args = state.get("args", {}) if isinstance(state.get("args"), dict) else {}
    for key in ("model", "dataset", "optimizer"):
        saved = saved_args.get(key, "mnist" if key == "dataset" else None)
        if saved is not None and saved != getattr(args, key):
            raise TrainingError(f"cannot resume from {args.resume}: it was trained with --{key} {saved}, this run "
                                f"asks for --{key} {getattr(args, key)}. Pass --{key} {saved}, or start afresh "
                                "without --resume")
    if state["epoch"] >= args.epochs:
        raise TrainingError(f"{args.resume} already holds {state['epoch']} epochs and --epochs is {args.epochs}: "
                            f"nothing is left to train. Pass --epochs N with N > {state['epoch']}")
    return state


def run(args: argparse.Namespace, status: Progress | None = None) -> dict[str, Any]:
    status = status or Progress()

    def log(message: str) -> None:  # stderr, so that --json output on stdout stays parseable
        if job.is_main:
            print(message, file=sys.stderr, flush=True)

    device = check_device(args.device)
    job = launch.start(args)  # under mpiexec: joins the job, rank 0 alone logs, a GPU per rank
    device = check_device(args.device)
    if job.is_main:
        if args.save:
            check_writable("--save", args.save)
        if args.log_file:
            check_writable("--log-file", args.log_file)
    state = read_checkpoint(args) if args.resume else None
    minigrad.manual_seed(args.seed)
    train_set, test_set, is_sample = load_data(args, log)
    train_loader = job.train_loader(train_set, args.batch_size, args.seed)  # this rank's share
    test_loader = job.test_loader(test_set, args.test_batch_size)
    model = get_model(args.model).to(device)
    optimizer = make_optimizer(args, model)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)
    first_epoch, history = 1, []
    if state is not None:
        try:
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            train_loader.load_state_dict(state["loader"])
            minigrad.set_rng_state(state["rng"])
        except (KeyError, ValueError, RuntimeError, TypeError) as error:
            raise TrainingError(f"cannot resume from {args.resume}: {error}") from None
        model.to(device)
        first_epoch, history = state["epoch"] + 1, list(state["history"])
        log(f"resumed from {args.resume} after epoch {state['epoch']}; training epochs {first_epoch}-{args.epochs}")
        if args.lr_given:
            log(f"note: --lr {args.lr:g} is not used when resuming: the learning rate continues the checkpoint's "
                f"schedule (now {current_lr(optimizer):g})")
    trained = job.wrap(model)  # DistributedDataParallel on several ranks
    parameters = sum(p.numel() for p in model.parameters())
    log(f"minigrad {minigrad.__version__} | {args.model} ({parameters:,} parameters) on {device} | "
        f"{len(train_set):,} training and {len(test_set):,} test images{' (SAMPLE)' if is_sample else ''} | "
        f"{args.optimizer} lr {current_lr(optimizer):g}"
        + (f" | data-parallel: {job.world_size} ranks x batch {args.batch_size}" if job.distributed else ""))
    log_file = None
    if args.log_file and job.is_main:
        log_file = open(args.log_file, "a" if args.resume else "w", encoding="utf-8")  # closed in run's finally
    start = time.perf_counter()
    try:
        for epoch in range(first_epoch, args.epochs + 1):
            lr = current_lr(optimizer)
            result = train_epoch(trained, train_loader, optimizer, device, args, epoch, log_file)
            result.update(evaluate(model, test_loader, device, args))
            result = job.combine(result, len(test_loader.dataset))  # over all ranks
            scheduler.step()
            result["epoch"] = epoch
            result["lr"] = lr
            history.append(result)
            log(f"epoch {epoch}/{args.epochs}  train loss {result['train_loss']:.4f}  "
                f"test loss {result['test_loss']:.4f}  test accuracy {100 * result['test_accuracy']:.2f}%  "
                f"time {result['train_seconds']:.1f}s  ({result['train_images_per_second']:,.0f} images/s)")
            if log_file is not None:
                write_record(log_file, {"event": "epoch", **result})
            if args.save and job.is_main:
                save_checkpoint(args.save, model, optimizer, scheduler, train_loader, epoch, history, args)
                status.saved_epoch = epoch
    finally:
        if log_file is not None:
            log_file.close()
    summary = {
        "model": args.model, "dataset": args.dataset, "sample": is_sample, "device": device,
        "epochs": args.epochs, "parameters": parameters, "world_size": job.world_size,
        "training_images": len(train_set), "test_images": len(test_set),
        "test_accuracy": history[-1]["test_accuracy"] if history else math.nan,
        "test_loss": history[-1]["test_loss"] if history else math.nan,
        "wall_seconds": time.perf_counter() - start, "history": history, "checkpoint": args.save,
        "arguments": {key: value for key, value in vars(args).items() if key != "lr_given"},
    }
    log(f"done: test accuracy {100 * summary['test_accuracy']:.2f}% after {args.epochs} epochs"
        + (" on the 5,000-image SAMPLE of MNIST" if is_sample else "")
        + f", {summary['wall_seconds']:.1f}s" + (f", checkpoint {args.save}" if args.save else ""))
    return summary


def interrupted_message(args: argparse.Namespace, status: Progress) -> str:
    if status.saved_epoch is not None:
        return f"interrupted: the last finished epoch ({status.saved_epoch}) is in {args.save}"
    if args.resume:
        return f"interrupted before an epoch finished: {args.resume} is unchanged"
    if args.save:
        return f"interrupted before the first epoch finished: nothing was saved to {args.save}"
    return "interrupted"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    status = Progress()
    try:
        summary = run(args, status)
    except (TrainingError, minigrad.cuda.OutOfMemoryError) as error:
        # The OOM message says how much was asked for and suggests a smaller --batch-size.
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(interrupted_message(args, status), file=sys.stderr)
        return 130
    if args.json and launch.current().is_main:
        print(json.dumps(summary, indent=2))
    return 0


def console_main() -> None:
    """The ``minigrad-train`` console script and ``python -m minigrad.train``."""
    sys.exit(launch.current().exit_code(main()))


if __name__ == "__main__":
    console_main()
