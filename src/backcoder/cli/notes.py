"""`code --note`: the clinical note read from a file or standard input, and the review of what
it settled that the walker starts with.

The review lists every answer the note settled, each with the words that settled it, and
takes `ID=VALUE` (or `N.ID=VALUE` for problem N) to change one, Enter to go on; the walker
then asks only what is left. A changed answer is the user's (source `prompt`) and names the
note's in `overrides`, like a flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from rich.console import Console
from rich.markup import escape

from backcoder.cli.common import STDIN
from backcoder.cli.env import Environment
from backcoder.coding.coder import Coder
from backcoder.coding.records import Record, set_answer, split_flags
from backcoder.coding.result import Evidence
from backcoder.engine.answers import Answer, Source, parse_answer, parse_assignment
from backcoder.errors import AnswerError, BackcoderError, EndOfInput
from backcoder.files.reading import read_bytes
from backcoder.notes.model import NotesFile
from backcoder.notes.reading import NoteReading


class NoteInput(NamedTuple):
    """A note read: its reading (evidence and all), its answers as a record, and the rules
    that read it (their `when_silent` answers settle what it leaves open under --no-input)."""

    reading: NoteReading
    record: Record
    notes: NotesFile


def read_note(source: str, coder: Coder, env: Environment) -> NoteInput:
    """The note at `source` (a file, or `-` for standard input) read with the note-reading
    rules beside the tree's rule file; one line (exit 2) for an unreadable note or file, or
    when the notes extra is not installed."""
    from backcoder.files.notes import load_reader
    from backcoder.notes.pipeline import MAX_NOTE_CHARS
    from backcoder.notes.records import note_record

    text = note_text(source, env)
    if len(text) > MAX_NOTE_CHARS:  # refused at once, before the NLP library loads
        raise BackcoderError(
            f"the note has {len(text):,} characters; at most {MAX_NOTE_CHARS:,} are read"
        )
    reader = load_reader(coder.bundle.path)
    reading = reader.read(text)
    return NoteInput(reading, note_record(coder.rules, reading), reader.notes)


def note_text(source: str, env: Environment) -> str:
    """The note as text: UTF-8 (a byte-order mark is not part of it), line ends as written,
    so evidence offsets index exactly the characters of the file."""
    if source == STDIN:
        stream = getattr(env.stdin, "buffer", None)
        if stream is None:
            return env.stdin.read()
        raw, name = stream.read(), "standard input"
    else:
        raw, name = read_bytes(Path(source), BackcoderError), source
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BackcoderError(
            f"{name}: the note is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8"
        ) from None


class NoteReview:
    """Shows what the note settled, with its quotes, and takes the user's changes."""

    def __init__(self, coder: Coder, env: Environment) -> None:
        self.coder = coder
        self.env = env
        self.console: Console = env.console(stderr=True)

    def run(self, record: Record, reading: NoteReading) -> Record:
        """The record with the user's changes; unchanged when the note settled nothing."""
        if not reading.evidence:
            self.console.print("\n[bold]The note settled no answer:[/] every question is asked.")
            self._set_aside(reading)
            return record
        self._show(record, reading)
        while True:
            line = self._read_line()
            if not line.strip():
                return record
            try:
                record = self._change(record, line.strip())
            except AnswerError as exc:
                self.console.print(f"[red]{escape(str(exc))}[/]")
                continue
            self._show(record, reading, heading="Now")

    def _change(self, record: Record, text: str) -> Record:
        """`ID=VALUE` changes a shared answer (in every problem), `N.ID=VALUE` problem N's."""
        shared, per_problem = split_flags([parse_assignment(text)])
        problem, answers = (None, shared) if shared else next(iter(per_problem.items()))
        ((question, raw),) = answers.items()
        answer = parse_answer(self.coder.rules, question, raw, Source.prompt)
        return set_answer(record, problem, question, answer)

    def _show(self, record: Record, reading: NoteReading, heading: str = "") -> None:
        console = self.console
        console.print()
        console.print(f"[bold]{heading or 'The note settled these answers'}[/] [dim](source)[/]")
        if record.problems is None:
            self._answers(record.shared, reading.evidence, 1)
        else:
            if record.shared:
                console.print("  [bold]The whole visit[/]")
                self._answers(record.shared, reading.evidence, None)
            for number, own in enumerate(record.problems, 1):
                console.print(f"  [bold]Problem {number}[/]")
                self._answers(own, reading.evidence, number)
        if not heading:
            self._set_aside(reading)
            self._conflicts(reading)

    def _answers(
        self, answers: Mapping[str, Answer], evidence: Sequence[Evidence], problem: int | None
    ) -> None:
        for question, answer in answers.items():
            value = ",".join(answer.values)
            over = answer.overrides
            instead = f", over the note's {','.join(over.values)}" if over else ""
            self.console.print(
                f"    {question} = {escape(value)}  [dim]({answer.source.value}{instead})[/]"
            )
            if answer.source is not Source.note:
                continue
            for item in evidence:
                if item.id == question and item.problem == problem:
                    self.console.print(
                        f'      [green]"{escape(item.quote)}"[/]  '
                        f"[dim]{item.section}, characters {item.start}-{item.end}[/]"
                    )

    def _set_aside(self, reading: NoteReading) -> None:
        if not reading.set_aside:
            return
        self.console.print("[bold]Seen and set aside[/]")
        for item in reading.set_aside:
            cue = f": {escape(item.cue)}" if item.cue else ""
            self.console.print(
                f'    {item.id}={item.value}  [yellow]"{escape(item.quote)}"[/]  '
                f"[dim]{item.reason}{cue} ({item.section})[/]"
            )

    def _conflicts(self, reading: NoteReading) -> None:
        if not reading.conflicts:
            return
        self.console.print("[bold]Contradictions resolved[/]")
        for item in reading.conflicts:
            self.console.print(
                f'    {item.id}={item.value}, not {item.overridden} ("{escape(item.quote)}"): '
                f"[dim]{escape(item.rule)}[/]"
            )

    def _read_line(self) -> str:
        self.console.print(
            "[bold]>[/] [dim](Enter to accept and go on; ID=VALUE to change one, "
            "N.ID=VALUE for problem N)[/] ",
            end="",
        )
        self.env.stderr.flush()
        line = self.env.stdin.readline()
        if not line:
            self.env.stderr.write("\n")
            raise EndOfInput("input ended while reviewing the answers the note settled")
        return line
