"""Code knowledge kept beside a rule file (`NAME.knowledge.yaml`): what a coder needs to
know of each code beyond the tabular, and where in the note each question is answered.

A second small language beside the tree, validated the same way (dataclasses checked by
pydantic, unknown keys refused) and stored in the built form.
"""

from __future__ import annotations

from dataclasses import field
from functools import cache
from typing import TYPE_CHECKING, Literal, get_args

from backcoder.language.model import FORBID_UNKNOWN_KEYS, covers, rule_class

if TYPE_CHECKING:
    from pydantic import TypeAdapter


TemplateSection = Literal[
    "onset_duration",
    "character",
    "location_radiation",
    "severity",
    "aggravating_relieving",
    "neurological",
    "red_flags",
    "differential",
    "plan",
]
TEMPLATE_SECTIONS: tuple[str, ...] = get_args(TemplateSection)
"""The sections of a provider's note, in the order a documentation template shows them."""


@rule_class
class CodeKnowledge:
    """What a coder needs to know of a code beyond the tabular: when it is right, when it is
    not (naming what to use instead), what the note must say, and the audit risk."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    use_when: str
    documentation: list[str]
    not_when: list[str] = field(default_factory=list)
    audit_risk: str = ""

    def __post_init__(self) -> None:
        if not self.documentation:
            raise ValueError("a code needs at least one documentation requirement")


@rule_class
class QuestionKnowledge:
    """Where in the note the answer to a question is documented, and what it must say."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    section: TemplateSection
    document: str


@rule_class
class Knowledge:
    """Code and question knowledge kept beside a rule file (`NAME.knowledge.yaml`).

    A code key is a code (`M54.50`) or a family ending in `-` (`S32.0-`); the most specific
    key that covers a code applies."""

    __pydantic_config__ = FORBID_UNKNOWN_KEYS

    codes: dict[str, CodeKnowledge]
    questions: dict[str, QuestionKnowledge] = field(default_factory=dict)

    def for_code(self, code: str) -> tuple[str, CodeKnowledge] | None:
        if code in self.codes:
            return code, self.codes[code]
        families = [key for key in self.codes if key.endswith("-") and covers(key, code)]
        if not families:
            return None
        key = max(families, key=len)
        return key, self.codes[key]


@cache
def knowledge_adapter() -> TypeAdapter[Knowledge]:
    from pydantic import TypeAdapter

    return TypeAdapter(Knowledge)
