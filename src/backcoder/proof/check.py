"""`rules check`: a static proof that a rule set is sound, not a sample of it.

Two passes. The structural pass reads the file: every name it uses exists, the node graph
has no cycle, every node can be reached. The path pass walks every path the tree allows
(`engine.explore`) and proves that each path ends in codes, that every code it can report
is valid and billable in the tabular, and that no two codes it reports together are
forbidden by an Excludes1 note: the same conventions (`icd.conventions`) that the encounter
and the audit apply at run time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from backcoder.engine.explore import explore
from backcoder.engine.walk import Engine, Walk, describe
from backcoder.icd.conventions import (
    NOT_BILLABLE,
    Excludes1Notes,
    code_finding,
    excludes1_findings,
)
from backcoder.icd.tabular import Tabular
from backcoder.language.graph import (
    Defect,
    cycle_defects,
    reachable,
    reference_defects,
    tables_of,
)
from backcoder.language.knowledge import Knowledge
from backcoder.language.model import (
    SPECIFICITY,
    AskNode,
    Citation,
    EachNode,
    Kind,
    OutcomeNode,
    RuleSet,
    covers,
)

PAYMENT_WORDS = ("payment", "reimburse", "billing", "paid", "revenue", "DRG")


def check(rules: RuleSet, tabular: Tabular, knowledge: Knowledge | None = None) -> list[Defect]:
    """Every defect of the rule set, structural first; the path pass needs a sound graph."""
    defects = sorted(set(structural_defects(rules)))
    if defects:
        return defects
    found, kinds = path_defects(rules, tabular)
    emitted = sorted(kinds)
    defects = sorted(set(found))
    defects += sorted(set(citation_defects(rules, tabular)))
    defects += sorted(set(scope_defects(rules, tabular, emitted)))
    defects += sorted(set(explains_defects(rules, tabular)))
    defects += sorted(set(combination_defects(rules, tabular)))
    defects += sorted(set(encounter_defects(rules, tabular, kinds)))
    if knowledge is not None:
        defects += sorted(set(knowledge_defects(rules, knowledge, tabular, emitted)))
    return defects


# ------------------------------------------------------------------ structural pass


def structural_defects(rules: RuleSet) -> Iterator[Defect]:
    dangling = list(reference_defects(rules))
    yield from dangling
    yield from _query_defects(rules)
    if not dangling:
        yield from cycle_defects(rules)
        yield from _unreachable_defects(rules)


def _query_defects(rules: RuleSet) -> Iterator[Defect]:
    for question_id, question in rules.questions.items():
        text = (question.query or "").lower()
        for word in PAYMENT_WORDS:
            if word.lower() in text:
                yield Defect(
                    f"question {question_id}", f"query mentions {word!r}: queries never do"
                )


def _unreachable_defects(rules: RuleSet) -> Iterator[Defect]:
    seen = reachable(rules)
    for name in rules.nodes:
        if name not in seen:
            yield Defect(
                name, f"unreachable: no path from the start node {rules.start!r} leads here"
            )
    used_tables = {
        table
        for name in seen
        if isinstance(node := rules.nodes[name], OutcomeNode)
        for spec in node.report
        for table in tables_of(spec)
    }
    for table in rules.tables:
        if table not in used_tables:
            yield Defect(f"table {table}", "unused: no reachable code uses it")
    asked = {
        node.ask if isinstance(node, AskNode) else node.each
        for name in seen
        if isinstance(node := rules.nodes[name], AskNode | EachNode)
    }
    for question in rules.questions:
        if question not in asked:
            yield Defect(f"question {question}", "never asked: no reachable node asks it")


# ------------------------------------------------------------------ path pass


@dataclass
class _PathFacts:
    """What the path pass gathers: each code where it was reported, each pair reported."""

    codes: dict[str, str]
    kinds: dict[str, Kind]
    pairs: dict[tuple[str, str], str]
    defects: list[Defect]


def path_defects(rules: RuleSet, tabular: Tabular) -> tuple[list[Defect], dict[str, Kind]]:
    """Defects found on the paths, and every code the paths report, with its kind."""
    facts = _PathFacts({}, {}, {}, [])
    for outcome in explore(Engine(rules), facts.defects):
        _record(outcome.walk, facts)
    for code, node in facts.codes.items():
        finding = code_finding(tabular, code)
        if finding is None:
            continue
        if finding.rule == NOT_BILLABLE:
            below = ", ".join(finding.below[:4]) + (" ..." if len(finding.below) > 4 else "")
            facts.defects.append(Defect(node, f"{finding.message} (use {below})"))
        else:
            facts.defects.append(Defect(node, finding.message))
    allowed = rules.excludes1_exception
    for (first, second), node in facts.pairs.items():
        for finding in excludes1_findings(tabular, (first, second), allowed):
            note = finding.source
            facts.defects.append(
                Defect(node, f"reports {first} with {second}, which {note} forbids")
            )
        for part, whole in ((first, second), (second, first)):
            if rules.combination(part, whole) is not None:
                facts.defects.append(
                    Defect(node, f"reports {part} beside {whole}, which identifies it (I.B.9)")
                )
    return facts.defects, facts.kinds


def _record(walk: Walk, facts: _PathFacts) -> None:
    if not walk.codes:
        where = walk.notes[-1][0] if walk.notes else "path"
        facts.defects.append(Defect(where, "a path ends without a code: " + describe(walk)))
    for reported in walk.codes:
        facts.codes.setdefault(reported.code, reported.node)
        facts.kinds.setdefault(reported.code, reported.spec.kind)
    for first, second in itertools.combinations(walk.codes, 2):
        pair = tuple(sorted((first.code, second.code)))
        facts.pairs.setdefault(pair, f"{first.node} + {second.node}")  # type: ignore[arg-type]


# ------------------------------------------------------------------ scope


def scope_defects(rules: RuleSet, tabular: Tabular, emitted: list[str]) -> Iterator[Defect]:
    """Every billable code in the declared scope is reported by some path, or left out with
    a reason; a left-out entry names a code in scope that no path reports."""
    reached = set(emitted)
    in_scope: set[str] = set()
    for family in rules.scope:
        stem = family.removesuffix("-")
        if tabular.info(stem) is None:
            yield Defect(f"scope {family}", f"{stem} is not a code in the ICD-10-CM tabular")
            continue
        in_scope.update(billable_below(tabular, stem))
    for entry in rules.left_out:
        stem = entry.code.removesuffix("-")
        covered = {code for code in in_scope if covers(entry.code, code)}
        if tabular.info(stem) is None:
            yield Defect(f"left_out {entry.code}", f"{stem} is not a code in the ICD-10-CM tabular")
        elif not covered:
            yield Defect(f"left_out {entry.code}", "not a billable code of the declared scope")
        elif covered & reached:
            some = ", ".join(sorted(covered & reached)[:3])
            yield Defect(f"left_out {entry.code}", f"a path reports {some}: it is not left out")
    for code in sorted(in_scope - reached):
        if not any(covers(entry.code, code) for entry in rules.left_out):
            yield Defect(
                f"scope {code}",
                "in the tree's scope, but no path reports it and `left_out` gives no reason",
            )


def billable_below(tabular: Tabular, code: str) -> Iterator[str]:
    """The billable codes at and below `code` in the tabular (7th characters included)."""
    stack = [code]
    while stack:
        info = tabular.info(stack.pop())
        if info is None:
            continue
        if info.billable:
            yield info.code
        stack.extend(info.children)


# ------------------------------------------------------------------ citations


def encounter_defects(rules: RuleSet, tabular: Tabular, kinds: dict[str, Kind]) -> Iterator[Defect]:
    """What holds for any encounter, whatever its problems. Its codes are codes some path
    reports, proven valid and billable above. An Excludes1 pair two problems can produce is
    resolved when the rule file allows it for unrelated conditions (I.A.12.a), when one code
    is of a more specific kind (a diagnosis over a symptom), or when only one code's note
    names the other (that one gives way). Two codes of one kind whose notes forbid each
    other have no such resolution: the rule file must decide the pair."""
    notes = Excludes1Notes(tabular)
    for first, second in itertools.combinations(sorted(kinds), 2):
        if notes.note(first, second) is None or notes.note(second, first) is None:
            continue
        if SPECIFICITY[kinds[first]] != SPECIFICITY[kinds[second]]:
            continue
        if rules.excludes1_exception(first, second, separate_problems=True) is None:
            yield Defect(
                "encounter",
                f"two problems can report {first} and {second}, whose Excludes1 notes forbid "
                "each other: list the pair under excludes1_allowed with the reason",
            )


def explains_defects(rules: RuleSet, tabular: Tabular) -> Iterator[Defect]:
    """Every code or family an `explains` entry names is in the tabular."""
    for number, entry in enumerate(rules.explains, start=1):
        for family in [*entry.symptoms, *entry.by]:
            stem = family.removesuffix("-").removesuffix(".")
            if tabular.info(stem) is None:
                yield Defect(f"explains {number}", f"{family} is not a code in the tabular")


def combination_defects(rules: RuleSet, tabular: Tabular) -> Iterator[Defect]:
    """Every code a `combinations` pair names is a billable code of the tabular: each pair
    names two codes of one region, written out."""
    for number, entry in enumerate(rules.combinations, start=1):
        for code in dict.fromkeys(code for pair in entry.pairs for code in pair):
            info = tabular.info(code)
            if info is None or not info.billable:
                yield Defect(f"combinations {number}", f"{code} is not a billable code")


def citation_defects(rules: RuleSet, tabular: Tabular) -> Iterator[Defect]:
    for name, citation in rules.citations():
        reason = citation_defect(tabular, citation)
        if reason:
            yield Defect(name, reason)


def citation_defect(tabular: Tabular, citation: Citation) -> str | None:
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


def knowledge_defects(
    rules: RuleSet, knowledge: Knowledge, tabular: Tabular, emitted: list[str]
) -> Iterator[Defect]:
    """Every key names a code of the tabular; every code the tree reports, and every
    question it asks, has knowledge attached."""
    for key in knowledge.codes:
        stem = key.removesuffix("-").removesuffix(".")
        if tabular.info(stem) is None:
            yield Defect(f"knowledge {key}", f"{stem} is not a code in the ICD-10-CM tabular")
    for code in emitted:
        if knowledge.for_code(code) is None:
            yield Defect(f"knowledge {code}", "the tree reports it, but no knowledge covers it")
    for question in rules.questions:
        if question not in knowledge.questions:
            yield Defect(
                f"knowledge {question}", "the tree asks it, but it has no `questions` entry"
            )
    for question in knowledge.questions:
        if question not in rules.questions:
            yield Defect(f"knowledge {question}", "not a question of the rule file")
