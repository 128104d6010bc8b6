"""Turning raw answers (flags, files, batch lines, typed input) into validated answers.

One function validates an answer whatever its origin, so a value typed at the prompt, given
as `-a region=lumbar` or read from a batch line gets the same checks and the same message.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NamedTuple

from backcoder.errors import AnswerError
from backcoder.language.model import Question, RuleSet


class Source(StrEnum):
    """Where an answer came from; reported in the result's `path`."""

    flag = "flag"
    file = "file"
    note = "note"
    prompt = "prompt"
    batch = "batch"
    default = "default"


PRECEDENCE: tuple[Source, ...] = (
    Source.flag,
    Source.prompt,
    Source.file,
    Source.batch,
    Source.note,
    Source.default,
)
"""Which layer wins, highest first: what the user typed or flagged over an answers file (or
a batch line) over what a note says over a default."""


@dataclass(frozen=True, slots=True)
class Answer:
    values: tuple[str, ...]
    source: Source
    overrides: Answer | None = None
    """The different answer of a lower layer that this one set aside (a flag over a note)."""
    merged: tuple[tuple[str, ...], ...] | None = None
    """The answers this one joins, as each was given (`-a region=cervical -a region=lumbar`)."""

    @property
    def value(self) -> str:
        return self.values[0]

    def as_json(self) -> str | list[str]:
        return list(self.values) if len(self.values) != 1 else self.values[0]


Answers = Mapping[str, Answer]


class AnswerLayers(NamedTuple):
    """Answers kept by where they came from, merged by the declared precedence.

    Each source fills its own layer, so a new source (a note's answers with their quoted
    evidence) slots in without the engine or the batch cache knowing: they see only the
    merged answers."""

    layers: Mapping[Source, Mapping[str, Answer]] = {}

    def with_layer(self, source: Source, answers: Mapping[str, Answer]) -> AnswerLayers:
        merged = dict(self.layers)
        merged[source] = {**merged.get(source, {}), **answers}
        return AnswerLayers(merged)

    def merged(self) -> dict[str, Answer]:
        """For each question, the answer of the highest layer; where a lower layer said
        something else, the winner names it in `overrides`."""
        result: dict[str, Answer] = {}
        for source in reversed(PRECEDENCE):
            for question, answer in self.layers.get(source, {}).items():
                below = result.get(question)
                if below is not None and below.values != answer.values:
                    answer = replace(answer, overrides=below)
                result[question] = answer
        return result


def closest(word: str, candidates: Iterable[str]) -> list[str]:
    return difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)


# Letters of other scripts drawn like Latin ones (Cyrillic, Greek): a value pasted from a
# document can carry them, and the word then looks right and is refused.
LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһӏԛԝАВЕКМНОРСТХІЈЅαεικνορτυχΑΒΕΗΙΚΜΝΟΡΤΥΧ",
    "aeopcyxijsdhlqwABEKMHOPCTXIJSaeikvoptuxABEHIKMNOPTYX",
)


def lookalike(word: str, candidates: Iterable[str]) -> str | None:
    """Why `word` looks like one of `candidates` but is not: the first character that is a
    look-alike from another script (or a full-width form), named with its code point."""
    if word.isascii():
        return None
    folded = unicodedata.normalize("NFKC", word).translate(LOOKALIKES)
    wanted = folded.strip().lower().replace(" ", "_")
    match = next((c for c in candidates if c.lower() == wanted), None)
    if match is None:
        return None
    for character in word:
        if not character.isascii():
            plain = unicodedata.normalize("NFKC", character).translate(LOOKALIKES)
            return (
                f"{word!r} contains a non-ASCII look-alike of {plain!r} "
                f"(U+{ord(character):04X}): did you mean {match}?"
            )
    return None  # pragma: no cover - a non-ASCII word has a non-ASCII character


def _split(question_id: str, question: Question, raw: object, *, nested: bool = False) -> list[str]:
    if isinstance(raw, bool):  # true and false stand for yes and no where those are choices
        word = "yes" if raw else "no"
        if word not in question.choices:
            raise AnswerError(
                f"{question_id}: {str(raw).lower()} is not one of {', '.join(question.choices)}"
            )
        return [word]
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, list | tuple) and not nested:
        return [part for item in raw for part in _split(question_id, question, item, nested=True)]
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return [str(raw)]
    kind = "a list inside a list" if isinstance(raw, list | tuple) else _json_kind(raw)
    raise AnswerError(
        f"{question_id} takes text or a list of text, not {kind}; "
        f"{choices_text(question_id, question)}"
    )


def _json_kind(raw: object) -> str:
    names = {dict: "an object", type(None): "null"}
    return names.get(type(raw), type(raw).__name__)


def choices_text(question_id: str, question: Question, only: Iterable[str] | None = None) -> str:
    allowed = list(only) if only is not None else list(question.choices)
    return f"{question_id} takes {', '.join(allowed)}"


def resolve_value(question_id: str, question: Question, word: str) -> str:
    """The choice id `word` names, matching case-insensitively; spaces count as underscores."""
    if word in question.choices:
        return word
    wanted = word.strip().lower().replace(" ", "_")
    for choice in question.choices:
        if choice.lower() == wanted:
            return choice
    confusable = lookalike(word, question.choices)
    if confusable:
        raise AnswerError(f"{confusable} ({choices_text(question_id, question)})")
    hint = closest(wanted, question.choices)
    suggestion = f"; did you mean {' or '.join(hint)}?" if hint else ""
    raise AnswerError(
        f"{question_id}: {abridged(word)!r} is not one of {', '.join(question.choices)}{suggestion}"
    )


def abridged(word: str) -> str:
    """A word as an error line shows it: whole up to 40 characters, else its start and
    "...", so that a pasted blob still gives one readable line."""
    return word if len(word) <= 40 else word[:37] + "..."


def parse_answer(rules: RuleSet, question_id: str, raw: object, source: Source) -> Answer:
    question = question_for(rules, question_id)
    words = _split(question_id, question, raw)
    if not words:
        raise AnswerError(
            f"{question_id} has an empty answer; {choices_text(question_id, question)}"
        )
    values = tuple(dict.fromkeys(resolve_value(question_id, question, word) for word in words))
    check_combination(question_id, question, values)
    return Answer(values, source)


def check_combination(question_id: str, question: Question, values: tuple[str, ...]) -> None:
    """Several values only where the question allows them, and never with an exclusive one
    (none, not_documented): the same rule and words for flags, files, batch and prompt."""
    if len(values) < 2:
        return
    if not question.multiple:
        raise AnswerError(
            f"{question_id} takes one value, not {len(values)} ({','.join(values)}); "
            f"{choices_text(question_id, question)}"
        )
    for value in values:
        if question.choices[value].exclusive:
            raise AnswerError(f"{question_id}={value} cannot be combined with other values")


def question_for(rules: RuleSet, question_id: str) -> Question:
    try:
        return rules.questions[question_id]
    except KeyError:
        if question_id[:1] == "_":
            raise AnswerError(
                f"{abridged(question_id)!r} is not a question: keys beginning with _ (a record id) "
                "go at the top level of a record, which carries them into its result"
            ) from None
        confusable = lookalike(question_id, rules.questions)
        if confusable:
            raise AnswerError(f"unknown question id: {confusable}") from None
        hint = closest(question_id, rules.questions)
        suggestion = f"did you mean {' or '.join(hint)}? " if hint else ""
        raise AnswerError(
            f"unknown question id {abridged(question_id)!r}: {suggestion}"
            "`backcoder questions` lists them all"
        ) from None


def parse_answers(rules: RuleSet, raw: Mapping[str, object], source: Source) -> dict[str, Answer]:
    return {key: parse_answer(rules, key, value, source) for key, value in raw.items()}


def parse_repeatable(
    rules: RuleSet, raw: Mapping[str, list[str]], source: Source, given_as: str = "-a "
) -> dict[str, Answer]:
    """Answers that may each be given more than once (`-a` flags): a question that takes
    several values joins them, and the answer says so (`merged`); a question that takes one
    value refuses two different ones instead of keeping either silently."""
    parsed: dict[str, Answer] = {}
    for key, given in raw.items():
        answers = [parse_answer(rules, key, value, source) for value in given]
        distinct = list(dict.fromkeys(answer.values for answer in answers))
        if len(distinct) == 1:
            parsed[key] = answers[0]
            continue
        question = question_for(rules, key)
        if not question.multiple:
            shown = ", ".join(f"{given_as}{key}={value}" for value in given)
            raise AnswerError(
                f"{key} is given {len(given)} times ({shown}) and takes one value: keep one"
            )
        values = tuple(dict.fromkeys(value for answer in answers for value in answer.values))
        check_combination(key, question, values)
        parsed[key] = Answer(values, source, merged=tuple(distinct))
    return parsed


def parse_assignment(text: str) -> tuple[str, str]:
    """Split a `-a ID=VALUE` flag."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise AnswerError(f"-a takes ID=VALUE (e.g. -a trauma=no), not {text!r}")
    return key.strip(), value
