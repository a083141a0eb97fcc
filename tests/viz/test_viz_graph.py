"""The picture holds exactly the recorded graph: counts, kinds, names, scopes and collapsing.

These tests read the DOT text only, so they need no Graphviz program.
"""

from __future__ import annotations

import math
import time

import pytest

import minigrad
from minigrad.autograd.function import Function, Node
from minigrad.viz import Scope, ScopeMap, build_graph, collapse, draw_graph, retain_grads
from minigrad.viz.graph import INPUT, INTERMEDIATE, LEAF, OUTPUT, PARAMETER, OpNode, TensorNode


def recorded(outputs: list) -> dict:
    """Walk ``grad_fn`` by hand and count what the picture must show.

    Tensors: every result of every op, every leaf object, every input without grad (merged by
    name). Numbers: every Python-number argument of an arithmetic op (one node per use).
    Forward edges: one per tensor or number argument of an op, one per result. Backward edges:
    the same, minus arguments that receive no gradient.
    """
    ops, leaves, inputs = set(), set(), set()
    results = forward_edges = gradient_edges = numbers = 0
    stack = [t.grad_fn for t in outputs]
    while stack:
        node = stack.pop()
        if node in ops:
            continue
        ops.add(node)
        results += len(node.outputs)
        forward_edges += len(node.outputs)
        gradient_edges += len(node.outputs)
        for index, (edge, meta) in enumerate(zip(node.next_functions, node.inputs)):
            if edge is not None:
                forward_edges += 1
                gradient_edges += bool(node.needs_input_grad[index])
                if isinstance(edge[0], Node):
                    stack.append(edge[0])
                else:
                    leaves.add(id(edge[0]))
            elif meta is not None:
                forward_edges += 1
                inputs.add(meta[2] if meta[2] is not None else (id(node), index))
            elif node.name in ("add", "sub", "mul", "div", "pow"):
                forward_edges += 1
                numbers += 1
    return {
        "ops": len(ops), "tensors": results + len(leaves) + len(inputs), "inputs": len(inputs),
        "forward_edges": forward_edges, "gradient_edges": gradient_edges, "numbers": numbers,
    }


def small_network():
    """x (no grad) -> linear -> tanh -> linear, a shared subexpression and a named input."""
    minigrad.manual_seed(0)
    x = minigrad.randn(3, 4)
    x.name = "x"
    w1 = minigrad.randn(4, 5, requires_grad=True)
    b1 = minigrad.zeros(5, requires_grad=True)
    w2 = minigrad.randn(5, 2, requires_grad=True)
    h = (x @ w1 + b1).tanh()
    out = (h @ w2) * h.sum() + x.sum()  # h used twice; x used twice (merged by its name)
    return out.sum(), {"w1": w1, "b1": b1, "w2": w2}


@pytest.mark.parametrize("show", ["forward", "backward", "both"])
def test_drawn_nodes_and_edges_equal_the_recorded_graph(show, drawn_counts):
    loss, params = small_network()
    truth = recorded([loss])
    nodes, edges = drawn_counts(draw_graph(loss, params, show=show).source)
    if show == "forward":
        assert (nodes, edges) == (truth["ops"] + truth["tensors"], truth["forward_edges"])
    elif show == "backward":
        # Inputs without grad receive no gradient: left out, with their edges.
        assert (nodes, edges) == (truth["ops"] + truth["tensors"] - truth["inputs"], truth["gradient_edges"])
    else:
        assert nodes == 2 * truth["ops"] + truth["tensors"]
        assert edges == truth["forward_edges"] + truth["gradient_edges"]


def test_several_outputs_share_one_graph(drawn_counts):
    a = minigrad.randn(3, requires_grad=True)
    shared = a.exp()
    first, second = (shared * 2).sum(), (shared + 1).sum()
    truth = recorded([first, second])
    graph = build_graph([first, second])
    kinds = [n.kind for n in graph.nodes.values() if isinstance(n, TensorNode)]
    assert kinds.count(OUTPUT) == 2 and kinds.count(LEAF) == 1
    nodes, edges = drawn_counts(draw_graph([first, second]).source)
    assert truth["numbers"] == 2  # the 2 in shared * 2 and the 1 in shared + 1
    assert (nodes, edges) == (truth["ops"] + truth["tensors"] + truth["numbers"], truth["forward_edges"])


def test_kinds_names_shapes_and_attributes_come_from_the_record():
    loss, params = small_network()
    graph = build_graph(loss, params)
    tensors = {n.name: n for n in graph.nodes.values() if isinstance(n, TensorNode) and n.name}
    assert tensors["w1"].kind == PARAMETER and tensors["w1"].shape == (4, 5)
    assert tensors["x"].kind == INPUT and tensors["x"].shape == (3, 4) and tensors["x"].dtype == "float32"
    assert [n.kind for n in graph.nodes.values() if isinstance(n, TensorNode)].count(OUTPUT) == 1
    ops = [n for n in graph.nodes.values() if isinstance(n, OpNode)]
    matmuls = [op for op in ops if op.op == "matmul"]
    assert matmuls[0].input_shapes == ((3, 4), (4, 5)) and matmuls[0].output_shapes == ((3, 5),)
    sums = [op for op in ops if op.op == "sum"]
    assert all("keepdim" in op.attrs for op in sums)
    # Inputs come before the ops that use them (the DOT text reads top-down).
    order = list(graph.nodes)
    for edge in graph.edges:
        assert order.index(edge.source) < order.index(edge.target)


def test_tensor_name_labels_a_leaf_without_params():
    a = minigrad.Tensor([1.0, 2.0], requires_grad=True, name="weights")
    source = draw_graph((a * a).sum()).source
    assert "weights" in source and "(2,) float32" in source


def test_values_and_grads_of_tiny_tensors_appear_in_the_label():
    a = minigrad.Tensor([1.0, -2.0], requires_grad=True, name="a")
    with retain_grads():
        b = a * 3
        out = b.sum()
    out.backward()
    source = draw_graph(out, values=True, grads=True).source
    assert "data [1.0000, -2.0000]" in source  # a
    assert "data [3.0000, -6.0000]" in source  # b, kept by retain_grads
    assert "grad [3.0000, 3.0000]" in source  # d out / d a
    assert "grad [1.0000, 1.0000]" in source  # d out / d b
    big = minigrad.ones(10, 10, requires_grad=True)
    (big * 2).sum().backward()
    assert "grad norm 20.0000" in draw_graph((big * 2).sum(), grads=True).source


def test_retain_grads_keeps_intermediates_and_restores_the_core():
    before = Function.__dict__["apply"]
    a = minigrad.Tensor(2.0, requires_grad=True)
    with retain_grads():
        b = a * a
        c = b.exp()
    assert Function.__dict__["apply"] is before
    c.backward()
    assert b.grad is not None and c.grad is not None
    d = a * a  # outside the block: nothing retained
    d.sum().backward()
    assert d.grad is None


def test_backward_graph_of_a_gradient_is_drawn_from_its_own_record(drawn_counts):
    """create_graph=True records the backward pass: drawing x.grad draws those ops."""
    x = minigrad.Tensor(0.5, requires_grad=True, name="x")
    y = (x * x * x).tanh()
    (grad_x,) = minigrad.autograd.grad(y, x, create_graph=True)
    truth = recorded([grad_x])
    source = draw_graph(grad_x).source
    assert drawn_counts(source) == (truth["ops"] + truth["tensors"] + truth["numbers"], truth["forward_edges"])
    assert truth["ops"] > 4  # the backward of tanh(x^3) is more than the forward's 3 ops
    (second,) = minigrad.autograd.grad(grad_x, x)
    t = math.tanh(0.5**3)  # d2/dx2 tanh(x^3) = (1 - t^2) (6x - 18 x^4 t): it differentiates again
    assert second.item() == pytest.approx((1 - t * t) * (6 * 0.5 - 18 * 0.5**4 * t), rel=1e-4)


def synthetic_model():
    """Model(block(lin, act), head) written by hand: x -> [x*w1 + b1 -> tanh] -> *w2."""
    x = minigrad.randn(2, 3)
    w1, b1, w2 = (minigrad.randn(3, requires_grad=True) for _ in range(3))
    linear = x * w1 + b1
    hidden = linear.tanh()
    out = hidden * w2
    scopes = {
        "s0": Scope("s0", "", "Model"),
        "s1": Scope("s1", "block", "block: Block()", parent="s0"),
        "s2": Scope("s2", "block.lin", "block.lin: Lin()", parent="s1"),
        "s3": Scope("s3", "block.act", "block.act: Tanh()", parent="s1"),
        "s4": Scope("s4", "head", "head: Head()", parent="s0"),
    }
    mul = linear.grad_fn.next_functions[0][0]
    op_scope = {id(mul): "s2", id(linear.grad_fn): "s2", id(hidden.grad_fn): "s3", id(out.grad_fn): "s4"}
    params = {"block.lin.w1": w1, "block.lin.b1": b1, "head.w2": w2}
    return out, params, ScopeMap(scopes, op_scope)


def test_parameters_sit_in_the_module_call_that_uses_them():
    out, params, scopes = synthetic_model()
    graph = build_graph(out, params, scopes)
    where = {n.name: n.scope for n in graph.nodes.values() if isinstance(n, TensorNode) and n.name}
    assert where == {"block.lin.w1": "s2", "block.lin.b1": "s2", "head.w2": "s4"}
    source = draw_graph(out, params, scopes=scopes).source
    for label in ("Model", "block: Block()", "block.lin: Lin()", "block.act: Tanh()", "head: Head()"):
        assert label in source


def test_depth_folds_modules_into_boxes(drawn_counts):
    out, params, scopes = synthetic_model()
    counts = {
        depth: drawn_counts(draw_graph(out, params, scopes=scopes, depth=depth).source)
        for depth in (None, 2, 1, 0)
    }
    full = recorded([out])
    assert counts[None] == (full["ops"] + full["tensors"], full["forward_edges"])
    assert counts[None][0] > counts[2][0] > counts[1][0] > counts[0][0]
    assert counts[1] == (3, 2)  # x -> [block] -> [head]
    assert counts[0] == (2, 1)  # x -> [Model]
    boxes = collapse(build_graph(out, params, scopes), 1).nodes.values()
    labels = sorted(n.label for n in boxes if not isinstance(n, TensorNode))
    assert labels == ["block: Block()", "head: Head()"]
    source = draw_graph(out, params, scopes=scopes, depth=1).source
    assert "block: Block()" in source and "2 parameters" not in source and "6 parameters" in source


def test_bad_arguments_get_clear_errors():
    out = (minigrad.randn(2, requires_grad=True) * 2).sum()
    with pytest.raises(ValueError, match="show must be one of"):
        draw_graph(out, show="sideways")
    with pytest.raises(ValueError, match="draw_model"):
        draw_graph(out, depth=1)
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(out, rankdir="up")
    with pytest.raises(TypeError, match="expects tensors"):
        draw_graph([out, 3])


def test_a_graph_of_5000_ops_becomes_dot_text_in_seconds(drawn_counts):
    """Not a benchmark: it checks the walk is iterative and linear (it takes well under 1 s)."""
    x = minigrad.randn(4, requires_grad=True)
    y = x
    for step in range(5000):
        y = y * 1.001 if step % 2 else y + x
    start = time.perf_counter()
    source = draw_graph(y.sum(), show="both").source
    assert time.perf_counter() - start < 10
    nodes, _ = drawn_counts(source)
    assert nodes == 2 * 5001 + 5001 + 1 + 2500  # forward + backward ops, their results, x, the 1.001s


def test_intermediates_are_plain_without_values():
    a = minigrad.randn(3, requires_grad=True)
    graph = build_graph((a * 2).sum())
    kinds = [n.kind for n in graph.nodes.values() if isinstance(n, TensorNode)]
    assert kinds == [LEAF, INTERMEDIATE, OUTPUT]
