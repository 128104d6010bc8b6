"""The ICD-10-CM conventions that hold over any set of codes, in one place.

A code must exist, be billable (a leaf, not a category or subcategory with children) and
carry its 7th character where its category has one (with placeholder X before it); two
codes that an Excludes1 note forbids together are never reported together, unless the
exception of guideline I.A.12.a applies (the two conditions are unrelated). `rules check`
proves these of every path, the encounter applies them across its problems, and the audit
applies them to a claim: all through these functions, which return typed findings.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from backcoder.icd.codes import needs_seventh_character
from backcoder.icd.tabular import Tabular, ancestry, referenced_codes, undotted

INVALID = "invalid-code"
NOT_BILLABLE = "not-billable"
MISSING_SEVENTH = "missing-seventh"
EXCLUDES1 = "excludes1"

Exception_ = Callable[[str, str], str | None]
"""Says why two codes may stand together despite an Excludes1 note (I.A.12.a), or None."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A convention a code (or a pair of codes) breaks, with the note or rule behind it."""

    rule: str
    code: str
    message: str
    source: str
    other: str | None = None
    """The second code of an Excludes1 pair."""
    below: tuple[str, ...] = ()
    """For a header or an incomplete code: the codes beneath it that complete it."""


def code_finding(tabular: Tabular, code: str) -> Finding | None:
    """Why `code` cannot be reported as it stands, or None when it can."""
    info = tabular.info(code)
    if info is None:
        return Finding(INVALID, code, f"{code} is not a code in the ICD-10-CM tabular", "Tabular")
    if info.billable:
        return None
    children = tuple(info.children)
    if needs_seventh_character(info):
        message = f"{code} is not complete: it needs a 7th character ({', '.join(children)})"
        return Finding(MISSING_SEVENTH, code, message, "Guideline I.A.5", below=children)
    message = f"{code} is a header, not billable"
    return Finding(NOT_BILLABLE, code, message, "Guideline I.A.5", below=children)


def is_sequela(tabular: Tabular, code: str) -> bool:
    """The 7th character is the sequela of its category's table (`S`: sequela, I.C.19.a):
    its residual condition is coded first, beside it, never left out for it."""
    bare = undotted(code)
    if len(bare) != 7:
        return False
    info = tabular.info(code)
    meaning = info.seventh.get(bare[-1], "") if info is not None else ""
    return meaning.lower() == "sequela"


def is_fracture(tabular: Tabular, code: str) -> bool:
    """A fracture code by its official title: the injury (S22.0-, S32.0-) and the
    pathological, fatigue and collapsed-vertebra codes (M80, M84, M48.4, M48.5), whose
    7th characters all speak of an "encounter for fracture"."""
    info = tabular.info(code)
    return info is not None and "fracture" in info.title.lower()


def disease_fracture_for_injury(tabular: Tabular, claimed: str, documented: str) -> bool:
    """`documented` is a fracture the disease explains (chapter 13) where `claimed` codes
    it as an injury (chapter 19): a fracture from a minor fall in known osteoporosis, or a
    pathological fracture, is never an injury code (I.C.13.c, I.C.13.d.2)."""
    return (
        claimed[:1] in ("S", "T")
        and documented[:1] == "M"
        and is_fracture(tabular, claimed)
        and is_fracture(tabular, documented)
    )


def excludes1_note(tabular: Tabular, code: str, other: str) -> str | None:
    """The Excludes1 note (of `code` or an ancestor) that forbids reporting `other` with it."""
    return Excludes1Notes(tabular).note(code, other)


class Excludes1Notes:
    """Excludes1 notes read once per code: each code's notes (its own and its ancestors')
    as the code prefixes they name. Encounters, the audit and the proof ask about many
    pairs; parsing the notes once per code keeps that cheap. Holds only plain data, so it
    pickles with the engine."""

    def __init__(self, tabular: Tabular) -> None:
        self.tabular = tabular
        self._prefixes: dict[str, tuple[tuple[str, str], ...]] = {}

    def prefixes(self, code: str) -> tuple[tuple[str, str], ...]:
        """(undotted code prefix, the note in words) for every Excludes1 reference."""
        found = self._prefixes.get(code)
        if found is None:
            found = tuple(
                (undotted(ref), f"{info.code} Excludes1: {note}")
                for info in ancestry(self.tabular, code)
                for note in info.excludes1
                for ref in referenced_codes(note)
            )
            self._prefixes[code] = found
        return found

    def note(self, code: str, other: str) -> str | None:
        """The note of `code` (or an ancestor) that forbids reporting `other` with it."""
        target = undotted(other)
        for prefix, note in self.prefixes(code):
            if target.startswith(prefix):
                return note
        return None

    def conflict(self, first: str, second: str) -> str | None:
        return self.note(first, second) or self.note(second, first)


def excludes1_conflict(tabular: Tabular, first: str, second: str) -> str | None:
    """The note forbidding the pair, whichever of the two codes carries it."""
    return Excludes1Notes(tabular).conflict(first, second)


def excludes1_findings(
    tabular: Tabular,
    codes: Iterable[str],
    allowed: Exception_ | None = None,
    notes: Excludes1Notes | None = None,
) -> Iterator[Finding]:
    """Every pair of `codes` an Excludes1 note forbids, unless `allowed` gives the
    I.A.12.a reason they may stand together; `notes` lets a caller that checks many sets
    (the audit) read each code's notes once."""
    notes = notes or Excludes1Notes(tabular)
    for first, second in itertools.combinations(dict.fromkeys(codes), 2):
        note = notes.conflict(first, second)
        if note is None or (allowed is not None and allowed(first, second)):
            continue
        message = f"{first} and {second} are not coded together: {note}"
        yield Finding(EXCLUDES1, first, message, note, other=second)
