"""The corpus of synthetic notes: each note read exactly as a coder reviewing it expects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backcoder.notes import NoteReading
from tests.notes.corpus import Corpus

CORPUS = Corpus.load("notes")
NOTES, EXPECTED = CORPUS.folder, CORPUS.expected


def test_the_corpus_is_large_and_varied() -> None:
    assert len(EXPECTED) >= 40
    assert {path.stem for path in NOTES.glob("*.txt")} == set(EXPECTED)
    settings = " ".join(entry["setting"] for entry in EXPECTED.values())
    for setting in ("office", "ED", "physical therapy", "telehealth", "spine consult"):
        assert setting in settings
    assert sum("problems" in entry["record"] for entry in EXPECTED.values()) >= 3


def assert_reading(text: str, reading: NoteReading, expected: dict[str, Any]) -> None:
    """A note's reading against its expected entry: the record, the quotes, every offset
    (note[start:end] == quote), the mentions set aside and the conflicts."""
    assert reading.record() == expected["record"]
    found = {(e.problem, e.id, e.value, e.quote) for e in reading.evidence}
    for problem, question, value, quote in expected.get("quotes", []):
        assert (problem, question, value, quote) in found
    for item in [*reading.evidence, *reading.set_aside, *reading.conflicts]:
        assert text[item.start : item.end] == item.quote
    aside = {(s.id, s.value, s.reason) for s in reading.set_aside}
    for question, value, reason in expected.get("set_aside", []):
        assert (question, value, reason) in aside
    conflicts = {(c.id, c.value, c.overridden) for c in reading.conflicts}
    assert conflicts == {tuple(c) for c in expected.get("conflicts", [])}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_note_reads_as_expected(read: Callable[[str], NoteReading], name: str) -> None:
    expected = EXPECTED[name]
    text = (NOTES / f"{name}.txt").read_text(encoding="utf-8")
    assert_reading(text, read(text), expected)


@pytest.mark.slow
def test_expected_codes_are_billable_codes_of_the_tabular() -> None:
    """The corpus's codes are real, complete codes (it reads the whole tabular: slow)."""
    import simple_icd_10_cm as cm

    for name, entry in EXPECTED.items():
        for code in [*entry["codes"], *entry.get("also", [])]:
            assert cm.is_valid_item(code), f"{name}: {code} is not an ICD-10-CM code"
            assert cm.is_leaf(code), f"{name}: {code} is not billable"
