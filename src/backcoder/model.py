"""The rule language: pydantic models of a rule file.

A rule file is data, never code: questions with their choices, an explicit tree of named
nodes that ask, decide, loop over a multi-select answer or report codes, and lookup tables
that build a code from parts. Conditions are match maps over earlier answers. Nothing in a
rule file is evaluated as Python or as a template. docs/design.md explains the shape.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

NOT_DOCUMENTED = "not_documented"
CODED = "coded"
"""The one condition key that is not a question id: the kinds of code reported so far."""


class Strict(BaseModel):
    """Unknown keys are errors, so a typo in a rule file never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(Strict):
    label: str
    help: str = ""
    warning: str | None = None
    """Shown as a red-flag notice in the result whenever this choice is answered."""
    exclusive: bool = False
    """In a multi-select question, this choice cannot be combined with others."""


class Question(Strict):
    text: str
    help: str = ""
    choices: dict[str, Choice]
    multiple: bool = False
    default: list[str] | None = None
    """Used by non-interactive runs when the question is not answered."""
    query: str | None = None
    """The open question put to the provider when the answer is `not_documented`."""

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if NOT_DOCUMENTED in self.choices and not self.query:
            raise ValueError("a question offering not_documented needs a `query` for the provider")
        if self.default is not None:
            unknown = [value for value in self.default if value not in self.choices]
            if unknown:
                raise ValueError(f"default {unknown} is not among the choices")
            if len(self.default) != 1 and not self.multiple:
                raise ValueError("a single-answer question takes exactly one default")
        return self


Condition = dict[str, str | list[str]]
"""A match map: every key must match. A question id matches when its answer is (one of)
the value(s); the key `coded` matches when a code of that kind is already reported."""


def matching_values(expected: str | list[str]) -> frozenset[str]:
    return frozenset([expected] if isinstance(expected, str) else expected)


class TableRow(Strict):
    when: Condition = Field(default_factory=dict)
    value: str


class Table(Strict):
    """Chooses one fragment of a code: by one answer (`from` + `map`), or first-hit `rows`."""

    model_config = ConfigDict(populate_by_name=True)

    source: str | None = Field(default=None, alias="from")
    map: dict[str, str] | None = None
    rows: list[TableRow] | None = None
    help: str = ""

    @model_validator(mode="after")
    def _one_form(self) -> Table:
        by_answer = self.source is not None and self.map is not None
        if by_answer == (self.rows is not None):
            raise ValueError("a table has either `from` with `map`, or `rows`")
        return self

    def as_rows(self) -> list[TableRow]:
        """Both forms as first-hit rows, so the engine and the checker know one shape."""
        if self.rows is not None:
            return self.rows
        assert self.source is not None and self.map is not None
        return [TableRow(when={self.source: key}, value=value) for key, value in self.map.items()]


class Citation(Strict):
    """A guideline section, or a note of the tabular that the checker verifies exists."""

    guideline: str | None = None
    tabular: str | None = None
    note: Literal["excludes1", "excludes2", "inclusion", "seventh_character", "title"] | None = None
    text: str | None = None
    """A fragment the cited tabular note must contain."""

    @model_validator(mode="after")
    def _one_kind(self) -> Citation:
        if (self.guideline is None) == (self.tabular is None):
            raise ValueError("a citation names either a `guideline` section or a `tabular` code")
        if self.tabular is not None and self.note is None:
            raise ValueError("a tabular citation names its `note`")
        return self


class Kind(StrEnum):
    """What a code stands for, which decides pain-code (G89) logic."""

    symptom = "symptom"
    diagnosis = "diagnosis"
    injury = "injury"
    pain = "pain"


class Sequence(StrEnum):
    first = "first"
    main = "main"
    last = "last"


class TablePart(Strict):
    table: str


class CodeSpec(Strict):
    """One code an outcome reports: written out, or composed from table-chosen parts."""

    code: str | None = None
    compose: list[str | TablePart] | None = None
    seventh: str | None = None
    """A table giving the 7th character; the engine pads with placeholder X before it."""
    kind: Kind
    sequence: Sequence = Sequence.main
    why: str
    cite: list[Citation] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> CodeSpec:
        if (self.code is None) == (self.compose is None):
            raise ValueError("a code is either `code` or `compose`")
        return self


class Note(Strict):
    """A decision that adds no code but must be explained (no G89 for acute pain, say)."""

    text: str
    cite: list[Citation] = Field(min_length=1)


class AskNode(Strict):
    ask: str
    only: list[str] | None = None
    """Restricts the choices offered at this point of the tree."""
    branches: dict[str, str] = Field(default_factory=dict)
    otherwise: str | None = None
    next: str | None = None
    help: str = ""

    @model_validator(mode="after")
    def _routes(self) -> AskNode:
        if self.next is not None and (self.branches or self.otherwise):
            raise ValueError("an ask node has either `next` or `branches`, not both")
        if self.next is None and not self.branches and self.otherwise is None:
            raise ValueError("an ask node needs `next` or `branches`")
        return self

    def target(self, value: str) -> str | None:
        if self.next is not None:
            return self.next
        return self.branches.get(value, self.otherwise)

    def targets(self) -> list[str]:
        found = [self.next, self.otherwise, *self.branches.values()]
        return [name for name in found if name is not None]


class DecideRow(Strict):
    when: Condition = Field(default_factory=dict)
    then: str


class DecideNode(Strict):
    decide: list[DecideRow] = Field(min_length=1)
    help: str = ""

    def targets(self) -> list[str]:
        return [row.then for row in self.decide]


class EachNode(Strict):
    """Walks `do` once for every value of a multi-select answer, then goes on to `next`."""

    each: str
    do: str
    next: str | None = None
    help: str = ""

    def targets(self) -> list[str]:
        return [self.do] + ([self.next] if self.next else [])


class OutcomeNode(Strict):
    report: list[CodeSpec] = Field(default_factory=list)
    note: Note | None = None
    next: str | None = None

    @model_validator(mode="after")
    def _says_something(self) -> OutcomeNode:
        if not self.report and self.note is None:
            raise ValueError("an outcome reports codes or carries a note")
        return self

    def targets(self) -> list[str]:
        return [self.next] if self.next else []


def _node_kind(data: Any) -> str:
    keys = data if isinstance(data, dict) else type(data).model_fields
    for kind in ("ask", "decide", "each"):
        if kind in keys:
            return kind
    return "outcome"


Node = Annotated[
    Annotated[AskNode, Tag("ask")]
    | Annotated[DecideNode, Tag("decide")]
    | Annotated[EachNode, Tag("each")]
    | Annotated[OutcomeNode, Tag("outcome")],
    Discriminator(_node_kind),
]


class AllowedPair(Strict):
    """An Excludes1 pair the tree may report together, and why (I.A.12.a exception).

    A code ending in `-` stands for every code below it (`M51.1-`)."""

    codes: tuple[str, str]
    why: str

    def allows(self, first: str, second: str) -> bool:
        one, other = self.codes
        return (_covers(one, first) and _covers(other, second)) or (
            _covers(one, second) and _covers(other, first)
        )


def _covers(pattern: str, code: str) -> bool:
    return code.startswith(pattern[:-1]) if pattern.endswith("-") else code == pattern


class RuleSet(Strict):
    name: str
    version: str
    icd10cm: str
    """The ICD-10-CM release the rules were checked against."""
    title: str = ""
    start: str
    questions: dict[str, Question]
    tables: dict[str, Table] = Field(default_factory=dict)
    nodes: dict[str, Node]
    excludes1_allowed: list[AllowedPair] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_reserved_question(self) -> RuleSet:
        if CODED in self.questions:
            raise ValueError(f"`{CODED}` is reserved for conditions and cannot be a question id")
        return self
