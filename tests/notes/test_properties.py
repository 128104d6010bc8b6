"""Any text at all gives a reading or one BackcoderError, never another exception."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcoder.errors import BackcoderError
from backcoder.notes import NoteReading

from .conftest import offsets_exact

CLINICAL_WORDS = [
    "Assessment:",
    "HPI:",
    "ROS:",
    "Neuro:",
    "FH:",
    "Plan:",
    "\n",
    "\n\n",
    "1.",
    "2.",
    "-",
    "denies",
    "no",
    "hx",
    "s/p",
    "r/o",
    "if",
    "mother",
    "coworker",
    "L4-5",
    "L5-S1",
    "C5-6",
    "T12",
    "L1",
    "compression",
    "fracture",
    "osteoporotic",
    "fall",
    "LBP",
    "sciatica",
    "radiculopathy",
    "HNP",
    "DDD",
    "left",
    "b/l",
    "BLE",
    "chronic",
    "acute",
    "strain",
    "neck",
    "pain",
    "radiating",
    "numbness",
    ";",
    ".",
    ",",
    ":",
    "é",
    "🙂",
    "\x00",
    "\u2028",
]
notes = st.one_of(
    st.text(max_size=400),
    st.lists(st.sampled_from(CLINICAL_WORDS), max_size=120).map(" ".join),
    st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")),
)


def outcome(read: Callable[[str], NoteReading], text: str) -> NoteReading | BackcoderError:
    try:
        return read(text)
    except BackcoderError as error:
        assert "\n" not in str(error)
        return error


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=notes)
def test_any_text_gives_a_reading_or_one_clear_error(read, text: str) -> None:  # type: ignore[no-untyped-def]
    result = outcome(read, text)
    if isinstance(result, NoteReading):
        assert offsets_exact(text, result)
        record = result.record()
        assert isinstance(record, dict)
        assert all(isinstance(problem, dict) for problem in record.get("problems", []))


@pytest.mark.slow
def test_empty_and_huge_notes(read) -> None:  # type: ignore[no-untyped-def]
    assert read("").record() == {}
    assert read("   \n\n\t").record() == {}
    line = "HPI: Low back pain. Denies trauma. ROS: negative.\nAssessment: Chronic LBP, left sciatica.\n"
    huge = (line * 2_000)[:99_000]
    reading = read(huge)
    assert reading.record()["nerve"] == "sciatica"
    assert offsets_exact(huge, reading)
    assert isinstance(outcome(read, huge + "x" * 5_000), BackcoderError)
