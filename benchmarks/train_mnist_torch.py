"""``scripts/train_mnist.py``'s default recipe in PyTorch, to compare wall times on one machine.

    python benchmarks/train_mnist_torch.py --data-dir ../shared/data/mnist [--epochs 3] [--json]

The same LeNet (``models.LeNet``'s shapes: conv 6@5x5 pad 2, max-pool, conv 16@5x5, max-pool,
120, 84, 10, ReLU), the same initial weights (minigrad's initialisation with the same seed),
the same batches in the same order (minigrad's DataLoader, shuffled with the same seed; each
batch handed to PyTorch with ``torch.from_numpy``), SGD lr 0.05 momentum 0.9, the learning rate
x0.4 per epoch, batch 64, test batch 1000. Timed like the minigrad script: training and
evaluation of every epoch, data loading included. PyTorch runs with 2 intra-op threads.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from lenet_mnist import torch_lenet  # noqa: E402
from minigrad.models import LeNet  # noqa: E402

import minigrad  # noqa: E402
from minigrad.data import MNIST, DataLoader  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="folder with the MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--test-batch-size", type=int, default=1000)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--gamma", type=float, default=0.4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="use only N training images")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch intra-op threads")
    parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    minigrad.manual_seed(args.seed)  # as scripts/train_mnist.py: seed, then data, then the model
    train_set, test_set = MNIST(args.data_dir, train=True), MNIST(args.data_dir, train=False)
    if args.limit is not None and args.limit < len(train_set):
        from minigrad.data import Subset

        train_set = Subset(train_set, range(args.limit))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, batch_size=args.test_batch_size)
    state = {k: torch.from_numpy(v.numpy().copy()) for k, v in LeNet().state_dict().items()}
    model = torch_lenet(torch)
    model.load_state_dict(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)
    cross_entropy = torch.nn.functional.cross_entropy
    history = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        epoch_start = time.perf_counter()
        for images, labels in train_loader:
            x, y = torch.from_numpy(images.numpy()), torch.from_numpy(labels.numpy())
            optimizer.zero_grad()
            loss = cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        train_seconds = time.perf_counter() - epoch_start
        model.eval()
        correct, total_loss = 0, 0.0
        with torch.no_grad():
            for images, labels in test_loader:
                x, y = torch.from_numpy(images.numpy()), torch.from_numpy(labels.numpy())
                logits = model(x)
                total_loss += float(cross_entropy(logits, y, reduction="sum"))
                correct += int((logits.argmax(1) == y).sum())
        scheduler.step()
        result = {"epoch": epoch, "train_seconds": train_seconds, "test_loss": total_loss / len(test_set),
                  "test_accuracy": correct / len(test_set)}
        history.append(result)
        print(f"epoch {epoch}/{args.epochs}  test loss {result['test_loss']:.4f}  test accuracy "
              f"{100 * result['test_accuracy']:.2f}%  time {train_seconds:.1f}s", file=sys.stderr, flush=True)
    summary = {"framework": "pytorch", "torch": torch.__version__, "epochs": args.epochs,
               "test_accuracy": history[-1]["test_accuracy"], "wall_seconds": time.perf_counter() - start,
               "history": history}
    print(f"done: test accuracy {100 * summary['test_accuracy']:.2f}% after {args.epochs} epochs, "
          f"{summary['wall_seconds']:.1f}s", file=sys.stderr)
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
