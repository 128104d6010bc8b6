"""Records: one problem's answers, or a visit's shared answers with a `problems` list.

A record without `problems` is one problem, exactly as before encounters existed. With it,
top-level keys are shared by every problem that does not set the same key itself, and each
problem's errors name it (`problem 2: ...`). On the command line `-a ID=VALUE` sets a shared
answer and `-a N.ID=VALUE` one of problem N.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, NamedTuple

from backcoder.engine.answers import Answer, AnswerLayers, Source, parse_answers
from backcoder.errors import AnswerError
from backcoder.language.model import RuleSet

PROBLEMS = "problems"
MAX_PROBLEMS = 100
"""The most back problems one record may hold. A visit documents a handful; the encounter's
assembly compares problems pairwise, so ten thousand of them (a line under 1 MiB) took
minutes and gigabytes instead of one clean refusal."""
_PROBLEM_KEY = re.compile(r"^(\d+)\.(.+)$")


class Record(NamedTuple):
    """Validated answers: `problems` is None for a one-problem record."""

    shared: dict[str, Answer]
    problems: list[dict[str, Answer]] | None


def raw_problems(raw: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The record's `problems`, checked for shape; None when it has none."""
    if PROBLEMS not in raw:
        return None
    problems = raw[PROBLEMS]
    if not isinstance(problems, list) or not problems:
        raise AnswerError(
            f"{PROBLEMS} is a list of answer objects, one per back problem "
            '(e.g. "problems": [{"region": "cervical"}, {"region": "lumbar"}])'
        )
    if len(problems) > MAX_PROBLEMS:
        raise AnswerError(too_many_problems(len(problems)))
    for number, problem in enumerate(problems, 1):
        if not isinstance(problem, dict):
            raise AnswerError(f"problem {number}: an object of answers, not {_kind(problem)}")
        if PROBLEMS in problem:
            raise AnswerError(f"problem {number}: a problem cannot hold problems of its own")
    return problems


AT_MOST = f"a record holds at most {MAX_PROBLEMS} problems, one per back problem of the visit"


def too_many_problems(count: int) -> str:
    return f"{PROBLEMS} lists {count:,}; {AT_MOST}"


def _kind(value: object) -> str:
    names = {list: "a list", str: "text", type(None): "null", bool: "true/false"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def parse_record(rules: RuleSet, raw: Mapping[str, Any], source: Source) -> Record:
    """A record's answers validated; a problem's bad answer names the problem."""
    problems = raw_problems(raw)
    shared = parse_answers(rules, {k: v for k, v in raw.items() if k != PROBLEMS}, source)
    if problems is None:
        return Record(shared, None)
    parsed = []
    for number, problem in enumerate(problems, 1):
        try:
            parsed.append(parse_answers(rules, problem, source))
        except AnswerError as exc:
            raise AnswerError(f"problem {number}: {exc}") from None
    return Record(shared, parsed)


def split_flags(
    assignments: Iterable[tuple[str, str]],
) -> tuple[dict[str, list[str]], dict[int, dict[str, list[str]]]]:
    """`-a ID=VALUE` pairs into the shared ones and those of problem N (`-a N.ID=VALUE`);
    an id given more than once keeps every value given, for `parse_repeatable` to judge."""
    shared: dict[str, list[str]] = {}
    problems: dict[int, dict[str, list[str]]] = {}
    for key, value in assignments:
        found = _PROBLEM_KEY.match(key)
        if found is None:
            shared.setdefault(key, []).append(value)
            continue
        number = int(found.group(1))
        if not found.group(1).isascii():  # `\d` and int() take any script's digits
            raise AnswerError(
                f"-a {key}=...: a problem's number is written in ASCII digits "
                f"(-a {number}.{found.group(2)}=...)"
            )
        if number < 1:
            raise AnswerError(
                f"-a {key}=...: problems are numbered from 1 (-a 1.{found.group(2)}=...)"
            )
        if number > MAX_PROBLEMS:
            raise AnswerError(f"-a {key}=...: {AT_MOST}")
        problems.setdefault(number, {}).setdefault(found.group(2), []).append(value)
    return shared, problems


def merge_records(
    file: Record | None,
    flags: Record,
    flagged: dict[int, dict[str, Answer]],
    note: Record | None = None,
    visit: Iterable[str] = (),
) -> Record:
    """A file's record under the flags': flags win at the same level (shared over shared,
    problem N over problem N); a problem's own answer wins over a shared one.

    A clinical note's record, when there is one, lies under both: whatever the user gives
    overrides what the note says (each overriding answer names the note's in `overrides`),
    a shared answer of the user's even over a problem's answer of the note's. A one-problem
    note under a user's problems is their problem 1, its `visit` answers shared."""
    base = file or Record({}, None)
    below = _as_problems(note, visit) if note is not None and (base.problems or flagged) else note
    below = below or Record({}, None)
    user_shared = (
        AnswerLayers().with_layer(Source.file, base.shared).with_layer(Source.flag, flags.shared)
    ).merged()
    shared = {**below.shared, **_over(user_shared, below.shared)}
    listed = max(len(base.problems or []), len(below.problems or []))
    count = max([listed, *flagged]) if flagged or listed else 0
    if count == 0:
        return Record(shared, None)
    problems = []
    for number in range(1, count + 1):
        if number > listed and number not in flagged:
            raise AnswerError(
                f"problem {number} has no answers of its own: give them as -a {number}.ID=VALUE "
                f"or under `{PROBLEMS}` in the answers file"
            )
        from_file = _nth(base.problems, number)
        own = AnswerLayers().with_layer(Source.file, from_file)
        user_own = own.with_layer(Source.flag, flagged.get(number, {})).merged()
        noted = _nth(below.problems, number)
        mine = {key: answer for key, answer in noted.items() if key not in user_shared}
        mine.update(_over({k: a for k, a in user_shared.items() if k in noted}, noted))
        mine.update(_over(user_own, {**below.shared, **noted}))
        problems.append(mine)
    return Record(shared, problems)


def _nth(problems: list[dict[str, Answer]] | None, number: int) -> dict[str, Answer]:
    return problems[number - 1] if problems and number <= len(problems) else {}


def _as_problems(note: Record, visit: Iterable[str]) -> Record:
    """A one-problem note as problem 1 of an encounter: its visit answers stay shared."""
    if note.problems is not None:
        return note
    shared_keys = set(visit)
    shared = {k: a for k, a in note.shared.items() if k in shared_keys}
    own = {k: a for k, a in note.shared.items() if k not in shared_keys}
    return Record(shared, [own])


def _over(answers: Mapping[str, Answer], below: Mapping[str, Answer]) -> dict[str, Answer]:
    """`answers`, each naming the different answer of `below` it overrides (unless it already
    names one nearer to it, a file's answer under a flag)."""
    merged = {}
    for key, answer in answers.items():
        under = below.get(key)
        if under is not None and answer.overrides is None and under.values != answer.values:
            answer = replace(answer, overrides=under)
        merged[key] = answer
    return merged


def set_answer(record: Record, problem: int | None, question: str, answer: Answer) -> Record:
    """The record with one answer changed (the walker's review of a note): a shared answer
    replaces the question's answers in every problem too; `problem` N only problem N's."""
    if problem is None or record.problems is None:
        if problem not in (None, 1):
            raise AnswerError(
                f"problem {problem}: the record has one problem; give {question}=VALUE"
            )
        old = {**record.shared, **(record.problems[0] if record.problems else {})}
        shared = {**record.shared, **_over({question: answer}, old)}
        if record.problems is None:
            return Record(shared, None)
        changed = [
            {**own, **_over({question: answer}, own)} if question in own else own
            for own in record.problems
        ]
        return Record(shared, changed)
    if not 1 <= problem <= len(record.problems):
        raise AnswerError(f"problem {problem}: the record has problems 1 to {len(record.problems)}")
    problems = [dict(own) for own in record.problems]
    below = {**record.shared, **problems[problem - 1]}
    problems[problem - 1].update(_over({question: answer}, below))
    return Record(dict(record.shared), problems)
