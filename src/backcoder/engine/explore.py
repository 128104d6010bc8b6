"""Every walk a rule tree allows: the engine forked at each question over its choices.

The static proof walks these to prove what holds on every path; the derived facts (when a
question is asked, which answers lead to a code) come from the same walks, so they can
never disagree with the tree.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from backcoder.engine.answers import Answer, Source
from backcoder.engine.walk import Engine, Finished, PathStep, Pending, RuleDefect, Walk, describe
from backcoder.errors import AnswerError
from backcoder.language.graph import Defect
from backcoder.language.model import CODED, AskNode, DecideNode, EachNode, RuleSet


def explore(engine: Engine, defects: list[Defect]) -> Iterator[Finished]:
    """Every finished walk the tree allows; a point where the tree cannot go on is added to
    `defects` with the path that led there.

    For a multi-select question every single value and every pair is walked: codes are
    reported per value and Excludes1 forbids pairs, so pairs are enough. Questions whose
    answer routes nowhere are walked with one value."""
    routing = routing_questions(engine.rules)
    stack: list[Walk] = [Walk(node=engine.rules.start)]
    while stack:
        walk = stack.pop()
        try:
            outcome = engine.resume(walk, {}, use_defaults=False)
        except RuleDefect as exc:
            defects.append(Defect(walk.node or "path", f"{exc} (after {describe(walk)})"))
            continue
        except AnswerError:
            continue  # answers the tree refuses (`only`, a `refuse` node): an end, not a defect
        if isinstance(outcome, Finished):
            yield outcome
            continue
        for values in _answer_sets(engine.rules, outcome, routing):
            branch = outcome.walk.fork()
            stack.append(_with_answer(branch, outcome.question, values))


def _with_answer(walk: Walk, question: str, values: tuple[str, ...]) -> Walk:
    """The forked walk with the answer on its path, where the engine finds it on resuming."""
    answer = Answer(values, Source.default)
    walk.taken[question] = answer
    assert walk.node is not None
    walk.path.append(PathStep(question, answer, walk.node))
    return walk


def _answer_sets(rules: RuleSet, pending: Pending, routing: set[str]) -> list[tuple[str, ...]]:
    allowed = list(pending.allowed)
    if pending.question not in routing:
        return [(allowed[0],)]
    singles = [(value,) for value in allowed]
    question = rules.questions[pending.question]
    if not question.multiple:
        return singles
    combinable = [v for v in allowed if not question.choices[v].exclusive]
    return singles + list(itertools.combinations(combinable, 2))


def routing_questions(rules: RuleSet) -> set[str]:
    """Questions whose answer can change a code: branched on, walked, matched or looked up."""
    found: set[str] = set()
    for node in rules.nodes.values():
        if isinstance(node, AskNode) and (node.branches or node.only is not None):
            found.add(node.ask)
        elif isinstance(node, EachNode):
            found.add(node.each)
        elif isinstance(node, DecideNode):
            found.update(key for row in node.decide for key in row.when)
    for table in rules.tables.values():
        found.update(key for row in table.as_rows() for key in row.when)
    found.discard(CODED)
    return found
