"""The JSON contract of a result, typed: what `files.json_writer` writes, field by field.

The committed JSON Schema (docs/result.schema.json) is generated from these shapes, and the
tests validate real output against them.
"""

from __future__ import annotations

from typing import NotRequired

from typing_extensions import TypedDict  # pydantic reads only this one on Python 3.11

AnswerJSON = str | list[str]


class CodeJSON(TypedDict):
    code: str
    description: str
    role: str
    kind: str
    follows: NotRequired[str]
    problems: NotRequired[list[int]]


class OverriddenJSON(TypedDict):
    answer: AnswerJSON
    source: str


class PathJSON(TypedDict):
    question: str
    answer: AnswerJSON
    source: str
    overrides: NotRequired[OverriddenJSON]
    merged: NotRequired[list[AnswerJSON]]
    """The answers joined into this one, as each was given (`-a region=cervical -a
    region=lumbar`)."""
    problem: NotRequired[int]


class ReasonJSON(TypedDict):
    code: str | None
    reason: str
    sources: list[str]
    problems: NotRequired[list[int]]


class QueryJSON(TypedDict):
    question: str
    indicators: list[str]
    query: str
    options: list[str]
    problem: NotRequired[int]


class ChecklistJSON(TypedDict):
    question: str
    section: str | None
    document: str
    problem: NotRequired[int]


class HintJSON(TypedDict):
    question: str
    would_reach: dict[str, list[str] | str]
    problem: NotRequired[int]


class RulesJSON(TypedDict):
    name: str
    version: str
    icd10cm: str


class EvidenceJSON(TypedDict):
    """The words of the note that settled an answer: `note[start:end] == quote` in code
    points; `problem` is null for an answer a note with several problems states for all."""

    problem: int | None
    id: str
    value: str
    quote: str
    start: int
    end: int
    section: str


class SetAsideJSON(TypedDict):
    """A mention seen in the note and not taken, with the reason and the words that decided."""

    id: str
    value: str
    quote: str
    start: int
    end: int
    section: str
    reason: str
    cue: str


class ConflictJSON(TypedDict):
    """Two values of one answer in the note: `value` taken, `overridden` (quoted) not."""

    problem: int | None
    id: str
    value: str
    overridden: str
    quote: str
    start: int
    end: int
    section: str
    rule: str


class ResultJSON(TypedDict):
    codes: list[CodeJSON]
    path: list[PathJSON]
    rationale: list[ReasonJSON]
    queries: list[QueryJSON]
    checklist: list[ChecklistJSON]
    more_specific: list[HintJSON]
    warnings: list[str]
    unused: dict[str, AnswerJSON]
    answers: dict[str, AnswerJSON | list[dict[str, AnswerJSON]]]
    """The record to replay; an encounter's holds `problems`, a list of answer objects."""
    rules: RulesJSON
    backcoder: str
    evidence: NotRequired[list[EvidenceJSON]]
    """Coded from a clinical note (`--note`, a batch line's `note`): one entry per answer the
    note settled. The three note fields are present exactly when a note was read."""
    set_aside: NotRequired[list[SetAsideJSON]]
    conflicts: NotRequired[list[ConflictJSON]]


class ProblemJSON(TypedDict):
    """One problem of an encounter: its own codes, path, queries and unused answers (and,
    from a note, its own evidence and conflicts)."""

    codes: list[CodeJSON]
    path: list[PathJSON]
    queries: list[QueryJSON]
    unused: dict[str, AnswerJSON]
    evidence: NotRequired[list[EvidenceJSON]]
    conflicts: NotRequired[list[ConflictJSON]]


class EncounterJSON(ResultJSON):
    """A record with `problems`: today's fields, the encounter's codes (each naming its
    problems), and one object per problem."""

    problems: list[ProblemJSON]
