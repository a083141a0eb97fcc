"""Turn a :class:`~minigrad.viz.graph.Graph` into a ``graphviz.Digraph``: shapes, colours,
labels, module clusters; and save it to a file with one clear error when Graphviz is missing.

Building the Digraph only writes DOT text, so it works without Graphviz's ``dot`` program;
``render``/``pipe``/Jupyter display need ``dot`` and raise :class:`GraphvizNotFoundError`
(with install instructions) when it is not on the PATH.

Colours: inputs blue, parameters green, other leaves yellow, intermediates white, outputs red,
Python numbers plain; forward ops grey, backward ops orange with orange edges pointing from
outputs to inputs.
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
    UNKNOWN,
    ConstantNode,
    Graph,
    ModuleNode,
    OpNode,
    TensorNode,
)

SHOW_CHOICES = ("forward", "backward", "both")  # draw_graph adds "duality"
FORMATS = ("svg", "png", "pdf", "dot", "gv")

TENSOR_FILL = {
    INPUT: "#cfe2f3", PARAMETER: "#d9ead3", LEAF: "#fff2cc", INTERMEDIATE: "#ffffff", OUTPUT: "#f4cccc",
}
OP_FILL, BACKWARD_FILL, BACKWARD_COLOR = "#eeeeee", "#fce5cd", "#e69138"
MODULE_FILL, CLUSTER_FILL = "#e8e3f7", "#f8f7fc"
CONSTANT_FILL = "#f3f3f3"
FONT = "Helvetica"
LEGEND_PLACES = {  # legend= value -> (labelloc, labeljust) of the graph label holding it
    "top": ("t", "c"), "bottom": ("b", "c"), "top-left": ("t", "l"), "top-right": ("t", "r"),
    "bottom-left": ("b", "l"), "bottom-right": ("b", "r"),
}

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
    legend: bool | str = False,
    title: str | None = None,
    fontsize: float = 10,
    size: str | tuple[float, float] | None = None,
    dpi: float | None = None,
    grid: int = 3,
) -> Digraph:
    """Draw ``graph``. ``show`` picks the forward ops, the backward ops, or both.

    In the backward picture every tensor shows its gradient (when it is known: leaves, and
    tensors kept with ``retain_grad``), whatever ``grads`` says. ``scalar_style`` (default: when
    every tensor holds one number) draws micrograd-style records and operator symbols.

    Args:
        legend: ``False``, ``True`` (top right) or where to put it: ``"top"``, ``"bottom"``,
            ``"top-left"``, ``"top-right"``, ``"bottom-left"``, ``"bottom-right"``; the title
            goes with it.
        fontsize: points, for the boxes' text (titles and cluster labels scale with it).
        size: the largest drawing, in inches, ``(width, height)`` or Graphviz's ``"8,6"``
            (the picture is scaled down to fit, never up).
        dpi: resolution of PNG output.
        grid: tensors of at most ``grid`` x ``grid`` numbers (size-1 axes ignored: a
            (1, 1, 3, 3) kernel) print their values and gradients as a grid; 0 turns it off.
    """
    if show not in SHOW_CHOICES:
        raise ValueError(f"show must be one of {', '.join(SHOW_CHOICES)} or 'duality', got {show!r}")
    if rankdir not in ("TB", "LR", "BT", "RL"):
        raise ValueError(f"rankdir must be 'TB', 'LR', 'BT' or 'RL', got {rankdir!r}")
    if legend is True:
        legend = "top-right"
    if legend and legend not in LEGEND_PLACES:
        raise ValueError(f"legend must be True, False or one of {', '.join(LEGEND_PLACES)}, got {legend!r}")
    if not fontsize > 0:
        raise ValueError(f"fontsize must be positive, got {fontsize!r}")
    painter = _Painter(graph, show, values, grads or show != "forward", rankdir,
                       graph.is_scalar if scalar_style is None else scalar_style, fontsize, grid)
    return painter.paint(legend or None, title, _size_text(size), dpi)


def _size_text(size: str | tuple[float, float] | None) -> str | None:
    if size is None or isinstance(size, str):
        return size
    width, height = size
    return f"{width},{height}"


class _Painter:
    def __init__(self, graph: Graph, show: str, values: bool, grads: bool, rankdir: str, scalar: bool,
                 fontsize: float = 10, grid: int = 3):
        self.graph, self.show, self.values, self.grads = graph, show, values, grads
        self.rankdir, self.scalar, self.fontsize, self.grid = rankdir, scalar, fontsize, grid
        self.forward = show in ("forward", "both")
        self.backward = show in ("backward", "both")
        # In the backward picture, tensors and numbers no gradient flows through are left out.
        self.drawn = set(graph.nodes)
        if show == "backward":
            self.drawn = {e.source for e in graph.edges if e.carries_grad} | {
                e.target for e in graph.edges if e.carries_grad
            }
            self.drawn |= {
                i for i, n in graph.nodes.items()
                if not isinstance(n, (TensorNode, ConstantNode)) or (isinstance(n, TensorNode) and n.kind != INPUT)
            }
        self.inline = self._inline_scopes()

    def _inline_scopes(self) -> dict[str, str]:
        """Leaf-module calls drawn as ONE op: no cluster of their own; the op's box carries the
        module's label. Returns scope id -> that op's id."""
        ops_by_scope: dict[str, list[str]] = {}
        for node_id, node in self.graph.nodes.items():
            if isinstance(node, (OpNode, ModuleNode)) and node.scope is not None:
                ops_by_scope.setdefault(node.scope, []).append(node_id)
        parents = {s.parent for s in self.graph.scopes.values()}
        return {
            scope_id: ops[0] for scope_id, ops in ops_by_scope.items()
            if scope_id not in parents and len(ops) == 1 and isinstance(self.graph.nodes[ops[0]], OpNode)
        }

    def paint(self, legend: str | None, title: str | None, size: str | None = None,
              dpi: float | None = None) -> Digraph:
        # ordering=in: inputs stay in argument order (x, W, b; a left of b in a - b).
        attrs = {"rankdir": self.rankdir, "fontname": FONT, "nodesep": "0.25", "ranksep": "0.35", "ordering": "in"}
        if size:
            attrs["size"] = size
        if dpi:
            attrs["dpi"] = str(dpi)
        dot = Digraph(name="minigrad", graph_attr=attrs,
                      node_attr={"fontname": FONT, "fontsize": _points(self.fontsize), "height": "0.3"},
                      edge_attr={"arrowsize": "0.6", "fontname": FONT, "fontsize": _points(self.fontsize * 0.9)})
        self._caption(dot, legend, title)
        targets = self._cluster_targets(dot)
        for node_id, node in self.graph.nodes.items():
            if node_id in self.drawn:
                self._node(targets.get(self._cluster_of(node.scope), dot), node)
        self._attach_clusters(dot, targets)
        for edge in self.graph.edges:
            if edge.source in self.drawn and edge.target in self.drawn:
                self._edge(dot, edge)
        return dot

    def _cluster_of(self, scope_id: str | None) -> str | None:
        """The nearest enclosing scope that is drawn as a cluster (inline ones are not)."""
        while scope_id is not None and scope_id in self.inline:
            scope_id = self.graph.scopes[scope_id].parent
        return scope_id

    # --- clusters ----------------------------------------------------------------------
    def _cluster_targets(self, dot: Digraph) -> dict[str | None, Digraph]:
        clusters = {}
        for scope in self.graph.scopes.values():
            if scope.id in self.inline:
                continue
            clusters[scope.id] = Digraph(name=f"cluster_{scope.id}", graph_attr={
                "label": graphviz.nohtml(scope.label), "labeljust": "l", "style": "rounded,filled",
                "fillcolor": CLUSTER_FILL, "color": "#8e7cc3", "fontsize": _points(self.fontsize * 1.1),
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
        for scope_id in sorted(clusters, key=nesting, reverse=True):
            cluster = clusters[scope_id]
            if not cluster.body:
                continue
            parent = self._cluster_of(scopes[scope_id].parent)
            (clusters[parent] if parent in clusters else dot).subgraph(cluster)

    # --- nodes -------------------------------------------------------------------------
    def _node(self, target: Digraph, node: Any) -> None:
        if isinstance(node, TensorNode):
            self._tensor(target, node)
        elif isinstance(node, ConstantNode):
            self._constant(target, node)
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
        lines, grids = [], []
        if node.name:
            lines.append(node.name)
        lines.append(labels.tensor_description(node.shape, node.dtype, node.device))
        layout = labels.grid_shape(node.shape, self.grid)
        if node.tensor is not None and self.values and self.forward:
            if layout is not None:
                grids.append(labels.grid_html(labels.host_array(node.tensor), *layout, "data"))
            else:
                text = labels.data_text(node.tensor)
                if text is not None:
                    lines.append(text)
        if self.grads and node.requires_grad:
            grad = None if node.tensor is None else node.tensor.grad
            if layout is not None and grad is not None:
                grids.append(labels.grid_html(labels.host_array(grad), *layout, "grad"))
            else:
                lines.append(self._grad_text(node))
        label = labels.html_label(lines, grids) if grids else graphviz.nohtml(labels.lines_to_label(lines))
        target.node(node.id, label, shape="box", style=style + ",rounded", fillcolor=fill)

    def _constant(self, target: Digraph, node: ConstantNode) -> None:
        text = "a number" if node.value is UNKNOWN else labels.constant_text(node.value)
        target.node(node.id, graphviz.nohtml(text), shape="box", style="filled,dashed", fillcolor=CONSTANT_FILL,
                    color="#999999", fontsize=_points(self.fontsize * 0.9), height="0.25", width="0.3",
                    margin="0.05,0.02", tooltip="a Python number")

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

    def _module_title(self, node: OpNode) -> list[str]:
        """The module label an inline (leaf-module) op carries on its first line."""
        if node.scope is not None and self.inline.get(node.scope) == node.id:
            return [self.graph.scopes[node.scope].label]
        return []

    def _backward_name(self, node: OpNode) -> str:
        return labels.backward_name(node.op, node.attrs, node.input_shapes, node.constants, node.module)

    def _op(self, target: Digraph, node: OpNode) -> None:
        if self.scalar:
            symbol = labels.SYMBOLS.get(node.op, node.op)
            target.node(node.id, graphviz.nohtml(symbol), shape="circle", style="filled",
                        fillcolor=OP_FILL, width="0.35", margin="0.02", tooltip=node.op)
            return
        lines = self._module_title(node) + [node.op]
        lines += labels.attribute_lines(node.op, node.attrs, node.input_shapes, node.output_shapes)
        if node.device:
            lines.append(node.device)
        left = node.op == "conv2d" or len(self._module_title(node)) > 0
        fill = MODULE_FILL if node.module else OP_FILL
        target.node(node.id, graphviz.nohtml(labels.lines_to_label(lines, left=left)),
                    shape="box", style="filled", fillcolor=fill, color="#666666")

    def _rules(self, node: OpNode) -> list[str]:
        if node.module is not None:
            return list(labels.MODULE_RULES.get(node.op, []))
        if node.op == "conv2d":
            return labels.conv2d_backward_lines(node.attrs, node.input_shapes, node.output_shapes,
                                                node.needs_input_grad)
        return [rule for rule in labels.backward_lines(node.op, node.needs_input_grad) if rule]

    def _backward_op(self, target: Digraph, node: OpNode) -> None:
        node_id = self._backward_id(node.id)
        rules = self._rules(node)
        name = self._backward_name(node)
        if self.scalar:
            symbol = labels.SYMBOLS.get(node.op, node.op)
            target.node(node_id, graphviz.nohtml(symbol), shape="circle", style="filled",
                        fillcolor=BACKWARD_FILL, color=BACKWARD_COLOR, width="0.35", margin="0.02",
                        tooltip=graphviz.nohtml(name + ": " + "; ".join(rules)))
            return
        lines = ([] if self.forward else self._module_title(node)) + [name] + rules
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
        extra = {}
        consumer = nodes[edge.target]
        names = labels.GRADIENT_EDGE_NAMES.get(consumer.op) if isinstance(consumer, OpNode) else None
        if names and edge.position is not None and edge.position < len(names) and consumer.module is None:
            named = getattr(nodes[edge.source], "name", None)
            # The tensor's own short name when it has one (dL/dk for a kernel called k).
            extra["label"] = " " + (f"dL/d{named}" if named and len(named) <= 8 else names[edge.position])
        dot.edge(source, target, dir="back", color=BACKWARD_COLOR, fontcolor=BACKWARD_COLOR, **extra)

    # --- title and legend ----------------------------------------------------------------
    def _caption(self, dot: Digraph, legend: str | None, title: str | None) -> None:
        """Title and legend share the graph's label (a small table), placed where ``legend``
        says (the title alone goes on top)."""
        if not legend and not title:
            return
        rows = []
        if title:
            rows.append(f'<TR><TD BORDER="0"><FONT POINT-SIZE="{_points(self.fontsize * 1.4)}">'
                        f"{labels.html_escape(title)}</FONT></TD></TR>")
        if legend:
            rows.append(f'<TR><TD BORDER="0">{self._legend_table()}</TD></TR>')
        location, justify = LEGEND_PLACES[legend] if legend else ("t", "c")
        dot.attr(label=f'<<TABLE BORDER="0" CELLSPACING="2">{"".join(rows)}</TABLE>>',
                 labelloc=location, labeljust=justify, fontsize=_points(self.fontsize))

    def _legend_table(self) -> str:
        kinds = {n.kind for i, n in self.graph.nodes.items() if isinstance(n, TensorNode) and i in self.drawn}
        cells = [("legend", None, None)]
        for kind in (INPUT, PARAMETER, LEAF, INTERMEDIATE, OUTPUT):
            if kind in kinds:
                cells.append((kind, TENSOR_FILL[kind], "#000000"))
        if any(isinstance(n, ConstantNode) for i, n in self.graph.nodes.items() if i in self.drawn):
            cells.append(("Python number", CONSTANT_FILL, "#999999"))
        if self.forward:
            cells.append(("forward op", OP_FILL, "#666666"))
        if self.backward:
            cells.append(("backward op", BACKWARD_FILL, BACKWARD_COLOR))
        parts = []
        for text, fill, color in cells:
            if fill is None:
                parts.append(f'<TD BORDER="0">{text}:</TD>')
            else:
                parts.append(f'<TD BORDER="1" COLOR="{color}" BGCOLOR="{fill}" STYLE="rounded">{text}</TD>')
        return f'<TABLE BORDER="0" CELLSPACING="4" CELLPADDING="3"><TR>{"".join(parts)}</TR></TABLE>'


def _points(value: float) -> str:
    return f"{value:g}"
