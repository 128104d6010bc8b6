"""Coding one record: answers from flags and files merged, the walk run, the result built.

Shared by `code` and `batch`, so both give the same result and the same messages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from backcoder.coding.result import build_result
from backcoder.engine.answers import Answer, Source, choices_text, parse_answers, parse_assignment
from backcoder.engine.walk import Engine, Finished, Pending
from backcoder.errors import MissingAnswer
from backcoder.files.bundle import RuleBundle, load_answers_file


class Coder:
    """A rule bundle ready to code records: the engine and tabular built once."""

    def __init__(self, bundle: RuleBundle) -> None:
        self.bundle = bundle
        self.rules = bundle.rules
        self.engine = Engine(bundle.rules)

    def gather(self, flags: Iterable[str], answers_file: Path | None) -> dict[str, Answer]:
        """Answers from a file, then from `-a` flags, which win."""
        answers: dict[str, Answer] = {}
        if answers_file is not None:
            answers.update(parse_answers(self.rules, load_answers_file(answers_file), Source.file))
        flagged = dict(parse_assignment(flag) for flag in flags)
        answers.update(parse_answers(self.rules, flagged, Source.flag))
        return answers

    def code(
        self, answers: Mapping[str, Answer], *, missing_hint: str = "pass -a {question}=VALUE"
    ) -> dict[str, Any]:
        """The result for an answer set (defaults fill the rest), or MissingAnswer."""
        return self.result(answers, self.finish(answers, missing_hint=missing_hint))

    def finish(self, answers: Mapping[str, Answer], *, missing_hint: str) -> Finished:
        """The finished walk for an answer set (defaults fill the rest), or MissingAnswer."""
        outcome = self.engine.run(answers, use_defaults=True)
        if isinstance(outcome, Pending):
            raise self.missing(outcome, missing_hint)
        return outcome

    def result(self, answers: Mapping[str, Answer], finished: Finished) -> dict[str, Any]:
        return build_result(
            self.engine, self.bundle.tabular, answers, finished, self.bundle.knowledge
        )

    def missing(self, pending: Pending, hint: str) -> MissingAnswer:
        question = self.rules.questions[pending.question]
        return MissingAnswer(
            f"missing answer for {pending.question} ({question.text.rstrip(':')}): "
            f"{choices_text(pending.question, question, pending.allowed)}; "
            + hint.format(question=pending.question)
        )
