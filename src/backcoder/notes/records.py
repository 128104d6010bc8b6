"""A note's reading as the record a result is coded from, and the findings the result carries.

The note's answers are a layer of their own (`Source.note`), under whatever the user gives
(`-a`, `--answers`, a batch line's answers, an edit in the walker), so every path entry taken
from the note says so and an override names what it overrode. When nobody is asked
(`--no-input`, batch), what the note leaves open is what an unprompted coder concludes from a
note's silence: `not_documented` where the question offers it (raising the physician query),
else the note-reading rules' `when_silent` answer; the tree's own defaults come first.
"""

from __future__ import annotations

from collections.abc import Mapping

from backcoder.coding.coder import Coder
from backcoder.coding.records import Record, parse_record
from backcoder.coding.result import EncounterResult, Result
from backcoder.engine.answers import Answer, Source
from backcoder.engine.walk import Pending
from backcoder.errors import AnswerError
from backcoder.language.model import NOT_DOCUMENTED, RuleSet
from backcoder.notes.model import NotesFile
from backcoder.notes.reading import NoteReading
from backcoder.notes.vocabulary import RuleFileError


def note_record(rules: RuleSet, reading: NoteReading) -> Record:
    """The reading's answers, validated like any record's, each with source `note`."""
    try:
        return parse_record(rules, reading.record(), Source.note)
    except AnswerError as error:
        raise RuleFileError(
            f"the note-reading rules gave an answer the tree refuses ({error}): "
            "run `backcoder rules check`"
        ) from None


def settle_silence(coder: Coder, record: Record, notes: NotesFile) -> Record:
    """The record with an answer for each question its walks still need that nobody gave: the
    note's silence read as `not_documented` or the question's `when_silent` answer (source
    `note`, with no evidence). A question with neither stays open: coding it then fails with
    the usual missing-answer message naming the flag to pass."""
    if record.problems is None:
        return Record(_settled(coder, record.shared, record.shared, notes), None)
    shared = dict(record.shared)
    problems = []
    visit = set(coder.rules.visit)
    for own in record.problems:
        added = _settled(coder, {**shared, **own}, own, notes)
        shared.update({k: a for k, a in added.items() if k in visit and k not in own})
        problems.append({k: a for k, a in added.items() if k not in visit or k in own})
    return Record(shared, problems)


def _settled(
    coder: Coder, answers: Mapping[str, Answer], own: Mapping[str, Answer], notes: NotesFile
) -> dict[str, Answer]:
    """`own` with the answers silence gives to the questions the walk over `answers` needs."""
    settled = dict(own)
    walking = dict(answers)
    while True:
        outcome = coder.engine.run(walking, use_defaults=True)
        if not isinstance(outcome, Pending):
            return settled
        value = _silence(outcome, notes)
        if value is None:
            return settled
        answer = Answer((value,), Source.note)
        settled[outcome.question] = walking[outcome.question] = answer


def _silence(pending: Pending, notes: NotesFile) -> str | None:
    if NOT_DOCUMENTED in pending.allowed:
        return NOT_DOCUMENTED
    spec = notes.questions.get(pending.question)
    silent = spec.when_silent if spec is not None else None
    return silent.value if silent is not None and silent.value in pending.allowed else None


def with_findings(result: Result, reading: NoteReading) -> Result:
    """The result with the note's evidence, set-asides and conflicts; in an encounter, each
    problem's result also carries its own evidence and conflicts."""
    findings = reading.findings()
    if isinstance(result, EncounterResult):
        problems = tuple(
            problem._replace(note=findings.of_problem(number))
            for number, problem in enumerate(result.problems, 1)
        )
        return result._replace(problems=problems, note=findings)
    return result._replace(note=findings)
