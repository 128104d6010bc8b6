"""Reading a clinical note into backcoder's answers, with a quote for every answer.

`read_note(text)` returns a `NoteReading`: the record (shared answers and a `problems` list,
or one flat record), the evidence for each answer, the mentions set aside and the conflicts.
The clinical NLP library (medspaCy, the optional `notes` extra) is imported only when the
first note is read, never when backcoder itself is imported.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from backcoder.notes.reading import Conflict, Evidence, NoteReading, SetAside

if TYPE_CHECKING:
    from backcoder.notes.reader import NoteReader

__all__ = [
    "Conflict",
    "Evidence",
    "NoteReading",
    "SetAside",
    "load_reader",
    "read_note",
]


@cache
def _reader_at(notes_path: Path) -> NoteReader:
    from backcoder.notes.reader import NoteReader, load_notes_file

    return NoteReader(load_notes_file(notes_path))


def load_reader(rules_path: Path | None = None) -> NoteReader:
    """The reader for a tree's rule file (`NAME.notes.yaml` beside `NAME.yaml`; the shipped
    rules when None), built once per file: batch pays the library's load once."""
    from backcoder.notes.vocabulary import notes_path_beside, shipped_notes_path

    path = notes_path_beside(rules_path) if rules_path is not None else shipped_notes_path()
    return _reader_at(path.resolve())


def read_note(text: str, rules_path: Path | None = None) -> NoteReading:
    """The answers `text` settles, with evidence; raises BackcoderError (one line) when the
    notes extra is missing, the note-reading rules are invalid or the note is too long."""
    return load_reader(rules_path).read(text)
