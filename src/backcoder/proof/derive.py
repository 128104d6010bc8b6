"""Facts derived from every path of a rule set: what codes it can report, when each
question is asked, and the answers that lead to each code.

They come from the same exploration `rules check` proves things with, so they can never
disagree with the tree. `rules build` stores them in the built form; a rule file without
one derives them on demand.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from backcoder.engine.explore import explore, routing_questions
from backcoder.engine.walk import Engine
from backcoder.language.compiled import Derived
from backcoder.language.graph import Defect
from backcoder.language.model import NOT_DOCUMENTED, AskNode, EachNode, RuleSet

PATHS_PER_CODE = 3


def derive(rules: RuleSet) -> Derived:
    routing = routing_questions(rules)
    seen_values: dict[str, dict[str, set[str]]] = {}
    paths_asking: dict[str, int] = defaultdict(int)
    total = 0
    ranked: dict[str, list[tuple[tuple[Any, ...], dict[str, str]]]] = defaultdict(list)
    problems: list[Defect] = []
    defaults = _defaults_by_node(rules)
    for finished in explore(Engine(rules), problems):
        total += 1
        path = finished.walk.path
        earlier: dict[str, tuple[str, ...]] = {}
        needed: dict[str, tuple[str, ...]] = {}
        for step in path:
            paths_asking[step.question] += 1
            _narrow(seen_values, step.question, earlier)
            if step.question in routing:
                earlier[step.question] = step.answer.values
                if list(step.answer.values) != defaults.get(step.node):
                    needed[step.question] = step.answer.values
        flags = {question: ",".join(values) for question, values in needed.items()}
        rank = _simplicity(rules, needed, len(finished.walk.codes))
        for reported in finished.walk.codes:
            _keep_simplest(ranked[reported.code], rank, flags)
    asked_when = {
        question: _describe(rules, seen_values[question], paths_asking[question] == total)
        for question in rules.questions
        if question in seen_values
    }
    paths_to = {code: [flags for _, flags in kept] for code, kept in sorted(ranked.items())}
    return Derived(sorted(paths_to), asked_when, paths_to)


def _defaults_by_node(rules: RuleSet) -> dict[str, list[str] | None]:
    """What scripted runs answer at each asking node: such answers need no flag."""
    found: dict[str, list[str] | None] = {}
    for name, node in rules.nodes.items():
        if isinstance(node, AskNode):
            found[name] = node.default or rules.questions[node.ask].default
        elif isinstance(node, EachNode):
            found[name] = rules.questions[node.each].default
    return found


def _narrow(
    seen: dict[str, dict[str, set[str]]], question: str, earlier: dict[str, tuple[str, ...]]
) -> None:
    """Keep, for each routing question asked before `question` on every path, the values
    seen there. A question that routes nowhere was explored with one value only, so only
    routing questions are in `earlier`; and a multi-select answer of several values says
    nothing about which one led here."""
    current = seen.get(question)
    if current is None:
        current = seen[question] = {key: set() for key in earlier}
    for key in list(current):
        values = earlier.get(key)
        if values is None:
            del current[key]
        elif len(values) == 1:
            current[key].add(values[0])


def _keep_simplest(
    kept: list[tuple[tuple[Any, ...], dict[str, str]]], rank: tuple[Any, ...], flags: dict[str, str]
) -> None:
    if any(existing == flags for _, existing in kept):
        return
    kept.append((rank, flags))
    kept.sort(key=lambda entry: entry[0])
    del kept[PATHS_PER_CODE:]


def _simplicity(rules: RuleSet, answers: dict[str, tuple[str, ...]], codes: int) -> tuple[Any, ...]:
    """Simplest first: one value per question, the code reported alone, as few
    `not_documented` answers as the code allows, the fewest answers, then the choices' own
    order. Alone before documented: an example path shows the code as it is usually met
    (M54.50 as low back pain, not as the residual pain of a sequela)."""
    values = [value for chosen in answers.values() for value in chosen]
    several = sum(len(chosen) > 1 for chosen in answers.values())
    undocumented = values.count(NOT_DOCUMENTED)
    order = [
        list(rules.questions[q].choices).index(v) for q, chosen in answers.items() for v in chosen
    ]
    return several, codes, undocumented, len(answers), order


def _describe(rules: RuleSet, conditions: dict[str, set[str]], on_every_path: bool) -> str:
    if on_every_path:
        return "always"
    narrowing = [
        f"{key}={'|'.join(v for v in rules.questions[key].choices if v in values)}"
        for key, values in conditions.items()
        if values and values != set(rules.questions[key].choices)
    ]
    return " and ".join(narrowing) if narrowing else "on the paths that need it"
