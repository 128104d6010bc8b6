"""Records: one problem's answers, or a visit's shared answers with a `problems` list.

A record without `problems` is one problem, exactly as before encounters existed. With it,
top-level keys are shared by every problem that does not set the same key itself, and each
problem's errors name it (`problem 2: ...`). On the command line `-a ID=VALUE` sets a shared
answer and `-a N.ID=VALUE` one of problem N.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from backcoder.engine.answers import Answer, AnswerLayers, Source, parse_answers
from backcoder.errors import AnswerError
from backcoder.language.model import RuleSet

PROBLEMS = "problems"
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
    for number, problem in enumerate(problems, 1):
        if not isinstance(problem, dict):
            raise AnswerError(f"problem {number}: an object of answers, not {_kind(problem)}")
        if PROBLEMS in problem:
            raise AnswerError(f"problem {number}: a problem cannot hold problems of its own")
    return problems


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
        if number < 1:
            raise AnswerError(
                f"-a {key}=...: problems are numbered from 1 (-a 1.{found.group(2)}=...)"
            )
        problems.setdefault(number, {}).setdefault(found.group(2), []).append(value)
    return shared, problems


def merge_records(
    file: Record | None, flags: Record, flagged: dict[int, dict[str, Answer]]
) -> Record:
    """A file's record under the flags': flags win at the same level (shared over shared,
    problem N over problem N); a problem's own answer wins over a shared one."""
    base = file or Record({}, None)
    shared = (
        AnswerLayers().with_layer(Source.file, base.shared).with_layer(Source.flag, flags.shared)
    )
    listed = len(base.problems or [])
    count = max([listed, *flagged]) if flagged or base.problems else 0
    if count == 0:
        return Record(shared.merged(), None)
    problems = []
    for number in range(1, count + 1):
        if number > listed and number not in flagged:
            raise AnswerError(
                f"problem {number} has no answers of its own: give them as -a {number}.ID=VALUE "
                f"or under `{PROBLEMS}` in the answers file"
            )
        from_file = base.problems[number - 1] if number <= listed else {}  # type: ignore[index]
        own = AnswerLayers().with_layer(Source.file, from_file)
        problems.append(own.with_layer(Source.flag, flagged.get(number, {})).merged())
    return Record(shared.merged(), problems)
