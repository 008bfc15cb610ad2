"""The pictures of a backward pass, one per step, shared by every way of showing a trace: the HTML
player, the animations (GIF, APNG, WebP), the PDF with one page per step and the Beamer slides.

Frame k shows ``trace[k]``: the graph with the gradients known after that step, the current node,
its edges and the parents it passes gradient to highlighted. Every frame is the same graph with
boxes of the same size (each grad cell as wide as the widest number it ever shows), so Graphviz
lays every frame out the same way: nodes never move from one frame to the next.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Protocol

from autograd.core.format import format_number
from autograd.core.value import Value
from autograd.pictures.draw import GraphContent, Marks, dot_source, html_text
from autograd.pictures.options import PictureOptions

# Helvetica 11pt is about 6.2pt per character of "grad -0.1234"; plus the cell's padding (3pt
# a side in a row of cells, 1pt in boxes of rows, ``draw._box_table``) and 2pt.
_POINTS_PER_CHAR = 6.4
_CELL_PADDING = {1: 8, 2: 4, 3: 4}
# A caption's lines in Helvetica 11pt (bold title): generous, so text never spills out.
_CAPTION_POINTS_PER_CHAR = 6.8
_CAPTION_LINE = 15


class RecordedUpdate(Protocol):
    """One ``+=`` of a step, as the pictures read it (``autograd.stepthrough.trace.ParentUpdate``
    is one)."""

    @property
    def parent(self) -> Value: ...

    @property
    def grad_after(self) -> float: ...


class RecordedStep(Protocol):
    """One step, as the pictures read it (``autograd.Step`` is one)."""

    @property
    def index(self) -> int: ...

    @property
    def node(self) -> Value: ...

    @property
    def updates(self) -> Sequence[RecordedUpdate]: ...

    def formula(self) -> str: ...


class RecordedPass(Protocol):
    """A backward pass, as the pictures read it: ``autograd.Trace`` is one.

    The pictures name this protocol rather than the ``Trace`` class, so that dependencies point
    one way: ``trace`` hands itself to its pictures (``stepthrough.output``), and they never
    import it back.
    """

    root: Value
    nodes: Sequence[Value]
    names: Mapping[Value, str]
    data: Mapping[Value, float]
    params: AbstractSet[Value]
    made_up_names: AbstractSet[Value]

    @property
    def output(self) -> str: ...

    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[RecordedStep]: ...


@dataclass(frozen=True)
class Frame:
    """One step's picture: ``title`` ("Step 3 of 7: n = add1 + b"), ``narration`` (its
    chain-rule lines), ``source``, the DOT text of the graph as it stands after the step, and
    ``grads``, the gradients known by then."""

    title: str
    narration: str
    source: str
    grads: dict[Value, float]


def step_frames(trace: RecordedPass, options: PictureOptions, captions: bool = False,
                box_rows: int = 1, ops_in_boxes: bool = False,
                measured_size: float = 11) -> list[Frame]:
    """One ``Frame`` per step of ``trace``, frame k showing ``trace[k]``, in ``options``' theme
    and direction.

    With ``captions=True`` each picture carries its title and narration above the graph (for
    animations and PDF pages, which have no page around them), in a box of the same size in every
    frame so that the layout stays put. ``box_rows`` (2: name and data over grad, 3: one over
    another) and ``ops_in_boxes`` (each operation in its value's box, not a rank of its own)
    shape the picture to a slide (``Marks``); ``measured_size`` is the font size at which
    Graphviz measures the boxes' 11pt text (``Marks.measured_size``).
    """
    nodes = list(trace.nodes)
    history = _grads_after_each_step(trace)
    widths = _grad_widths(nodes, history, measured_size / 11, _CELL_PADDING[box_rows])
    texts = []
    for step in trace:
        narration = str(step)
        if step.index == 0:
            narration += (": the output's gradient with respect to itself. Every other "
                          "gradient is not known yet (grad ?).")
        texts.append((f"Step {step.index} of {len(trace) - 1}: {step.formula()}", narration))
    box = _caption_box(texts) if captions else None
    content = GraphContent(nodes, trace.root, trace.names, trace.data, params=trace.params,
                           italic=trace.made_up_names)
    frames = []
    for step, grads, (title, narration) in zip(trace, history, texts):
        current = step.node
        marks = Marks(grads=grads, grad_width=widths,
                      marked={current} | {u.parent for u in step.updates},
                      marked_ops={current} if step.updates else set(),
                      marked_edges={(current, i) for i in range(len(step.updates))},
                      caption=_caption(title, narration, box) if box else "",
                      box_rows=box_rows, ops_in_boxes=ops_in_boxes,
                      measured_size=measured_size)
        frames.append(Frame(title, narration, dot_source(content, marks, options), grads))
    return frames


def _grads_after_each_step(trace: RecordedPass) -> list[dict[Value, float]]:
    """The gradients known after each step (this backward pass's), step 0 knowing dL/dL = 1."""
    grads = {trace.root: 1.0}
    history = []
    for step in trace:
        for update in step.updates:
            grads[update.parent] = update.grad_after
        history.append(dict(grads))
    return history


def _grad_widths(nodes: list[Value], history: list[dict[Value, float]], scale: float,
                 padding: int) -> dict[Value, int]:
    """Each node's grad cell wide enough for every number it shows in any frame (its text
    measured at ``scale`` times 11pt, plus ``padding``), so that boxes keep their size and the
    picture does not jump from frame to frame."""
    longest = {node: len("grad ?") for node in nodes}
    for grads in history:
        for node, grad in grads.items():
            longest[node] = max(longest[node], len(f"grad {format_number(grad)}"))
    return {node: math.ceil(n * _POINTS_PER_CHAR * scale) + padding
            for node, n in longest.items()}


def _caption_box(texts: list[tuple[str, str]]) -> tuple[int, int]:
    """(width, height) in points of a caption box that holds every frame's title and lines."""
    lines = [[title, *narration.splitlines()] for title, narration in texts]
    longest = max(len(line) for frame in lines for line in frame)
    most = max(len(frame) for frame in lines)
    return (math.ceil(longest * _CAPTION_POINTS_PER_CHAR) + 8,
            most * _CAPTION_LINE + 10)


def _caption(title: str, narration: str, box: tuple[int, int]) -> str:
    """The HTML-like label above a frame: the title in bold, then the narration, left-aligned,
    in a box of the fixed size ``box``."""
    width, height = box
    lines = [f"<b>{html_text(title)}</b>"] + [html_text(line) for line in narration.splitlines()]
    text = '<br align="left"/>'.join(lines) + '<br align="left"/>'
    return (f'<table border="0" cellpadding="4"><tr><td fixedsize="true" width="{width}" '
            f'height="{height}" align="left" valign="top" balign="left">{text}</td></tr>'
            "</table>")
