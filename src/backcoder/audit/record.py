"""A claim's documentation coded by the tree: its `answers`, or its `note` read by the note
reader with any answers over it (as a batch line's `note`), through the same Coder."""

from __future__ import annotations

from typing import Any

from backcoder.coding.coder import Coder
from backcoder.coding.records import Record, merge_records, parse_record
from backcoder.coding.result import Result
from backcoder.engine.answers import Source
from backcoder.errors import AnswerError


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
    return _code_note(coder, note, given)


def _code_note(coder: Coder, note: str, given: Record) -> Result:
    """The note read as `batch` reads a line's note: its answers under the claim's, and what
    it leaves open settled by its silence (the reader is loaded once per rule file)."""
    from backcoder.files.notes import load_reader
    from backcoder.notes.records import note_record, settle_silence

    reader = load_reader(coder.bundle.path)
    noted = note_record(coder.rules, reader.read(note))
    record = merge_records(given, Record({}, None), {}, noted, coder.rules.visit)
    record = settle_silence(coder, record, reader.notes)
    return coder.code_record(record, missing_hint="add it to the claim's answers")
