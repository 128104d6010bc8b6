"""What the reader returns: answers with their quotes, what was set aside, and conflicts.

A reading is made to be checked by a coder: every answer names the words that gave it and
where they stand (`note[start:end] == quote`, in code points), every mention not taken says
why, and every contradiction the reader resolved says how.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backcoder.coding.result import Conflict, Evidence, NoteFindings, SetAside

Answer = str | list[str]


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
            "evidence": [item._asdict() for item in self.evidence],
            "set_aside": [item._asdict() for item in self.set_aside],
            "conflicts": [item._asdict() for item in self.conflicts],
        }

    def findings(self) -> NoteFindings:
        """The evidence, set-asides and conflicts as a result carries them."""
        return NoteFindings(tuple(self.evidence), tuple(self.set_aside), tuple(self.conflicts))
