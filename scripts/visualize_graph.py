"""Draw the teaching pictures of minigrad's computation graphs.

    python scripts/visualize_graph.py                       # svg files into docs/
    python scripts/visualize_graph.py --out /tmp/pics --format png svg

Pictures:
    scalar_graph      d = a*b + c, micrograd-style: every value with its data and grad
    neuron            micrograd's tanh neuron, o = tanh(x1*w1 + x2*w2 + b)
    double_backward   the graph that backward(create_graph=True) records for dy/dx
    conv2d_forward    one conv2d layer: kernel, stride, padding and the output-size arithmetic
    conv2d_backward   the same layer with its backward ops: the duality rules with its amounts
    conv2d_duality    the graph backward(create_graph=True) records for a conv2d: dL/dx and
                      dL/dW as conv2d ops on dL/dy, flip(W), x^T (show="duality")
    lenet5            LeNet-5, one box per module call (pooling as pooling), and lenet5_depth1:
                      one box per child of the model

Needs Graphviz's dot program (apt-get install graphviz / brew install graphviz).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

# Run from a checkout without installing: make the repository importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from minigrad.models.lenet import LeNet5  # noqa: E402

import minigrad  # noqa: E402
import minigrad.nn.functional as F  # noqa: E402
from minigrad import nn, viz  # noqa: E402


def scalar_graph() -> viz.Digraph:
    """d = a*b + c with a=2, b=-3, c=10: dd/da = b = -3, dd/db = a = 2, dd/dc = 1."""
    a = minigrad.Tensor(2.0, requires_grad=True, name="a")
    b = minigrad.Tensor(-3.0, requires_grad=True, name="b")
    c = minigrad.Tensor(10.0, requires_grad=True, name="c")
    with viz.retain_grads():  # keep e and d, so their data and grad can be shown
        e = a * b
        d = e + c
    e.name, d.name = "e", "d"
    d.backward()
    return viz.draw_graph(d, values=True, grads=True, rankdir="LR")


def neuron() -> viz.Digraph:
    """micrograd's neuron: two inputs, two weights, a bias, tanh; the output is 0.7071."""
    x1 = minigrad.Tensor(2.0, requires_grad=True, name="x1")
    x2 = minigrad.Tensor(0.0, requires_grad=True, name="x2")
    w1 = minigrad.Tensor(-3.0, requires_grad=True, name="w1")
    w2 = minigrad.Tensor(1.0, requires_grad=True, name="w2")
    b = minigrad.Tensor(6.8813735870195432, requires_grad=True, name="b")
    with viz.retain_grads():
        x1w1 = x1 * w1
        x2w2 = x2 * w2
        x1w1x2w2 = x1w1 + x2w2
        n = x1w1x2w2 + b
        o = n.tanh()
    x1w1.name, x2w2.name, x1w1x2w2.name, n.name, o.name = "x1*w1", "x2*w2", "x1*w1 + x2*w2", "n", "o"
    o.backward()
    return viz.draw_graph(o, values=True, grads=True, rankdir="LR")


def double_backward() -> viz.Digraph:
    """y = tanh(x^3); dy/dx computed with create_graph=True is itself a recorded graph."""
    x = minigrad.Tensor(0.5, requires_grad=True, name="x")
    with viz.retain_grads():
        y = (x * x * x).tanh()
        seed = minigrad.Tensor(1.0, name="dy/dy = 1")  # what backward() starts from
        (grad_x,) = minigrad.autograd.grad(y, x, grad_outputs=seed, create_graph=True)
    y.name, grad_x.name = "y", "dy/dx"
    return viz.draw_graph(grad_x, values=True, rankdir="LR",
                          title="dy/dx for y = tanh(x^3), recorded by backward(create_graph=True)")


def conv2d_layer(show: str) -> viz.Digraph:
    """One Conv2d(1, 6, 5, padding=2) on a 28x28 image, the loss its sum."""
    minigrad.manual_seed(0)
    conv = nn.Conv2d(1, 6, kernel_size=5, padding=2)
    x = minigrad.randn(1, 1, 28, 28, requires_grad=True)
    x.name = "x"
    y = conv(x)
    y.retain_grad()
    y.name = "y"
    loss = y.sum()
    loss.retain_grad()
    loss.name = "loss"
    loss.backward()
    names = {"W": conv.weight, "b": conv.bias}
    return viz.draw_graph(loss, names, show=show, grads=show != "forward",
                          legend="bottom" if show != "forward" else False)


def conv2d_duality() -> viz.Digraph:
    """y = conv2d(x, W) on a numbered 4x4 image with W = 1..9: its two gradients as recorded."""
    x = minigrad.arange(16.0).reshape(1, 1, 4, 4).requires_grad_()
    weight = minigrad.arange(1.0, 10.0).reshape(1, 1, 3, 3).requires_grad_()
    x.name, weight.name = "x", "W"
    upstream = minigrad.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    return viz.draw_graph(F.conv2d(x, weight), show="duality", values=True, upstream=upstream, grid=4,
                          title="the gradients of y = conv2d(x, W), as backward(create_graph=True) records them")


def lenet5(depth: int | None) -> viz.Digraph:
    minigrad.manual_seed(0)
    return viz.draw_model(LeNet5(), minigrad.randn(1, 1, 28, 28), depth=depth)


PICTURES = {
    "scalar_graph": scalar_graph,
    "neuron": neuron,
    "double_backward": double_backward,
    "conv2d_forward": lambda: conv2d_layer("forward"),
    "conv2d_backward": lambda: conv2d_layer("both"),
    "conv2d_duality": conv2d_duality,
    "lenet5": lambda: lenet5(None),
    "lenet5_depth1": lambda: lenet5(1),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Draw minigrad's teaching graph pictures.")
    parser.add_argument("--out", type=Path, default=Path("docs"), help="folder (default: docs)")
    parser.add_argument("--format", nargs="+", default=["svg"], choices=["svg", "png", "pdf", "dot"],
                        help="file formats (default: svg); dot needs no Graphviz program")
    parser.add_argument("--only", nargs="+", choices=sorted(PICTURES), help="draw only these pictures")
    args = parser.parse_args(argv)
    for name in args.only or PICTURES:
        picture = PICTURES[name]()
        for fmt in args.format:
            path = viz.render(picture, args.out / name, format=fmt)
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
