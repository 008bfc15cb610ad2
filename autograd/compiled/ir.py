"""The compiler's intermediate representation: what a recorded step did, as data, not as text.

As torch.fx's ``Node`` and JAX's ``JaxprEqn``, each entry is one operation whose arguments are
*references* to earlier entries, to the step's inputs, to parameters or to constants; nothing in
it is source code. ``codegen`` reads only this and is the only place text is made.

A reference ``Ref(kind, index)`` is one of

- ``Ref("x", i)``: the step's i-th input number (flattened from its arguments), or, inside the
  per-example body of a ``Program``, the i-th number of the current example;
- ``Ref("s", i)``: inside a ``Program``, the i-th input shared by every example;
- ``Ref("p", i)``: the i-th parameter's ``.data``, read afresh at every call;
- ``Ref("k", i)``: the i-th constant (a plain float or int; written by codegen, never a label);
- ``Ref("v", j)``: the result of entry j.

An ``Entry`` is one of six kinds:

- ``"node"``: an operation of the engine (``op`` a key of the one rule per operation, ``"dot"``
  or ``"**n"`` with ``params == (n,)``); ``flows[i]`` says whether gradient flows back into
  argument i (not into constants, inputs, or through a node made inside ``no_grad()``);
- ``"number"``: arithmetic fn's own code did on followed numbers (``"+"``, ``"max"``...), and
  ``"select"``: ``autograd.where(question, a, b)``, args the question's entry, a and b;
- ``"guard"``: a question fn's code asked (``"<"``, ``"bool"``, ``"index"``...); ``params`` holds
  the answer it got, and ``where`` the index of the user's line in ``Recording.places``;
- ``"draw"``: a random draw, made again in the replay: ``args[0]`` is the constant holding the
  call (``recording.Draw``: the generator, its method and plain arguments);
- ``"question"``: a comparison of a drawn number (dropout's ``random() < p``), asked again of
  the replay's own draw; ``params`` holds the answer the recording got;
- ``"sum"`` (only after ``template``): a dot over the whole batch, ``bias + sum_e out_e * w``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Ref(NamedTuple):
    """A reference to an input, a parameter, a constant or an earlier entry (see the module)."""

    kind: str
    index: int


class Entry(NamedTuple):
    """One operation of a recorded step (see the module doc for the kinds)."""

    kind: str
    op: str
    args: tuple[Ref, ...]
    params: tuple = ()
    flows: tuple[bool, ...] = ()
    where: int = -1


#: A result tree: ``("ref", Ref)``, ``("list", items)``, ``("tuple", items)``, ``("none",)``,
#: and in a ``Program`` ``("each", item)``: one item per example, collected in a list.
Result = tuple


def result_refs(tree: Result) -> list[Ref]:
    """The references in a result tree."""
    kind = tree[0]
    if kind == "ref":
        return [tree[1]]
    if kind == "each":
        return result_refs(tree[1])
    if kind in ("list", "tuple"):
        return [ref for item in tree[1] for ref in result_refs(item)]
    return []


def is_add(entry: Entry) -> bool:
    """Whether ``entry`` is the engine's ``a + b``."""
    return entry.kind == "node" and entry.op == "+" and len(entry.args) == 2


@dataclass
class Program:
    """A step ready for codegen: entries before the per-example loop (``prologue``), the
    template of one example looped over the batch (``body``, empty when there is no batch), and
    entries after it (``epilogue``), all numbered in that order.

    ``order`` lists the node entries in the engine's forward order, the backward pass going
    through it in reverse: the prologue's and epilogue's own, with the body's template order
    standing for every example (``BODY`` marks where the examples go, last one first backward).
    """

    shared_inputs: int
    example_inputs: int
    params: int
    constants: list[Any]
    entries: list[Entry]
    prologue: int  # entries [0, prologue) come before the loop
    body: int  # entries [prologue, prologue + body) are the per-example template
    order: list[int]
    results: list[Result]
    places: list[str] = field(default_factory=list)
    #: Other variants of the body (examples whose questions got other answers), numbered as
    #: the body, and each one's order (``order``'s body part stands for the first variant).
    variants: list[list[Entry]] = field(default_factory=list)
    variant_orders: list[list[int]] = field(default_factory=list)

    @property
    def batched(self) -> bool:
        return self.body > 0

    def segment(self, j: int) -> int:
        """0 before the loop, 1 in the body, 2 after it."""
        return 0 if j < self.prologue else 1 if j < self.prologue + self.body else 2


#: In ``Program.order``: where the examples' bodies go.
BODY = -1
