"""The result of coding one problem, typed.

The core builds these; only the edges turn them into text: `files.json_writer` into the
public JSON object (README, "The result"), `cli.render` into the terminal's. Titles and
cited notes in them come from the tabular, never from the rule file.

The records are NamedTuples: immutable and typed like frozen dataclasses, and defining one
costs a seventh as much, which every run pays at start-up.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from backcoder.engine.answers import Answer
from backcoder.language.model import Kind, Sequence


class Role(StrEnum):
    first_listed = "first-listed"
    additional = "additional"


class CodeLine(NamedTuple):
    """A code to report, with its official title and its place in the reporting order."""

    code: str
    description: str
    role: Role
    kind: Kind
    follows: str | None = None
    """A condition coded outside the tree that is listed before this code (G89.3 after the
    neoplasm): the code is additional even when it is the only one."""
    sequence: Sequence = Sequence.main
    sites: tuple[str, ...] = ()
    """The sites (regions) the code was reported for."""
    problems: tuple[int, ...] = ()
    """In an encounter: the problems (1-based) the code came from."""


class PathEntry(NamedTuple):
    """A question asked on the way, with the answer and where the answer came from."""

    question: str
    answer: Answer
    problem: int | None = None


class Reason(NamedTuple):
    """Why a code was reported (or, with no code, why a decision added none), and the
    guideline sections and tabular notes behind it, in words."""

    code: str | None
    reason: str
    sources: tuple[str, ...]
    problems: tuple[int, ...] = ()


class Query(NamedTuple):
    """A compliant physician query for a detail the record did not document."""

    question: str
    indicators: tuple[str, ...]
    query: str
    options: tuple[str, ...]
    problem: int | None = None


class ChecklistItem(NamedTuple):
    """What the note should document, and in which of its sections."""

    question: str
    section: str | None
    document: str
    problem: int | None = None


class Hint(NamedTuple):
    """For a detail not documented: the codes each documented value would reach (or why it
    would not reach one yet)."""

    question: str
    would_reach: dict[str, tuple[str, ...] | str]
    problem: int | None = None
    ruled_out: frozenset[str] = frozenset()
    """Values the tree refuses at the documented site: no query offers them."""


class Evidence(NamedTuple):
    """The words of a clinical note that settled one answer: `note[start:end] == quote`, in
    code points of the note as read. `problem` is 1-based; None for an answer a note with
    several problems states for the whole visit (it applies to every problem that does not
    set it)."""

    problem: int | None
    id: str
    value: str
    quote: str
    start: int
    end: int
    section: str


class SetAside(NamedTuple):
    """A mention seen in the note and not taken: `reason` is negated, historical,
    hypothetical, family, other_person, review_of_systems or section; `cue` is the words or
    the section title that decided it."""

    id: str
    value: str
    quote: str
    start: int
    end: int
    section: str
    reason: str
    cue: str


class Conflict(NamedTuple):
    """Two values of one answer in the note: the one taken, the one overridden (quoted), and
    the rule that decided (the assessment wins over the history, ...)."""

    problem: int | None
    id: str
    value: str
    overridden: str
    quote: str
    start: int
    end: int
    section: str
    rule: str


class NoteFindings(NamedTuple):
    """What a clinical note gave a result: the evidence for each answer it settled, the
    mentions it set aside and the contradictions it resolved."""

    evidence: tuple[Evidence, ...] = ()
    set_aside: tuple[SetAside, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    def of_problem(self, number: int) -> NoteFindings:
        """The findings of one problem of an encounter (its own answers and conflicts)."""
        return NoteFindings(
            tuple(item for item in self.evidence if item.problem == number),
            (),
            tuple(item for item in self.conflicts if item.problem == number),
        )


class RulesRef(NamedTuple):
    name: str
    version: str
    icd10cm: str


class ProblemResult(NamedTuple):
    """Everything backcoder says of one coded problem."""

    codes: tuple[CodeLine, ...]
    path: tuple[PathEntry, ...]
    rationale: tuple[Reason, ...]
    queries: tuple[Query, ...]
    checklist: tuple[ChecklistItem, ...]
    more_specific: tuple[Hint, ...]
    warnings: tuple[str, ...]
    """Red-flag notices."""
    unused: dict[str, Answer]
    answers: dict[str, Answer]
    """The answers of the path that did not come from a default: replayable."""
    rules: RulesRef
    backcoder: str
    note: NoteFindings | None = None
    """When the answers came from a clinical note: the evidence, set-asides and conflicts."""

    @property
    def code_list(self) -> list[str]:
        return [line.code for line in self.codes]


class EncounterResult(NamedTuple):
    """A visit with several back problems: each problem coded on its own, and the
    encounter's codes assembled from theirs (each code once, with the problems it came
    from; first-listed by the guidelines; Excludes1 pairs across problems resolved; no
    symptom beside the diagnosis that explains it at the same site)."""

    codes: tuple[CodeLine, ...]
    rationale: tuple[Reason, ...]
    queries: tuple[Query, ...]
    checklist: tuple[ChecklistItem, ...]
    more_specific: tuple[Hint, ...]
    warnings: tuple[str, ...]
    problems: tuple[ProblemResult, ...]
    unused: dict[str, Answer]
    """Shared answers that no problem's path needed."""
    shared: dict[str, Answer]
    """The shared answers the record gave (replayed at its top level)."""
    rules: RulesRef
    backcoder: str
    note: NoteFindings | None = None
    """When the answers came from a clinical note: the evidence (each naming its problem),
    set-asides and conflicts; each problem's own are also in its result's `note`."""

    @property
    def code_list(self) -> list[str]:
        return [line.code for line in self.codes]


Result = ProblemResult | EncounterResult


def problems_of(result: Result) -> tuple[ProblemResult, ...]:
    """The problems of a result: its own, or the one it is."""
    return result.problems if isinstance(result, EncounterResult) else (result,)
