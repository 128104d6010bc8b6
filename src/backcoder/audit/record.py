"""A claim's documentation coded by the tree: its `answers`, or its `note` read by the note
reader with any answers over it (as a batch line's `note`), through the same Coder."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backcoder.coding.coder import Coder
from backcoder.coding.records import Record, merge_records, parse_record
from backcoder.coding.result import Result
from backcoder.engine.answers import Source
from backcoder.errors import AnswerError, BackcoderError

NOTES_EXTRA = "pip install 'backcoder[notes]'"


def code_documentation(coder: Coder, answers: Any, note: Any) -> Result:
    """The result the tree gives for the claim's documentation."""
    if answers is not None and not isinstance(answers, dict):
        raise AnswerError(
            'answers are an object of question id -> value ({"trauma": "no", "region": '
            '"lumbar"}), as in batch'
        )
    given = parse_record(coder.rules, answers, Source.batch) if answers else Record({}, None)
    if note is None:
        return coder.code_record(given)
    if not isinstance(note, str):
        raise AnswerError("note is the text of the clinical note")
    from_note = _read_note(note)
    return coder.code_record(merge_records(from_note, given, {}))


def _read_note(text: str) -> Record:
    """The answers a note settles, as a record (shared answers, and problems when the note
    documents several)."""
    try:
        from backcoder.notes import read_note  # type: ignore[import-not-found,unused-ignore]

        reading = read_note(text)
    except ImportError:
        raise BackcoderError(
            "this installation cannot read clinical notes: the note reader or a part it needs "
            f"is missing ({NOTES_EXTRA}); give the claim's answers instead"
        ) from None
    shared: Mapping[str, Any] = reading.shared
    problems = [dict(problem) for problem in reading.problems]
    if len(problems) <= 1:
        return Record({**shared, **(problems[0] if problems else {})}, None)
    return Record(dict(shared), problems)
