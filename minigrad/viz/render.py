"""Turn a :class:`~minigrad.viz.graph.Graph` into a ``graphviz.Digraph``: shapes, colours,
labels, module clusters; and save it to a file with one clear error when Graphviz is missing.

Building the Digraph only writes DOT text, so it works without Graphviz's ``dot`` program;
``render``/``pipe``/Jupyter display need ``dot`` and raise :class:`GraphvizNotFoundError`
(with install instructions) when it is not on the PATH.

Colours: inputs blue, parameters green, other leaves yellow, intermediates white, outputs red;
forward ops grey, backward ops orange with orange edges pointing from outputs to inputs.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import graphviz

from minigrad.viz import labels
from minigrad.viz.graph import (
    INPUT,
    INTERMEDIATE,
    LEAF,
    OUTPUT,
    PARAMETER,
    Graph,
    ModuleNode,
    OpNode,
    TensorNode,
)

SHOW_CHOICES = ("forward", "backward", "both")
FORMATS = ("svg", "png", "pdf", "dot", "gv")

TENSOR_FILL = {
    INPUT: "#cfe2f3", PARAMETER: "#d9ead3", LEAF: "#fff2cc", INTERMEDIATE: "#ffffff", OUTPUT: "#f4cccc",
}
OP_FILL, BACKWARD_FILL, BACKWARD_COLOR = "#eeeeee", "#fce5cd", "#e69138"
MODULE_FILL, CLUSTER_FILL = "#e8e3f7", "#f8f7fc"
FONT = "Helvetica"

INSTALL_HINT = (
    "Graphviz's 'dot' program was not found on the PATH, so the graph cannot be rendered to an "
    "image. Install Graphviz (the program, not only the Python package): "
    "'sudo apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS), "
    "'conda install -c conda-forge graphviz' (conda) or https://graphviz.org/download/ "
    "(Windows: add its bin folder to PATH). Without it you can still save the DOT source: "
    "minigrad.viz.render(graph, 'graph.dot', format='dot') or graph.save('graph.dot')."
)


class GraphvizNotFoundError(RuntimeError):
    """Raised when a picture must be rendered but Graphviz's ``dot`` program is missing."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


def check_dot() -> str:
    """The path of ``dot``; :class:`GraphvizNotFoundError` with install instructions if absent."""
    path = shutil.which("dot")
    if path is None:
        raise GraphvizNotFoundError()
    return path


class Digraph(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose ``render``, ``pipe`` and Jupyter display raise
    :class:`GraphvizNotFoundError` (one clear message) when ``dot`` is missing."""

    def render(self, *args: Any, **kwargs: Any) -> str:
        check_dot()
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        check_dot()
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise GraphvizNotFoundError() from error


def render(digraph: graphviz.Digraph, path: str | Path, format: str = "svg") -> Path:  # noqa: A002
    """Write ``digraph`` to ``path`` as svg, png, pdf, or DOT source (``dot``/``gv``).

    The extension is added when ``path`` lacks it. DOT source needs no Graphviz program;
    the images do, and :class:`GraphvizNotFoundError` says how to install it. Returns the
    path of the written file.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {format!r}")
    path = Path(path)
    if path.suffix != f".{format}":
        path = path.with_name(path.name + f".{format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if format in ("dot", "gv"):
        path.write_text(digraph.source, encoding="utf-8")
        return path
    check_dot()
    try:
        graphviz.Digraph.render(digraph, outfile=path, format=format, cleanup=True)
    except graphviz.ExecutableNotFound as error:
        raise GraphvizNotFoundError() from error
    return path


def to_digraph(
    graph: Graph,
    *,
    show: str = "forward",
    values: bool = False,
    grads: bool = False,
    rankdir: str = "TB",
    scalar_style: bool | None = None,
    legend: bool = False,
    title: str | None = None,
) -> Digraph:
    """Draw ``graph``. ``show`` picks the forward ops, the backward ops, or both.

    In the backward picture every tensor shows its gradient (when it is known: leaves, and
    tensors kept with ``retain_grad``), whatever ``grads`` says. ``scalar_style`` (default: when
    every tensor holds one number) draws micrograd-style records and operator symbols.
    """
    if show not in SHOW_CHOICES:
        raise ValueError(f"show must be one of {', '.join(SHOW_CHOICES)}, got {show!r}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    painter = _Painter(graph, show, values, grads or show != "forward", rankdir,
                       graph.is_scalar if scalar_style is None else scalar_style)
    return painter.paint(legend, title)


class _Painter:
    def __init__(self, graph: Graph, show: str, values: bool, grads: bool, rankdir: str, scalar: bool):
        self.graph, self.show, self.values, self.grads = graph, show, values, grads
        self.rankdir, self.scalar = rankdir, scalar
        self.forward = show in ("forward", "both")
        self.backward = show in ("backward", "both")
        # In the backward picture, tensors no gradient flows through (inputs) are left out.
        self.drawn = set(graph.nodes)
        if show == "backward":
            self.drawn = {e.source for e in graph.edges if e.carries_grad} | {
                e.target for e in graph.edges if e.carries_grad
            }
            self.drawn |= {
                i for i, n in graph.nodes.items() if not isinstance(n, TensorNode) or n.kind != INPUT
            }

    def paint(self, legend: bool, title: str | None) -> Digraph:
        dot = Digraph(name="minigrad", graph_attr={
            "rankdir": self.rankdir, "fontname": FONT, "nodesep": "0.25", "ranksep": "0.35",
        }, node_attr={"fontname": FONT, "fontsize": "10", "height": "0.3"},
            edge_attr={"arrowsize": "0.6"})
        if title:
            dot.attr(label=title, labelloc="t", fontsize="14")
        targets = self._cluster_targets(dot)
        for node_id, node in self.graph.nodes.items():
            if node_id in self.drawn:
                self._node(targets.get(node.scope, dot), node)
        self._attach_clusters(dot, targets)
        for edge in self.graph.edges:
            if edge.source in self.drawn and edge.target in self.drawn:
                self._edge(dot, edge)
        if legend:
            self._legend(dot)
        return dot

    # --- clusters ----------------------------------------------------------------------
    def _cluster_targets(self, dot: Digraph) -> dict[str | None, Digraph]:
        clusters = {}
        for scope in self.graph.scopes.values():
            clusters[scope.id] = Digraph(name=f"cluster_{scope.id}", graph_attr={
                "label": graphviz.nohtml(scope.label), "labeljust": "l", "style": "rounded,filled",
                "fillcolor": CLUSTER_FILL, "color": "#8e7cc3", "fontsize": "11",
            })
        return clusters

    def _attach_clusters(self, dot: Digraph, clusters: dict) -> None:
        scopes = self.graph.scopes

        def nesting(scope_id: str) -> int:
            level = 0
            while scopes[scope_id].parent in scopes:
                scope_id, level = scopes[scope_id].parent, level + 1
            return level

        # Innermost first: a cluster's text is copied into its parent when attached.
        for scope_id in sorted(scopes, key=nesting, reverse=True):
            cluster = clusters[scope_id]
            if not cluster.body:
                continue
            parent = scopes[scope_id].parent
            (clusters[parent] if parent in clusters else dot).subgraph(cluster)

    # --- nodes -------------------------------------------------------------------------
    def _node(self, target: Digraph, node: Any) -> None:
        if isinstance(node, TensorNode):
            self._tensor(target, node)
        elif isinstance(node, OpNode):
            if self.forward:
                self._op(target, node)
            if self.backward:
                self._backward_op(target, node)
        else:
            self._module(target, node)

    def _tensor(self, target: Digraph, node: TensorNode) -> None:
        fill = TENSOR_FILL[node.kind]
        style = "filled,bold" if node.kind == OUTPUT else "filled"
        if self.scalar:
            fields = self._scalar_fields(node)
            body = " | ".join(labels.record_escape(f) for f in fields)
            if self.rankdir in ("LR", "RL"):
                body = "{ " + body + " }"  # records lie across the edge direction otherwise
            target.node(node.id, graphviz.nohtml(body), shape="record", style=style, fillcolor=fill)
            return
        lines = []
        if node.name:
            lines.append(node.name)
        lines.append(labels.tensor_description(node.shape, node.dtype, node.device))
        if node.tensor is not None and self.values and self.forward:
            text = labels.data_text(node.tensor)
            if text is not None:
                lines.append(text)
        if self.grads and node.requires_grad:
            lines.append(self._grad_text(node))
        target.node(node.id, graphviz.nohtml(labels.lines_to_label(lines)), shape="box",
                    style=style + ",rounded", fillcolor=fill)

    def _scalar_fields(self, node: TensorNode) -> list[str]:
        fields = [node.name] if node.name else []
        if self.values and self.forward:
            if node.tensor is not None:
                fields.append(labels.data_text(node.tensor))
            elif not (node.kind == INPUT and node.name):  # a named input speaks for itself
                fields.append("data ?")
        if self.grads and node.requires_grad:
            fields.append(self._grad_text(node))
        return fields or [labels.format_shape(node.shape)]

    def _grad_text(self, node: TensorNode) -> str:
        tensor = node.tensor
        if tensor is None or (tensor.grad is None and not tensor.is_leaf):
            # Only leaves keep .grad; an intermediate needs t.retain_grad() or retain_grads().
            return "grad ?" if self.scalar else "grad not kept (retain_grad)"
        return labels.grad_text(tensor)

    def _op(self, target: Digraph, node: OpNode) -> None:
        if self.scalar:
            symbol = labels.SYMBOLS.get(node.op, node.op)
            target.node(node.id, graphviz.nohtml(symbol), shape="circle", style="filled",
                        fillcolor=OP_FILL, width="0.35", margin="0.02", tooltip=node.op)
            return
        lines = [node.op] + labels.attribute_lines(node.op, node.attrs, node.input_shapes, node.output_shapes)
        if node.device:
            lines.append(node.device)
        target.node(node.id, graphviz.nohtml(labels.lines_to_label(lines, left=node.op == "conv2d")),
                    shape="box", style="filled", fillcolor=OP_FILL, color="#666666")

    def _backward_op(self, target: Digraph, node: OpNode) -> None:
        node_id = self._backward_id(node.id)
        rules = labels.backward_lines(node.op, node.needs_input_grad)
        if self.scalar:
            symbol = labels.SYMBOLS.get(node.op, node.op)
            target.node(node_id, graphviz.nohtml(symbol), shape="circle", style="filled",
                        fillcolor=BACKWARD_FILL, color=BACKWARD_COLOR, width="0.35", margin="0.02",
                        tooltip=graphviz.nohtml(labels.backward_name(node.op) + ": " + "; ".join(rules)))
            return
        lines = [labels.backward_name(node.op)] + rules
        target.node(node_id, graphviz.nohtml(labels.lines_to_label(lines, left=len(lines) > 1)),
                    shape="box", style="filled", fillcolor=BACKWARD_FILL, color=BACKWARD_COLOR)

    def _backward_id(self, op_id: str) -> str:
        return op_id + "b" if self.forward else op_id

    def _module(self, target: Digraph, node: ModuleNode) -> None:
        lines = [node.label]
        lines += [labels.format_shape(shape) for shape in node.output_shapes]
        detail = f"{node.op_count} op" + ("" if node.op_count == 1 else "s")
        if node.parameter_count:
            detail += f", {node.parameter_count:,} parameters"
        lines.append(detail)
        if self.backward:
            lines.append("(backward through it)" if self.forward else "backward")
        fill = BACKWARD_FILL if self.show == "backward" else MODULE_FILL
        target.node(node.id, graphviz.nohtml(labels.lines_to_label(lines)), shape="box3d",
                    style="filled", fillcolor=fill)

    # --- edges -------------------------------------------------------------------------
    def _edge(self, dot: Digraph, edge: Any) -> None:
        nodes = self.graph.nodes
        if self.forward:
            dot.edge(edge.source, edge.target)
        if not self.backward or not edge.carries_grad:
            return
        # The gradient flows against the forward edge. Written tail -> head in forward order
        # with dir=back, so the layout keeps the forward ranks and each XBackward node sits
        # beside its forward op.
        source, target = edge.source, edge.target
        if isinstance(nodes[source], OpNode):
            source = self._backward_id(source)
        if isinstance(nodes[target], OpNode):
            target = self._backward_id(target)
        if self.forward and source == edge.source and target == edge.target:
            return  # module box to module box: the forward edge already joins them
        dot.edge(source, target, dir="back", color=BACKWARD_COLOR, fontcolor=BACKWARD_COLOR)

    def _legend(self, dot: Digraph) -> None:
        with dot.subgraph(name="cluster_legend") as legend:
            legend.attr(label="legend", style="dashed", color="#999999", fontsize="10")
            kinds = {
                n.kind for i, n in self.graph.nodes.items() if isinstance(n, TensorNode) and i in self.drawn
            }
            for kind in (INPUT, PARAMETER, LEAF, INTERMEDIATE, OUTPUT):
                if kind in kinds:
                    legend.node(f"legend_{kind}", kind, shape="box", style="filled,rounded",
                                fillcolor=TENSOR_FILL[kind])
            if self.forward:
                legend.node("legend_op", "forward op", shape="box", style="filled", fillcolor=OP_FILL)
            if self.backward:
                legend.node("legend_backward", "backward op", shape="box", style="filled",
                            fillcolor=BACKWARD_FILL, color=BACKWARD_COLOR)
