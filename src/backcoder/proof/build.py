"""What `rules build` stores beside a sound rule file: the tabular extract it needs and the
facts derived from its paths. Writing them is the files floor's job; this only proves and
gathers, so the proof never touches a file."""

from __future__ import annotations

from dataclasses import dataclass

from backcoder.icd.tabular import CodeIndex, Tabular, extract
from backcoder.language.compiled import Derived
from backcoder.language.graph import Defect
from backcoder.language.knowledge import Knowledge
from backcoder.language.model import RuleSet
from backcoder.proof.check import check
from backcoder.proof.derive import derive


@dataclass(frozen=True)
class Proven:
    """A rule set that passed `rules check`, with what its built form stores."""

    codes: CodeIndex
    derived: Derived


def prove(
    rules: RuleSet, tabular: Tabular, knowledge: Knowledge | None
) -> tuple[Proven | None, list[Defect]]:
    """The extract and derived facts of a sound rule set, or the defects that make it unsound."""
    defects = check(rules, tabular, knowledge)
    if defects:
        return None, defects
    derived = derive(rules)
    cited = [citation.tabular for _, citation in rules.citations() if citation.tabular]
    named = [*derived.codes, *cited, *knowledge_codes(knowledge)]
    return Proven(extract(tabular, named), derived), []


def knowledge_codes(knowledge: Knowledge | None) -> list[str]:
    """Codes the knowledge names (a family by its stem), so `explain` finds them offline."""
    if knowledge is None:
        return []
    return [key.removesuffix("-").removesuffix(".") for key in knowledge.codes]
