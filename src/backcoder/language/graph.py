"""The rule tree as a graph: every name it uses exists, and no path loops.

These are questions about the rule language itself, answered without walking the tree, so
both the static proof (`rules check`) and the loader (which refuses a tree the engine could
not walk) ask them here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from backcoder.language.model import (
    CODED,
    AskNode,
    CodeSpec,
    Condition,
    DecideNode,
    EachNode,
    Kind,
    OutcomeNode,
    RefuseNode,
    RuleSet,
    TablePart,
    matching_values,
)


@dataclass(frozen=True, order=True)
class Defect:
    """Something wrong with a rule file, at a node (or a table, question, knowledge key)."""

    node: str
    reason: str

    def line(self, file: str) -> str:
        return f"{file}: {self.node}: {self.reason}"


def runnability_defects(rules: RuleSet) -> list[Defect]:
    """What stops the engine from walking the tree at all: dangling names and cycles."""
    dangling = sorted(set(reference_defects(rules)))
    return dangling or sorted(set(cycle_defects(rules)))


def reference_defects(rules: RuleSet) -> Iterator[Defect]:
    if rules.start not in rules.nodes:
        yield Defect("start", f"start node {rules.start!r} does not exist")
    for name, node in rules.nodes.items():
        for target in node.targets():
            if target not in rules.nodes:
                yield Defect(name, f"refers to node {target!r}, which does not exist")
        yield from _node_reference_defects(rules, name, node)
    for name, table in rules.tables.items():
        for row in table.as_rows():
            yield from condition_defects(rules, f"table {name}", row.when)


def _node_reference_defects(rules: RuleSet, name: str, node: object) -> Iterator[Defect]:
    if isinstance(node, AskNode | EachNode):
        yield from _asked_defects(rules, name, node)
    elif isinstance(node, DecideNode):
        for row in node.decide:
            yield from condition_defects(rules, name, row.when)
    elif isinstance(node, OutcomeNode):
        for spec in node.report:
            yield from _spec_reference_defects(rules, name, spec)
        if node.query is not None:
            yield from _question_named(rules, name, node.query.about, "queries about")
    elif isinstance(node, RefuseNode):
        for question_id in node.naming:
            yield from _question_named(rules, name, question_id, "names")


def _asked_defects(rules: RuleSet, name: str, node: AskNode | EachNode) -> Iterator[Defect]:
    question_id = node.ask if isinstance(node, AskNode) else node.each
    if question_id not in rules.questions:
        yield Defect(name, f"asks {question_id!r}, which is not a question")
        return
    choices = rules.questions[question_id].choices
    named = list(node.branches) + (node.only or []) if isinstance(node, AskNode) else []
    for value in named:
        if value not in choices:
            yield Defect(name, f"{value!r} is not a choice of {question_id}")
    if isinstance(node, EachNode) and not rules.questions[question_id].multiple:
        yield Defect(name, f"walks each value of {question_id}, which takes one value")


def _question_named(rules: RuleSet, name: str, question_id: str, verb: str) -> Iterator[Defect]:
    if question_id not in rules.questions:
        yield Defect(name, f"{verb} {question_id!r}, which is not a question")


def _spec_reference_defects(rules: RuleSet, name: str, spec: CodeSpec) -> Iterator[Defect]:
    for table in tables_of(spec):
        if table not in rules.tables:
            yield Defect(name, f"uses table {table!r}, which does not exist")


def tables_of(spec: CodeSpec) -> list[str]:
    """The tables a code is composed from, its 7th character's included."""
    tables = [part.table for part in spec.compose or [] if isinstance(part, TablePart)]
    return tables + ([spec.seventh] if spec.seventh else [])


def condition_defects(rules: RuleSet, where: str, condition: Condition) -> Iterator[Defect]:
    for key, expected in condition.items():
        if key == CODED:
            unknown = matching_values(expected) - {kind.value for kind in Kind}
            if unknown:
                yield Defect(where, f"`coded` takes {', '.join(Kind)}, not {sorted(unknown)}")
            continue
        question = rules.questions.get(key)
        if question is None:
            yield Defect(where, f"condition on {key!r}, which is not a question")
            continue
        for value in matching_values(expected) - set(question.choices):
            yield Defect(where, f"{value!r} is not a choice of {key}")


def cycle_defects(rules: RuleSet) -> Iterator[Defect]:
    """Every cycle, found by an iterative depth-first search (a deep tree cannot overflow
    Python's recursion limit)."""
    state: dict[str, str] = {}
    for root in rules.nodes:
        if root in state:
            continue
        trail = [root]
        stack = [iter(rules.nodes[root].targets())]
        state[root] = "open"
        while stack:
            target = next(stack[-1], None)
            if target is None:
                state[trail.pop()] = "done"
                stack.pop()
            elif state.get(target) == "open":
                loop = " -> ".join([*trail[trail.index(target) :], target])
                yield Defect(trail[-1], f"cycle: {loop}")
            elif target not in state and target in rules.nodes:
                state[target] = "open"
                trail.append(target)
                stack.append(iter(rules.nodes[target].targets()))


def reachable(rules: RuleSet) -> set[str]:
    seen: set[str] = set()
    stack = [rules.start]
    while stack:
        name = stack.pop()
        if name in seen or name not in rules.nodes:
            continue
        seen.add(name)
        stack.extend(rules.nodes[name].targets())
    return seen
