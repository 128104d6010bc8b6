"""`rules build`: check a rule file, then assemble its built form.

One function serves the command and the test that keeps the committed built form honest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backcoder.files.bundle import built_document, parse_knowledge, parse_rules
from backcoder.icd.tabular import OfficialTabular, extract
from backcoder.language.model import Knowledge, OutcomeNode, RuleSet
from backcoder.proof.check import Problem, check
from backcoder.proof.derive import derive


def build(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """The built form of a sound rule file, or the problems that make it unsound."""
    rules = parse_rules(path)
    knowledge = parse_knowledge(path)
    tabular = OfficialTabular()
    problems = check(rules, tabular, knowledge)
    if problems:
        return None, problems
    derived = derive(rules)
    named = [*derived.codes, *cited_codes(rules), *knowledge_codes(knowledge)]
    return built_document(path, rules, extract(tabular, named), derived, knowledge), []


def cited_codes(rules: RuleSet) -> list[str]:
    found = []
    for node in rules.nodes.values():
        if isinstance(node, OutcomeNode):
            citations = [c for spec in node.report for c in spec.cite]
            citations += node.note.cite if node.note else []
            found += [c.tabular for c in citations if c.tabular]
    return found


def knowledge_codes(knowledge: Knowledge | None) -> list[str]:
    """Codes the knowledge names (a family by its stem), so `explain` finds them offline."""
    if knowledge is None:
        return []
    return [key.removesuffix("-").removesuffix(".") for key in knowledge.codes]
