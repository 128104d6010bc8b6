"""What the reader returns: answers with their quotes, what was set aside, and conflicts.

A reading is made to be checked by a coder: every answer names the words that gave it and
where they stand (`note[start:end] == quote`, in code points), every mention not taken says
why, and every contradiction the reader resolved says how.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Answer = str | list[str]


@dataclass(frozen=True, slots=True)
class Evidence:
    """The words that settled one answer. `problem` is 1-based; None for a shared answer of a
    note with several problems (it applies to every problem that does not set it)."""

    problem: int | None
    id: str
    value: str
    quote: str
    start: int
    end: int
    section: str


@dataclass(frozen=True, slots=True)
class SetAside:
    """A mention seen and not taken: `reason` is negated, historical, hypothetical, family,
    other_person, review_of_systems or section; `cue` is the words or title that decided it."""

    id: str
    value: str
    quote: str
    start: int
    end: int
    section: str
    reason: str
    cue: str


@dataclass(frozen=True, slots=True)
class Conflict:
    """Two values of one answer in the note: which was taken, which was overridden, and why."""

    problem: int | None
    id: str
    value: str
    overridden: str
    quote: str
    start: int
    end: int
    section: str
    rule: str


@dataclass(slots=True)
class NoteReading:
    """The answers a note settles, shared and per problem, with what justifies each."""

    shared: dict[str, Answer] = field(default_factory=dict)
    problems: list[dict[str, Answer]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The answers as an encounter record: flat for one problem (or none), else the shared
        keys with a `problems` list (the shared contract for encounters)."""
        if len(self.problems) <= 1:
            flat: dict[str, Any] = dict(self.shared)
            if self.problems:
                flat.update(self.problems[0])
            return flat
        return {**self.shared, "problems": [dict(problem) for problem in self.problems]}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the record, then the evidence, the mentions set aside and conflicts."""
        return {
            "record": self.record(),
            "evidence": [asdict(item) for item in self.evidence],
            "set_aside": [asdict(item) for item in self.set_aside],
            "conflicts": [asdict(item) for item in self.conflicts],
        }
