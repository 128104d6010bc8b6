"""`rules check`: a static proof that a rule set is sound, not a sample of it.

Two passes. The structural pass reads the file: every name it uses exists, the node graph
has no cycle, every node can be reached. The path pass walks every path the tree allows:
it forks the engine at each question over every choice the tree takes there (for a
multi-select question, every single value and every pair, which is enough because codes
are reported per value and Excludes1 forbids pairs), and proves that each path ends in
codes, that every code it can report is valid and billable in the tabular, and that no
two codes it reports together are forbidden by an Excludes1 note.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from backcoder.engine.answers import Answer, Source
from backcoder.engine.walk import Engine, Finished, PathStep, Pending, RuleDefect, Walk
from backcoder.errors import AnswerError
from backcoder.icd.tabular import Tabular, excludes1_conflict
from backcoder.language.model import (
    CODED,
    AskNode,
    Citation,
    CodeSpec,
    Condition,
    DecideNode,
    EachNode,
    Kind,
    Knowledge,
    OutcomeNode,
    RuleSet,
    TablePart,
    matching_values,
)

PAYMENT_WORDS = ("payment", "reimburse", "billing", "paid", "revenue", "DRG")


@dataclass(frozen=True, order=True)
class Problem:
    node: str
    reason: str

    def line(self, file: str) -> str:
        return f"{file}: {self.node}: {self.reason}"


def check(rules: RuleSet, tabular: Tabular, knowledge: Knowledge | None = None) -> list[Problem]:
    """Every problem of the rule set, structural first; the path pass needs a sound graph."""
    problems = sorted(set(structural_problems(rules)))
    if problems:
        return problems
    found, emitted = path_problems(rules, tabular)
    problems = sorted(set(found))
    problems += sorted(set(citation_problems(rules, tabular)))
    if knowledge is not None:
        problems += sorted(set(knowledge_problems(rules, knowledge, tabular, emitted)))
    return problems


# ------------------------------------------------------------------ structural pass


def structural_problems(rules: RuleSet) -> Iterator[Problem]:
    dangling = list(_reference_problems(rules))
    yield from dangling
    yield from _question_problems(rules)
    if not dangling:
        yield from _cycle_problems(rules)
        yield from _unreachable_problems(rules)


def runnability_problems(rules: RuleSet) -> list[Problem]:
    """What stops the engine from walking the tree at all: dangling names and cycles."""
    dangling = sorted(set(_reference_problems(rules)))
    return dangling or sorted(set(_cycle_problems(rules)))


def _reference_problems(rules: RuleSet) -> Iterator[Problem]:
    if rules.start not in rules.nodes:
        yield Problem("start", f"start node {rules.start!r} does not exist")
    for name, node in rules.nodes.items():
        for target in node.targets():
            if target not in rules.nodes:
                yield Problem(name, f"refers to node {target!r}, which does not exist")
        yield from _node_reference_problems(rules, name, node)
    for name, table in rules.tables.items():
        for row in table.as_rows():
            yield from _condition_problems(rules, f"table {name}", row.when)


def _node_reference_problems(rules: RuleSet, name: str, node: object) -> Iterator[Problem]:
    if isinstance(node, AskNode | EachNode):
        question_id = node.ask if isinstance(node, AskNode) else node.each
        if question_id not in rules.questions:
            yield Problem(name, f"asks {question_id!r}, which is not a question")
            return
        choices = rules.questions[question_id].choices
        named = list(node.branches) + (node.only or []) if isinstance(node, AskNode) else []
        for value in named:
            if value not in choices:
                yield Problem(name, f"{value!r} is not a choice of {question_id}")
        if isinstance(node, EachNode) and not rules.questions[question_id].multiple:
            yield Problem(name, f"walks each value of {question_id}, which takes one value")
    elif isinstance(node, DecideNode):
        for row in node.decide:
            yield from _condition_problems(rules, name, row.when)
    elif isinstance(node, OutcomeNode):
        for spec in node.report:
            yield from _spec_reference_problems(rules, name, spec)


def _spec_reference_problems(rules: RuleSet, name: str, spec: CodeSpec) -> Iterator[Problem]:
    tables = [part.table for part in spec.compose or [] if isinstance(part, TablePart)]
    tables += [spec.seventh] if spec.seventh else []
    for table in tables:
        if table not in rules.tables:
            yield Problem(name, f"uses table {table!r}, which does not exist")


def _condition_problems(rules: RuleSet, where: str, condition: Condition) -> Iterator[Problem]:
    for key, expected in condition.items():
        if key == CODED:
            unknown = matching_values(expected) - {kind.value for kind in Kind}
            if unknown:
                yield Problem(where, f"`coded` takes {', '.join(Kind)}, not {sorted(unknown)}")
            continue
        question = rules.questions.get(key)
        if question is None:
            yield Problem(where, f"condition on {key!r}, which is not a question")
            continue
        for value in matching_values(expected) - set(question.choices):
            yield Problem(where, f"{value!r} is not a choice of {key}")


def _question_problems(rules: RuleSet) -> Iterator[Problem]:
    for question_id, question in rules.questions.items():
        text = (question.query or "").lower()
        for word in PAYMENT_WORDS:
            if word.lower() in text:
                yield Problem(
                    f"question {question_id}", f"query mentions {word!r}: queries never do"
                )


def _cycle_problems(rules: RuleSet) -> Iterator[Problem]:
    state: dict[str, str] = {}

    def visit(name: str, trail: list[str]) -> Iterator[Problem]:
        state[name] = "open"
        for target in rules.nodes[name].targets():
            if state.get(target) == "open":
                loop = " -> ".join([*trail[trail.index(target) :], target])
                yield Problem(name, f"cycle: {loop}")
            elif target not in state:
                yield from visit(target, [*trail, target])
        state[name] = "done"

    for name in rules.nodes:
        if name not in state:
            yield from visit(name, [name])


def _reachable(rules: RuleSet) -> set[str]:
    seen: set[str] = set()
    stack = [rules.start]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        stack.extend(rules.nodes[name].targets())
    return seen


def _unreachable_problems(rules: RuleSet) -> Iterator[Problem]:
    reachable = _reachable(rules)
    for name in rules.nodes:
        if name not in reachable:
            yield Problem(
                name, f"unreachable: no path from the start node {rules.start!r} leads here"
            )
    used_tables = {
        table
        for name in reachable
        if isinstance(node := rules.nodes[name], OutcomeNode)
        for spec in node.report
        for table in [
            spec.seventh,
            *(p.table for p in spec.compose or [] if isinstance(p, TablePart)),
        ]
        if table
    }
    for table in rules.tables:
        if table not in used_tables:
            yield Problem(f"table {table}", "unused: no reachable code uses it")
    asked = {
        node.ask if isinstance(node, AskNode) else node.each
        for name in reachable
        if isinstance(node := rules.nodes[name], AskNode | EachNode)
    }
    for question in rules.questions:
        if question not in asked:
            yield Problem(f"question {question}", "never asked: no reachable node asks it")


# ------------------------------------------------------------------ path pass


@dataclass
class _PathFacts:
    """What the path pass gathers: each code where it was reported, each pair reported."""

    codes: dict[str, str]
    pairs: dict[tuple[str, str], str]
    problems: list[Problem]


def path_problems(rules: RuleSet, tabular: Tabular) -> tuple[list[Problem], list[str]]:
    """Problems found on the paths, and every code the paths report."""
    engine = Engine(rules)
    facts = _PathFacts({}, {}, [])
    for outcome in explore(engine, facts.problems):
        _record(outcome.walk, facts)
    for code, node in facts.codes.items():
        info = tabular.info(code)
        if info is None:
            facts.problems.append(Problem(node, f"{code} is not a code in the ICD-10-CM tabular"))
        elif not info.billable:
            below = ", ".join(info.children[:4]) + (" ..." if len(info.children) > 4 else "")
            facts.problems.append(Problem(node, f"{code} is a header, not billable (use {below})"))
    for (first, second), node in facts.pairs.items():
        if any(pair.allows(first, second) for pair in rules.excludes1_allowed):
            continue
        note = excludes1_conflict(tabular, first, second) or excludes1_conflict(
            tabular, second, first
        )
        if note:
            facts.problems.append(
                Problem(node, f"reports {first} with {second}, which {note} forbids")
            )
    return facts.problems, sorted(facts.codes)


def _record(walk: Walk, facts: _PathFacts) -> None:
    if not walk.codes:
        where = walk.notes[-1][0] if walk.notes else "path"
        facts.problems.append(Problem(where, "a path ends without a code: " + _path_text(walk)))
    for reported in walk.codes:
        facts.codes.setdefault(reported.code, reported.node)
    for first, second in itertools.combinations(walk.codes, 2):
        pair = tuple(sorted((first.code, second.code)))
        facts.pairs.setdefault(pair, f"{first.node} + {second.node}")  # type: ignore[arg-type]


def _path_text(walk: Walk) -> str:
    return ", ".join(f"{s.question}={','.join(s.answer.values)}" for s in walk.path)


def explore(engine: Engine, problems: list[Problem]) -> Iterator[Finished]:
    """Every finished walk the tree allows, forking at each question over its choices."""
    routing = routing_questions(engine.rules)
    stack: list[Walk] = [Walk(node=engine.rules.start)]
    while stack:
        walk = stack.pop()
        try:
            outcome = engine.resume(walk, {}, use_defaults=False)
        except RuleDefect as exc:
            problems.append(Problem(walk.node or "path", f"{exc} (after {_path_text(walk)})"))
            continue
        except AnswerError:
            continue  # answers this point of the tree refuses, with a message: not a defect
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
    if not rules.questions[pending.question].multiple:
        return singles
    combinable = [v for v in allowed if not rules.questions[pending.question].choices[v].exclusive]
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


# ------------------------------------------------------------------ citations


def citation_problems(rules: RuleSet, tabular: Tabular) -> Iterator[Problem]:
    for name, node in rules.nodes.items():
        citations: list[Citation] = []
        if isinstance(node, OutcomeNode):
            citations = [c for spec in node.report for c in spec.cite]
            citations += node.note.cite if node.note else []
        for citation in citations:
            reason = citation_problem(tabular, citation)
            if reason:
                yield Problem(name, reason)


def citation_problem(tabular: Tabular, citation: Citation) -> str | None:
    if citation.tabular is None:
        return None
    info = tabular.info(citation.tabular)
    if info is None:
        return f"cites {citation.tabular}, which is not in the tabular"
    if citation.note == "seventh_character":
        return None if info.seventh else f"cites the 7th characters of {info.code}, which has none"
    if citation.note == "title":
        return None
    notes = getattr(info, citation.note or "")
    if not notes:
        return f"cites the {citation.note} note of {info.code}, which has none"
    if citation.text and not any(citation.text in note for note in notes):
        return f"cites {info.code} {citation.note} {citation.text!r}, which no such note says"
    return None


def knowledge_problems(
    rules: RuleSet, knowledge: Knowledge, tabular: Tabular, emitted: list[str]
) -> Iterator[Problem]:
    """Every key names a code of the tabular; every code the tree reports, and every
    question it asks, has knowledge attached."""
    for key in knowledge.codes:
        stem = key.removesuffix("-").removesuffix(".")
        if tabular.info(stem) is None:
            yield Problem(f"knowledge {key}", f"{stem} is not a code in the ICD-10-CM tabular")
    for code in emitted:
        if knowledge.for_code(code) is None:
            yield Problem(f"knowledge {code}", "the tree reports it, but no knowledge covers it")
    for question in rules.questions:
        if question not in knowledge.questions:
            yield Problem(
                f"knowledge {question}", "the tree asks it, but it has no `questions` entry"
            )
    for question in knowledge.questions:
        if question not in rules.questions:
            yield Problem(f"knowledge {question}", "not a question of the rule file")
