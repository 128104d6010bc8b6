"""The note-reading rule file beside a tree (`NAME.notes.yaml`): read, checked, and the
reader built from it once per file.

The note reader itself (`backcoder.notes`) reads no file; this module reads its rule file
and hands in the text, so a batch pays medspaCy's load once and `rules check` can prove the
file without loading the library at all.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from backcoder.errors import RuleFileError
from backcoder.files.bundle import shipped_rules_path
from backcoder.files.reading import read_bytes
from backcoder.language.model import RuleSet
from backcoder.notes.vocabulary import notes_path_beside

if TYPE_CHECKING:
    from backcoder.notes.model import NotesFile
    from backcoder.notes.reader import NoteReader
    from backcoder.notes.reading import NoteReading


def notes_path(rules_path: Path | None = None) -> Path:
    """The note-reading rules beside the rule file (the shipped one when None)."""
    return notes_path_beside(rules_path or shipped_rules_path())


def load_notes_file(path: Path) -> NotesFile:
    """The note-reading rule file at `path`, validated; one line naming the file otherwise."""
    from backcoder.notes.reader import parse_notes

    source = read_bytes(path, RuleFileError)
    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleFileError(f"{path}: not UTF-8 text") from None
    return parse_notes(text, str(path))


def load_reader(rules_path: Path | None = None) -> NoteReader:
    """The reader for a tree (its `NAME.notes.yaml`; the shipped rules when None), built once
    per file. A tree without a note-reading rule file cannot read notes: one line says so."""
    path = notes_path(rules_path)
    if not path.is_file():
        raise RuleFileError(
            f"{path}: no note-reading rules beside the rule file, so its trees cannot read a "
            f"note (write {path.name}; see docs/notes-reader.md)"
        )
    return _reader_at(path.resolve())


@cache
def _reader_at(path: Path) -> NoteReader:
    from backcoder.notes.reader import NoteReader

    return NoteReader(load_notes_file(path))


def read_note(text: str, rules_path: Path | None = None) -> NoteReading:
    """The answers `text` settles, with evidence; BackcoderError (one line) when the notes
    extra is missing, the note-reading rules are invalid or the note is too long."""
    return load_reader(rules_path).read(text)


def check_notes_file(path: Path, rules: RuleSet) -> list[str]:
    """The problems of the note-reading rule file at `path` against the tree `rules`, one
    line each (`file: where: what`); empty when it is sound. Never loads the NLP library."""
    from backcoder.notes.check import notes_problems
    from backcoder.notes.vocabulary import tree_vocabulary

    try:
        notes = load_notes_file(path)
    except RuleFileError as error:
        return [str(error)]
    return [f"{path}: {line}" for line in notes_problems(notes, tree_vocabulary(rules))]
