"""When a form shows each question: the tree's conditions as FHIR R4 `enableWhen`.

Two sources, both necessary conditions (a form may show a question the path then leaves
unused, never hide one it needs; a test walks every path of the tree to prove it):

- the derived `asked when` of `backcoder questions` (the routing answers given before the
  question on every path that asks it): one conjunction, behaviour `all`;
- for a question asked on paths with nothing in common (`encounter`: after an injury, or
  after a fracture that is not one), the routes into its asking nodes, read from the tree's
  structure: a disjunction, behaviour `any`, of one earlier answer per route.

A question the tree can answer by itself at that point (a node's `default`, a `quiet` ask,
a question's own default) may be left empty in the form: the coding then takes the default,
as scripted runs do. So a condition on such a question also holds while it is empty, which
FHIR says with `!=` (true while no answer equals) or `exists false`, never with `=`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from backcoder.fhir import answer_system
from backcoder.language.model import (
    CODED,
    AskNode,
    DecideNode,
    EachNode,
    OutcomeNode,
    RuleSet,
    matching_values,
)

Conditions = dict[str, tuple[str, ...]]
Route = frozenset[tuple[str, frozenset[str]]]
"""The answers a route into a node needs: (question, allowed values), one per question."""
MAX_ROUTES = 2000
"""Routes kept per node: beyond it the node's question is shown unconditionally (safe)."""


def defaults_by_question(rules: RuleSet) -> dict[str, list[frozenset[str]]]:
    """Every value set the tree takes by itself for a question somewhere it is asked."""
    found: dict[str, list[frozenset[str]]] = defaultdict(list)
    for question_id, question in rules.questions.items():
        if question.default:
            found[question_id].append(frozenset(question.default))
    for node in rules.nodes.values():
        if isinstance(node, AskNode) and node.default:
            found[node.ask].append(frozenset(node.default))
    return found


def may_be_empty(rules: RuleSet, question_id: str, allowed: tuple[str, ...]) -> bool:
    """Whether the tree, left to itself, can take one of `allowed` for this question: then
    an empty item must satisfy the condition too."""
    return any(default <= set(allowed) for default in defaults_by_question(rules)[question_id])


def all_of(rules: RuleSet, conditions: Conditions) -> tuple[list[dict[str, Any]], str | None]:
    """`enableWhen` entries and behaviour for a conjunction of conditions (module docstring):
    one earlier question with one or more allowed values is `=` each value, behaviour `any`;
    otherwise behaviour `all`, where a single-answer question allowed several values (or
    one it may leave to a default) is `!=` each value it excludes (with `exists` when an
    answer is needed), and a multi-select question allowed several values cannot be said
    and is left out (the item shows more often, never less)."""
    if len(conditions) == 1:
        [(key, values)] = conditions.items()
        if not may_be_empty(rules, key, values) or rules.questions[key].multiple:
            entries = [_compare(rules, key, value) for value in values]
            return entries, "any" if len(entries) > 1 else None
    entries = []
    for key, values in conditions.items():
        question = rules.questions[key]
        empty_ok = may_be_empty(rules, key, values)
        if len(values) == 1 and (question.multiple or not empty_ok):
            entries.append(_compare(rules, key, values[0]))
        elif not question.multiple:
            if not empty_ok:
                entries.append({"question": key, "operator": "exists", "answerBoolean": True})
            excluded = [value for value in question.choices if value not in values]
            entries += [_compare(rules, key, value, "!=") for value in excluded]
    return entries, "all" if len(entries) > 1 else None


def any_of(rules: RuleSet, conditions: Conditions) -> tuple[list[dict[str, Any]], str | None]:
    """`enableWhen` entries for a disjunction of one condition per earlier question."""
    entries = []
    for key, values in conditions.items():
        entries += [_compare(rules, key, value) for value in values]
        if may_be_empty(rules, key, values):
            entries.append({"question": key, "operator": "exists", "answerBoolean": False})
    return entries, "any" if len(entries) > 1 else None


def _compare(rules: RuleSet, key: str, value: str, operator: str = "=") -> dict[str, Any]:
    coding = {"system": answer_system(rules.name, key), "code": value}
    return {"question": key, "operator": operator, "answerCoding": coding}


def either_route(rules: RuleSet, question_id: str) -> Conditions | None:
    """One earlier answer from each route into the nodes that ask the question, chosen so
    that together they still exclude something; None when no such choice exists (then the
    question is shown unconditionally). Two choices are tried, the earliest question of
    each route first and the latest first, and the one that excludes more routes of the
    tree is kept (`encounter` is best said by trauma, `fracture_cause` by injury)."""
    every = routes_into(rules)
    routes = [
        {key: values for key, values in route if key != question_id}
        for name, found in every.items()
        if _asks(rules, name) == question_id
        for route in (found if found is not None else [frozenset()])
    ]
    keys = [k for k, q in rules.questions.items() if not q.multiple and k != question_id]
    best, most = None, 0
    for order in (keys, keys[::-1]):
        conditions = _cover(rules, routes, order)
        excluded = _routes_excluded(rules, every, conditions) if conditions else 0
        if excluded > most:
            best, most = conditions, excluded
    return best


def _cover(
    rules: RuleSet, routes: list[dict[str, frozenset[str]]], order: list[str]
) -> Conditions | None:
    """Conditions, one per question in `order`, that each route implies one of; None when
    some route implies none that excludes anything."""
    remaining = list(routes)
    chosen: dict[str, set[str]] = {}
    for key in order:
        holding = sorted((r for r in remaining if key in r), key=lambda r: len(r[key]))
        union: set[str] = set()
        covered = []
        for route in holding:
            if len(union | route[key]) < len(rules.questions[key].choices):
                union |= route[key]
                covered.append(route)
        if covered:
            chosen[key] = union
            remaining = [r for r in remaining if all(r is not c for c in covered)]
    if remaining:
        return None
    return {
        key: tuple(v for v in rules.questions[key].choices if v in values)
        for key, values in chosen.items()
    }


def _routes_excluded(
    rules: RuleSet, every: dict[str, list[Route] | None], conditions: Conditions
) -> int:
    """How many routes of the tree fail every condition (a question a route does not answer
    fails `=`, and holds `exists false` where the question may stay empty): none means the
    conditions hold wherever the form can be, and the item needs none."""

    def fails(route: dict[str, frozenset[str]], key: str, values: tuple[str, ...]) -> bool:
        if key not in route:
            return not may_be_empty(rules, key, values)
        return route[key].isdisjoint(values)

    return sum(
        all(fails(dict(route), key, values) for key, values in conditions.items())
        for found in every.values()
        for route in found or ()
    )


def _asks(rules: RuleSet, name: str) -> str | None:
    node = rules.nodes[name]
    if isinstance(node, AskNode):
        return node.ask
    if isinstance(node, EachNode):
        return node.each
    return None


def routes_into(rules: RuleSet) -> dict[str, list[Route] | None]:
    """For every node, the routes from the start into it (None: too many to keep). Only
    single-answer questions are kept: a multi-select answer's values are tested one region
    at a time, which a flat condition cannot follow. A decide row's earlier rows are not
    negated, so a route may allow more than the tree does (necessary, not sufficient)."""
    incoming: dict[str, list[tuple[str, dict[str, frozenset[str]]]]] = defaultdict(list)
    for name, node in rules.nodes.items():
        for target, condition in _edges(rules, node):
            incoming[target].append((name, condition))
    found: dict[str, list[Route] | None] = {rules.start: [frozenset()]}
    for name in _in_order(rules):
        if name == rules.start:
            continue
        routes: set[Route] = set()
        for source, condition in incoming[name]:
            before = found.get(source)
            if before is None:
                routes = set()
                break
            conjoined = (_conjoin(route, condition) for route in before)
            routes.update(route for route in conjoined if route is not None)
        found[name] = sorted(routes, key=sorted) if 0 < len(routes) <= MAX_ROUTES else None
    return found


def _conjoin(route: Route, condition: dict[str, frozenset[str]]) -> Route | None:
    """The route with the edge's condition added; None when they contradict."""
    merged = dict(route)
    for key, values in condition.items():
        narrowed = merged.get(key, values) & values
        if not narrowed:
            return None
        merged[key] = narrowed
    return frozenset(merged.items())


def _edges(rules: RuleSet, node: Any) -> list[tuple[str, dict[str, frozenset[str]]]]:
    """Each arrow out of a node with the answers that take it (single-answer questions)."""
    if isinstance(node, AskNode):
        question = rules.questions[node.ask]
        allowed = tuple(node.only) if node.only is not None else tuple(question.choices)
        by_target: dict[str, set[str]] = defaultdict(set)
        for value in allowed:
            target = node.target(value)
            if target is not None:
                by_target[target].add(value)
        if question.multiple:
            return [(target, {}) for target in by_target]
        return [(target, {node.ask: frozenset(values)}) for target, values in by_target.items()]
    if isinstance(node, DecideNode):
        return [(row.then, _row_condition(rules, row.when)) for row in node.decide]
    if isinstance(node, EachNode | OutcomeNode):
        return [(target, {}) for target in node.targets()]
    return []


def _row_condition(rules: RuleSet, when: Any) -> dict[str, frozenset[str]]:
    return {
        key: frozenset(matching_values(value))
        for key, value in when.items()
        if key != CODED and not rules.questions[key].multiple
    }


def _in_order(rules: RuleSet) -> list[str]:
    """The nodes, each after every node with an arrow into it (the tree has no cycles)."""
    targets = {name: node.targets() for name, node in rules.nodes.items()}
    waiting = {name: 0 for name in rules.nodes}
    for found in targets.values():
        for target in found:
            waiting[target] += 1
    ready = [name for name, count in waiting.items() if count == 0]
    ordered = []
    while ready:
        name = ready.pop()
        ordered.append(name)
        for target in targets[name]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return ordered
