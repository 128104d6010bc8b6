"""The note-reading rule file beside a tree (`NAME.notes.yaml`): read, checked, and the
reader built from it once per file.

The note reader itself (`backcoder.notes`) reads no file; this module reads its rule file
and hands in the text, so a batch pays medspaCy's load once and `rules check` can prove the
file without loading the library at all.

Like the tree's, the rule file has a built form (`NAME.notes.built.json`, written by
`backcoder rules build` once the file is proven sound): the validated rules as JSON, used by
the reader while its recorded SHA-256 matches the rule file byte for byte. Reading it needs
neither the YAML parser nor pydantic's validator, whose building alone took a tenth of a
one-note run.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backcoder.errors import RuleFileError
from backcoder.files.bundle import sha256, shipped_rules_path
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


NOTES_BUILT_SUFFIX = ".built.json"
NOTES_BUILT_FORMAT = 1


def notes_built_path(path: Path) -> Path:
    """`NAME.notes.built.json` beside the note-reading rule file `NAME.notes.yaml`."""
    return path.with_name(path.name.removesuffix(".yaml") + NOTES_BUILT_SUFFIX)


def load_notes_file(path: Path) -> NotesFile:
    """The note-reading rule file at `path`, validated; one line naming the file otherwise."""
    return _parse(path, read_bytes(path, RuleFileError))


def _parse(path: Path, source: bytes) -> NotesFile:
    from backcoder.notes.reader import parse_notes

    try:
        text = source.decode("utf-8")
    except UnicodeDecodeError:
        raise RuleFileError(f"{path}: not UTF-8 text") from None
    return parse_notes(text, str(path))


def load_notes(path: Path) -> NotesFile:
    """The note-reading rules at `path`: from the built form while it matches the file, else
    the file itself, validated (one line naming the file when it is not valid)."""
    source = read_bytes(path, RuleFileError)
    built = _current_built(path, source)
    if built is not None:
        from backcoder.notes.model import construct_notes

        try:
            return construct_notes(built["notes"])
        except (AttributeError, KeyError, TypeError, ValueError):
            pass  # a built form edited by hand: the rule file is the truth
    return _parse(path, source)


def has_current_notes_build(path: Path) -> bool:
    """Whether the built form beside the note-reading rule file matches it (not when the
    file cannot be read: the check that reads it says why)."""
    try:
        source = read_bytes(path, RuleFileError)
    except RuleFileError:
        return False
    return _current_built(path, source) is not None


def _current_built(path: Path, source: bytes) -> dict[str, Any] | None:
    try:
        built = json.loads(read_bytes(notes_built_path(path), RuleFileError))
    except (RuleFileError, ValueError, RecursionError):
        return None  # a built form that cannot be read is not used: the rule file is
    if not isinstance(built, dict) or not isinstance(built.get("notes"), dict):
        return None
    current = built.get("format") == NOTES_BUILT_FORMAT and built.get("source_sha256") == sha256(
        source
    )
    return built if current else None


def notes_built_document(path: Path, rules: RuleSet) -> tuple[dict[str, Any] | None, list[str]]:
    """The built form of the note-reading rule file at `path`, or its problems against the
    tree `rules` (one line each, as `rules check` prints them) when it is not sound: one
    function for `rules build` and the test that keeps the committed built form honest."""
    from backcoder.notes.model import dump_notes

    source = read_bytes(path, RuleFileError)
    try:
        notes = _parse(path, source)
    except RuleFileError as error:
        return None, [str(error)]
    problems = _problems(path, notes, rules)
    if problems:
        return None, problems
    document = {
        "format": NOTES_BUILT_FORMAT,
        "source": path.name,
        "source_sha256": sha256(source),
        "notes": dump_notes(notes),
    }
    return document, []


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

    with _long_lived():
        return NoteReader(load_notes(path))


@contextmanager
def _long_lived() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the reader is built, and the objects it
    tracks then moved out of its reach (`gc.freeze`, the permanent generation).

    The build (spaCy's and medspaCy's import, the vocabulary, the matchers) allocates some
    150,000 objects that live as long as the process, since a reader is built once per rule
    file. The collector would traverse them again and again meanwhile, twice in full, and once
    more right after: a sixth of a one-note run, to find a few thousand objects to free.
    Frozen objects are still freed when nothing refers to them; only reference cycles among
    what the process held then are never collected, a bounded amount once per rule file. The
    collector is left enabled or disabled as it was found."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def read_note(text: str, rules_path: Path | None = None) -> NoteReading:
    """The answers `text` settles, with evidence; BackcoderError (one line) when the notes
    extra is missing, the note-reading rules are invalid or the note is too long."""
    return load_reader(rules_path).read(text)


def check_notes_file(path: Path, rules: RuleSet) -> list[str]:
    """The problems of the note-reading rule file at `path` against the tree `rules`, one
    line each (`file: where: what`); empty when it is sound. Never loads the NLP library."""
    try:
        notes = load_notes_file(path)
    except RuleFileError as error:
        return [str(error)]
    return _problems(path, notes, rules)


def _problems(path: Path, notes: NotesFile, rules: RuleSet) -> list[str]:
    from backcoder.notes.check import notes_problems
    from backcoder.notes.vocabulary import tree_vocabulary

    return [f"{path}: {line}" for line in notes_problems(notes, tree_vocabulary(rules))]
