"""The static proof of a note-reading rule file against the tree it reads for.

Called by `rules check` through `backcoder.files.notes.check_notes_file` (one line per
problem, like the tree's own proof): every pattern names a real question and value; every
value a note can settle has patterns, and every other value is declared unsettled with a
reason; every question of the tree is read or declared not read; implications, preferences,
refinements and ConText type lists name real questions and values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from backcoder.notes.model import NOT_DOCUMENTED, NotesFile, QuestionPatterns


def notes_problems(notes: NotesFile, vocabulary: Mapping[str, Iterable[str]]) -> list[str]:
    """Each inconsistency between the note-reading rules and the tree's vocabulary, as
    `where: what` (empty when the file is sound)."""
    known = {question: frozenset(values) for question, values in vocabulary.items()}
    problems: list[str] = []
    for question in sorted(known):
        if question not in notes.questions and question not in notes.not_read:
            problems.append(f"questions: {question} is neither read nor declared under not_read")
    for question in notes.not_read:
        if question not in known:
            problems.append(f"not_read.{question}: not a question of the tree")
    for question, spec in notes.questions.items():
        if question not in known:
            problems.append(f"questions.{question}: not a question of the tree")
        else:
            problems.extend(_question_problems(question, spec, known))
    problems.extend(_follows_problems(notes))
    problems.extend(_context_problems(notes, known))
    return problems


def _follows_problems(notes: NotesFile) -> list[str]:
    """`follows` moves the values another question's patterns imply: it must name a read
    question that implies at least one value of this one, or it would move nothing."""
    problems = []
    for question, spec in notes.questions.items():
        if spec.follows is None or spec.follows not in notes.questions:
            if spec.follows is not None:
                problems.append(f"questions.{question}.follows: {spec.follows!r} is not read")
            continue
        if not implied_values(notes, spec.follows, question):
            problems.append(
                f"questions.{question}.follows: no pattern of {spec.follows} implies {question}"
            )
    return problems


def implied_values(notes: NotesFile, source: str, question: str) -> frozenset[str]:
    """The values of `question` that the patterns of `source` imply (injury: trauma=yes)."""
    return frozenset(
        pattern.implies[question]
        for patterns in notes.questions[source].values.values()
        for pattern in patterns
        if question in pattern.implies
    )


def _question_problems(
    question: str, spec: QuestionPatterns, known: Mapping[str, frozenset[str]]
) -> list[str]:
    where = f"questions.{question}"
    values = known[question]
    problems = [
        f"{where}: {value!r} is not a value of {question}"
        for value in [*spec.values, *spec.unsettled]
        if value not in values
    ]
    problems += [
        f"{where}: {value!r} has no patterns and is not declared unsettled"
        for value in sorted(values - {NOT_DOCUMENTED})
        if value not in spec.values and value not in spec.unsettled
    ]
    silent = spec.when_silent
    if silent is not None and silent.value not in values:
        problems.append(f"{where}.when_silent: {silent.value!r} is not a value of {question}")
    if spec.follows is not None and spec.follows not in known:
        problems.append(f"{where}.follows: {spec.follows!r} is not a question of the tree")
    problems += [
        f"{where}.prefer: {value!r} is not a value read here"
        for value in spec.prefer
        if value not in spec.values
    ]
    problems += [
        f"{where}.refines: {value!r} is not a value of {question}"
        for finer, coarser in spec.refines.items()
        for value in [finer, *coarser]
        if value not in values
    ]
    for value, patterns in spec.values.items():
        for number, pattern in enumerate(patterns, start=1):
            at = f"{where}.values.{value}[{number}]"
            for other, implied in pattern.implies.items():
                problems += _answer_problems(f"{at}.implies", other, [implied], known)
            for other, listed in pattern.unless.items():
                problems += _answer_problems(f"{at}.unless", other, listed, known)
    return problems


def _context_problems(notes: NotesFile, known: Mapping[str, frozenset[str]]) -> list[str]:
    problems = [
        f"context.excluded_types.{category}: {question!r} is not a question of the tree"
        for category, questions in notes.context.excluded_types.items()
        for question in questions
        if question not in known
    ]
    for number, rule in enumerate(notes.context.add, start=1):
        for question in [*(rule.allowed_types or []), *(rule.excluded_types or [])]:
            if question not in known:
                problems.append(f"context.add[{number}]: {question!r} is not a question")
    return problems


def _answer_problems(
    where: str, question: str, values: Iterable[str], known: Mapping[str, frozenset[str]]
) -> list[str]:
    if question not in known:
        return [f"{where}: {question!r} is not a question of the tree"]
    return [
        f"{where}: {value!r} is not a value of {question}"
        for value in values
        if value not in known[question]
    ]
