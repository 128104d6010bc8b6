"""Reading a clinical note into backcoder's answers, with a quote for every answer.

`NoteReader(notes).read(text)` returns a `NoteReading`: the record (shared answers and a
`problems` list, or one flat record), the evidence for each answer, the mentions set aside and
the conflicts; `backcoder.notes.records` turns it into the answers a result is coded from.
The note-reading rule file is read, and the reader built once per file, by
`backcoder.files.notes.load_reader`. The clinical NLP library (medspaCy, the optional `notes`
extra) is imported only when the first reader is built, never when backcoder itself is
imported.
"""

from __future__ import annotations

from backcoder.notes.reading import Conflict, Evidence, NoteReading, SetAside

__all__ = ["Conflict", "Evidence", "NoteReading", "SetAside"]
