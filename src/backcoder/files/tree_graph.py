"""The rule tree as a picture: Mermaid (which code hosts render in Markdown) or Graphviz DOT.

Every node of the tree is drawn once, so the shared steps (the chronic-pain questions, the
per-region pain codes the sciatica path reuses) appear once with several arrows in:

- a question the tree asks is a rhombus labelled with the question id (`region?`), its
  arrows labelled with the answers that take them (`other` for the rest); a second line
  gives the default the tree takes at that point only (`default injury`), or says the
  question is never prompted there (`quiet, default other`: the record's answer, else the
  default);
- a decision on earlier answers is a hexagon, its arrows labelled with the row's condition
  (`else` for a row that always matches);
- a loop over a multi-select answer is a box with double sides (`each region`): the arrow
  `each` goes into its body, whose last step returns to the loop, and `then` goes on after;
- what the tree reports is a rounded box listing the codes (a composed code shows its
  tables: `S32.0‹lumbar_vertebra›‹fracture_type_digit› 7th ‹fracture_seventh›`), or a note
  (a decision that adds no code) shown as a flag; an outcome that raises a physician query
  adds a line `query QUESTION`;
- a refusal (answers that cannot stand together) is a trapezoid, `refused:` and the
  first words of its message.

The shipped tree draws within Mermaid's default limits (50,000 characters, 500 arrows), so
nothing is collapsed; a test keeps it there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from enum import StrEnum
from typing import NamedTuple

from backcoder.language.model import (
    AskNode,
    CodeSpec,
    Condition,
    DecideNode,
    EachNode,
    OutcomeNode,
    RefuseNode,
    RuleSet,
    matching_values,
)

NOTE_WORDS = 8
"""A note is drawn by its first words: the whole reason is in the result and the rule file."""


class Shape(StrEnum):
    question = "question"
    decision = "decision"
    loop = "loop"
    codes = "codes"
    note = "note"
    refusal = "refusal"


class Box(NamedTuple):
    name: str
    shape: Shape
    lines: tuple[str, ...]


class Arrow(NamedTuple):
    source: str
    target: str
    label: str


def boxes(rules: RuleSet) -> Iterator[Box]:
    for name, node in rules.nodes.items():
        if isinstance(node, AskNode):
            yield Box(name, Shape.question, (f"{node.ask}?", *_ask_default(node)))
        elif isinstance(node, DecideNode):
            yield Box(name, Shape.decision, (name.replace("_", " "),))
        elif isinstance(node, EachNode):
            yield Box(name, Shape.loop, (f"each {node.each}",))
        elif isinstance(node, OutcomeNode):
            yield _outcome_box(name, node)
        elif isinstance(node, RefuseNode):
            yield Box(name, Shape.refusal, ("refused: " + _first_words(node.refuse),))


def _ask_default(node: AskNode) -> tuple[str, ...]:
    """The second line of a question: what the tree takes there when the record is silent
    (only where the node says so: a question's own default is the same everywhere)."""
    if not node.default:
        return ()
    values = ", ".join(node.default)
    return (f"quiet, default {values}" if node.quiet else f"default {values}",)


def _outcome_box(name: str, node: OutcomeNode) -> Box:
    query = (f"query {node.query.about}",) if node.query else ()
    codes = tuple(_code_text(spec) for spec in node.report)
    if codes:
        return Box(name, Shape.codes, codes + query)
    text = node.note.text if node.note else node.query.text if node.query else ""
    return Box(name, Shape.note, (_first_words(text), *(query if node.note else ())))


def arrows(rules: RuleSet) -> Iterator[Arrow]:
    for name, node in rules.nodes.items():
        if isinstance(node, AskNode):
            yield from _ask_arrows(name, node)
        elif isinstance(node, DecideNode):
            labels: dict[str, list[str]] = {}
            for row in node.decide:
                labels.setdefault(row.then, []).append(_condition_text(row.when))
            for target, texts in labels.items():
                yield Arrow(name, target, " or ".join(texts))
        elif isinstance(node, EachNode):
            yield Arrow(name, node.do, "each")
            if node.next:
                yield Arrow(name, node.next, "then")
        elif isinstance(node, OutcomeNode) and node.next:
            yield Arrow(name, node.next, "")


def _ask_arrows(name: str, node: AskNode) -> Iterator[Arrow]:
    if node.next is not None:
        yield Arrow(name, node.next, "")
        return
    labels: dict[str, list[str]] = {}
    for value, target in node.branches.items():
        labels.setdefault(target, []).append(value)
    if node.otherwise is not None:
        labels.setdefault(node.otherwise, []).append("other")
    for target, values in labels.items():
        yield Arrow(name, target, ", ".join(values))


def _condition_text(when: Condition) -> str:
    if not when:
        return "else"
    return ", ".join(
        f"{key}={' / '.join(sorted(matching_values(value)))}" for key, value in when.items()
    )


def _code_text(spec: CodeSpec) -> str:
    if spec.code is not None:
        return spec.code
    parts = [part if isinstance(part, str) else f"‹{part.table}›" for part in spec.compose or []]
    seventh = f" 7th ‹{spec.seventh}›" if spec.seventh else ""
    return "".join(parts) + seventh


def _first_words(text: str) -> str:
    words = text.split()
    head = " ".join(words[:NOTE_WORDS])
    return head + (" …" if len(words) > NOTE_WORDS else "")


# Mermaid -------------------------------------------------------------------------------

MERMAID_SHAPES = {
    Shape.question: ("{", "}"),
    Shape.decision: ("{{", "}}"),
    Shape.loop: ("[[", "]]"),
    Shape.codes: ("(", ")"),
    Shape.note: (">", "]"),
    Shape.refusal: ("[/", "\\]"),
}


def mermaid(rules: RuleSet) -> str:
    """A Mermaid flowchart of the tree, read left to right from the start node."""
    ids = _ids(rules)
    lines = ["flowchart LR"]
    for box in boxes(rules):
        opening, closing = MERMAID_SHAPES[box.shape]
        text = "<br>".join(_mermaid_text(line) for line in box.lines)
        lines.append(f'  {ids[box.name]}{opening}"{text}"{closing}')
    for arrow in arrows(rules):
        label = f'|"{_mermaid_text(arrow.label)}"|' if arrow.label else ""
        lines.append(f"  {ids[arrow.source]} -->{label} {ids[arrow.target]}")
    lines.append(f"  classDef start stroke-width:3px\n  class {ids[rules.start]} start")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return (
        text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _ids(rules: RuleSet) -> dict[str, str]:
    """Node ids Mermaid accepts (letters, digits, underscores; never a keyword like `end`)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in rules.nodes:
        base = "n_" + re.sub(r"\W", "_", name)
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            candidate = f"{base}_{number}"
        taken.add(candidate)
        ids[name] = candidate
    return ids


# Graphviz DOT --------------------------------------------------------------------------

DOT_SHAPES = {
    Shape.question: "diamond",
    Shape.decision: "hexagon",
    Shape.loop: "box, peripheries=2",
    Shape.codes: "box, style=rounded",
    Shape.note: "note",
    Shape.refusal: "trapezium",
}


def dot(rules: RuleSet) -> str:
    """A Graphviz digraph of the tree (`dot -Tsvg`), left to right from the start node."""
    lines = [f"digraph {_dot_text(rules.name)} {{", "  rankdir=LR;", "  node [fontsize=11];"]
    for box in boxes(rules):
        extra = ", penwidth=3" if box.name == rules.start else ""
        label = _dot_text("\n".join(box.lines))
        lines.append(
            f"  {_dot_text(box.name)} [shape={DOT_SHAPES[box.shape]}{extra}, label={label}];"
        )
    for arrow in arrows(rules):
        label = f" [label={_dot_text(arrow.label)}]" if arrow.label else ""
        lines.append(f"  {_dot_text(arrow.source)} -> {_dot_text(arrow.target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
