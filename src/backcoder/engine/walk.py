"""The engine: answers in, the next question or the finished walk out.

The engine is a pure function of the rule set and the answers: it walks the tree from the
start node, taking each answer as the path reaches its question, and stops either at the
first question it cannot answer (a `Pending`) or at the end of the tree (a `Finished`).
Nothing here knows of terminals, files or the tabular. The walker re-runs it after every
answer; the rule checker forks a pending walk over every choice to prove properties.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cached_property

from backcoder.engine.answers import Answer, Answers, Source
from backcoder.errors import AnswerError, RuleFileError
from backcoder.icd.codes import with_seventh_character
from backcoder.language.model import (
    CODED,
    AskNode,
    CodeSpec,
    Condition,
    DecideNode,
    EachNode,
    Note,
    OutcomeNode,
    OutcomeQuery,
    RefuseNode,
    RuleSet,
    TablePart,
    matching_values,
)


class RuleDefect(RuleFileError):
    """The rule tree cannot go on (no table row matches, say): `rules check` catches these."""


class Refusal(AnswerError):
    """The answers cannot stand together, and the tree says so (a `refuse` node): bad input
    for `code` (exit 2) and an error line in a batch; a deliberate end for `rules check`.
    `naming` holds the question ids the refusal names, so that a caller can tell a value
    the site rules out (condition=sacroiliitis with region=cervical) from other clashes."""

    def __init__(self, message: str, naming: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.naming = naming


@dataclass(slots=True)
class ReportedCode:
    code: str
    spec: CodeSpec
    node: str
    scope: tuple[tuple[str, str], ...] = ()
    """The value of each multi-select answer being walked when the code was reported (the
    region of a several-region problem), so a code's site is known."""


@dataclass(slots=True)
class PathStep:
    question: str
    answer: Answer
    node: str
    """The node that asked it (so a default given at that node can be recognised)."""


@dataclass(slots=True)
class Loop:
    question: str
    values: tuple[str, ...]
    body: str
    after: str | None
    index: int = 0


@dataclass(slots=True)
class Walk:
    """Where a walk is and what it has gathered; copied when the checker forks it."""

    node: str | None
    loops: list[Loop] = field(default_factory=list)
    path: list[PathStep] = field(default_factory=list)
    codes: list[ReportedCode] = field(default_factory=list)
    notes: list[tuple[str, Note]] = field(default_factory=list)
    taken: dict[str, Answer] = field(default_factory=dict)
    queried: list[OutcomeQuery] = field(default_factory=list)
    """Queries outcomes raised for details their codes cannot carry."""

    def fork(self) -> Walk:
        """An independent copy; reported codes and path steps are never mutated, so the
        lists are copied but their items shared."""
        return Walk(
            node=self.node,
            loops=[copy.copy(loop) for loop in self.loops],
            path=list(self.path),
            codes=list(self.codes),
            notes=list(self.notes),
            taken=dict(self.taken),
            queried=list(self.queried),
        )

    def answer_in_scope(self, question: str) -> tuple[str, ...] | None:
        for loop in reversed(self.loops):
            if loop.question == question:
                return (loop.values[loop.index],)
        taken = self.taken.get(question)
        return taken.values if taken else None


@dataclass(slots=True)
class Pending:
    """The walk needs an answer to `question`; `allowed` is what this point of the tree takes."""

    question: str
    allowed: tuple[str, ...]
    walk: Walk
    number: int
    at_most: int
    default: tuple[str, ...] | None = None
    """The value a scripted run would take here (the node's default, else the question's):
    what Enter accepts at the prompt."""


@dataclass(slots=True)
class Finished:
    walk: Walk


class Engine:
    """Runs walks over one rule set; holds what is derived from it once."""

    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules
        self._asks = {
            name: _AskPlan.of(rules, node)
            for name, node in rules.nodes.items()
            if isinstance(node, AskNode | EachNode)
        }
        self._rows = {
            name: tuple((_compiled(row.when), row.value) for row in table.as_rows())
            for name, table in rules.tables.items()
        }
        self._decisions = {
            name: tuple((_compiled(row.when), row.then) for row in node.decide)
            for name, node in rules.nodes.items()
            if isinstance(node, DecideNode)
        }

    def run(self, answers: Answers, *, use_defaults: bool) -> Pending | Finished:
        return self.resume(Walk(node=self.rules.start), answers, use_defaults=use_defaults)

    def resume(self, walk: Walk, answers: Answers, *, use_defaults: bool) -> Pending | Finished:
        """Walk on until a question has no answer or the tree ends."""
        while True:
            if walk.node is None:
                if not walk.loops:
                    return Finished(walk)
                self._next_iteration(walk)
                continue
            node = self.rules.nodes[walk.node]
            if isinstance(node, OutcomeNode):
                self._report(walk, node)
                walk.node = node.next
            elif isinstance(node, DecideNode):
                walk.node = self._decide(walk, walk.node)
            elif isinstance(node, RefuseNode):
                raise Refusal(refusal_message(walk, node), tuple(node.naming))
            else:
                pending = self._take_answer(walk, node, answers, use_defaults)
                if pending is not None:
                    return pending
                walk.node = self._route(walk, node)

    def _take_answer(
        self, walk: Walk, node: AskNode | EachNode, answers: Answers, use_defaults: bool
    ) -> Pending | None:
        assert walk.node is not None
        plan = self._asks[walk.node]
        question_id = plan.question
        in_scope = walk.answer_in_scope(question_id)
        if in_scope is not None:
            plan.check_fits(walk, in_scope)
            return None
        answer = answers.get(question_id)
        if answer is None:
            if not ((use_defaults or plan.quiet) and plan.default):
                number, at_most = len(walk.path) + 1, self._at_most(walk)
                default = plan.default.values if plan.default else None
                return Pending(question_id, plan.allowed, walk, number, at_most, default)
            answer = plan.default
        plan.check_fits(walk, answer.values)
        walk.taken[question_id] = answer
        walk.path.append(PathStep(question_id, answer, walk.node))
        return None

    def _route(self, walk: Walk, node: AskNode | EachNode) -> str | None:
        if isinstance(node, EachNode):
            values = walk.taken[node.each].values
            walk.loops.append(Loop(node.each, values, node.do, node.next))
            return node.do
        values = walk.answer_in_scope(node.ask) or ()
        if node.next is not None:
            return node.next
        if len(values) != 1:
            raise RuleDefect(
                f"node branches on {node.ask}, which has {len(values)} values here: "
                "walk them with an `each` node"
            )
        target = node.target(values[0])
        if target is None:
            raise RuleDefect(f"no branch for {node.ask}={values[0]}")
        return target

    def _next_iteration(self, walk: Walk) -> None:
        loop = walk.loops[-1]
        loop.index += 1
        if loop.index < len(loop.values):
            walk.node = loop.body
        else:
            walk.loops.pop()
            walk.node = loop.after

    def _decide(self, walk: Walk, name: str) -> str:
        for condition, then in self._decisions[name]:
            if _matches(walk, condition):
                return then
        raise RuleDefect(f"no row of node {name} matches the answers")

    def _report(self, walk: Walk, node: OutcomeNode) -> None:
        assert walk.node is not None
        for spec in node.report:
            code = self.build_code(walk, spec)
            if all(reported.code != code for reported in walk.codes):
                scope = tuple((loop.question, loop.values[loop.index]) for loop in walk.loops)
                walk.codes.append(ReportedCode(code, spec, walk.node, scope))
        # once, however many regions; outside an `each` loop no node is visited twice (the
        # tree has no cycles), so only a loop needs the search
        if node.note is not None and not (
            walk.loops and any(name == walk.node for name, _ in walk.notes)
        ):
            walk.notes.append((walk.node, node.note))
        if node.query is not None and node.query not in walk.queried:
            walk.queried.append(node.query)

    def build_code(self, walk: Walk, spec: CodeSpec) -> str:
        if spec.code is not None:
            stem = spec.code
        else:
            assert spec.compose is not None
            stem = "".join(
                self._lookup(walk, part.table) if isinstance(part, TablePart) else part
                for part in spec.compose
            )
        if spec.seventh is None:
            return stem
        return with_seventh_character(stem, self._lookup(walk, spec.seventh))

    def _lookup(self, walk: Walk, table_name: str) -> str:
        for condition, value in self._rows[table_name]:
            if _matches(walk, condition):
                return value
        raise RuleDefect(f"no row of table {table_name} matches the answers")

    def _at_most(self, walk: Walk) -> int:
        assert walk.node is not None
        ahead = self.questions_ahead[walk.node]
        return (
            len(walk.path)
            + max(ahead, 1)
            + sum(
                self.questions_ahead.get(loop.after, 0) if loop.after else 0 for loop in walk.loops
            )
        )

    @cached_property
    def questions_ahead(self) -> dict[str, int]:
        """For each node, the most questions any path from it can still ask (an upper bound).

        A depth-first pass with its own stack, not recursion: a rule file of any depth the
        schema accepts is planned without overflowing Python's stack."""
        memo: dict[str, int] = {}
        nodes = self.rules.nodes
        for root in nodes:
            stack: list[tuple[str, frozenset[str], bool]] = [(root, frozenset(), False)]
            while stack:
                name, looped, children_done = stack.pop()
                if name in memo or name not in nodes:
                    continue
                if children_done:
                    memo[name] = self._longest(name, looped, memo)
                    continue
                stack.append((name, looped, True))
                stack.extend(reversed(_children(nodes[name], looped)))
        return memo

    def _longest(self, name: str, looped: frozenset[str], memo: dict[str, int]) -> int:
        node = self.rules.nodes[name]
        if isinstance(node, EachNode):
            after = memo.get(node.next, 0) if node.next else 0
            return 1 + memo.get(node.do, 0) + after
        asks = isinstance(node, AskNode) and node.ask not in looped
        return int(asks) + max((memo.get(t, 0) for t in node.targets()), default=0)


def _children(node: object, looped: frozenset[str]) -> list[tuple[str, frozenset[str], bool]]:
    """The nodes a node's bound depends on, in the order a recursive pass would visit them."""
    if isinstance(node, EachNode):
        after = [(node.next, looped, False)] if node.next else []
        return [*after, (node.do, looped | {node.each}, False)]
    return [(target, looped, False) for target in node.targets()]  # type: ignore[attr-defined]


CompiledCondition = tuple[tuple[str, frozenset[str]], ...]


def _compiled(condition: Condition) -> CompiledCondition:
    """A match map as (key, wanted values) pairs, worked out once when the engine is built:
    the engine keeps no state keyed by object identity, so it pickles and unpickles whole."""
    return tuple((key, matching_values(value)) for key, value in condition.items())


def _matches(walk: Walk, condition: CompiledCondition) -> bool:
    """Every key matches; a question not on the path never matches."""
    for key, wanted in condition:
        if key == CODED:
            found: set[str] | tuple[str, ...] = {reported.spec.kind for reported in walk.codes}
        else:
            found = walk.answer_in_scope(key) or ()
        if wanted.isdisjoint(found):
            return False
    return True


@dataclass(frozen=True, slots=True)
class _AskPlan:
    """What an ask or each node needs on every walk, worked out once per rule set."""

    question: str
    allowed: tuple[str, ...]
    allowed_set: frozenset[str]
    default: Answer | None
    quiet: bool = False

    @classmethod
    def of(cls, rules: RuleSet, node: AskNode | EachNode) -> _AskPlan:
        question = node.ask if isinstance(node, AskNode) else node.each
        only = node.only if isinstance(node, AskNode) else None
        allowed = tuple(only) if only is not None else tuple(rules.questions[question].choices)
        default = (node.default if isinstance(node, AskNode) else None) or (
            rules.questions[question].default
        )
        answer = Answer(tuple(default), Source.default) if default else None
        quiet = isinstance(node, AskNode) and node.quiet
        return cls(question, allowed, frozenset(allowed), answer, quiet)

    def check_fits(self, walk: Walk, values: tuple[str, ...]) -> None:
        """An answer the tree restricts at this point (`only`) must be among what it allows."""
        if self.allowed_set.issuperset(values):
            return
        misfit = [value for value in values if value not in self.allowed_set]
        raise AnswerError(
            f"{self.question}={','.join(misfit)} does not fit this path "
            f"({describe(walk)}); here {self.question} takes {', '.join(self.allowed)}"
        )


def refusal_message(walk: Walk, node: RefuseNode) -> str:
    """`condition=disc_displacement with region=coccygeal: <why>`: the answers in scope."""
    named = [
        f"{question}={','.join(walk.answer_in_scope(question) or ('(not given)',))}"
        for question in node.naming
    ]
    return f"{' with '.join(named)}: {node.refuse}"


def describe(walk: Walk) -> str:
    """The path so far as `question=value` pairs, for messages."""
    return ", ".join(f"{step.question}={','.join(step.answer.values)}" for step in walk.path)
