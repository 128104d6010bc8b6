"""The note reader, loaded once for the session (medspaCy's load is the slow part)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from backcoder.files.notes import load_reader
from backcoder.notes import NoteReading


@pytest.fixture(scope="session")
def read() -> Callable[[str], NoteReading]:
    reader = load_reader()
    return reader.read


def taken(reading: NoteReading, question: str) -> list[tuple[str, str]]:
    """(value, quote) of each evidence entry for `question`."""
    return [(e.value, e.quote) for e in reading.evidence if e.id == question]


def aside(reading: NoteReading, question: str | None = None) -> list[tuple[str, str, str]]:
    """(value, quote, reason) of each mention set aside (for `question`, or all)."""
    return [
        (s.value, s.quote, s.reason)
        for s in reading.set_aside
        if question is None or s.id == question
    ]


def offsets_exact(text: str, reading: NoteReading) -> bool:
    items: list[Any] = [*reading.evidence, *reading.set_aside, *reading.conflicts]
    return all(text[item.start : item.end] == item.quote for item in items)
