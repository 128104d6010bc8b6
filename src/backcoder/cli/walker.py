"""The interactive walker: asks what the path still needs, one question at a time.

The engine decides what to ask; this module only shows the question, reads a line and
turns it into an answer. Typed answers go through the same validation as flags, so a
value is accepted or refused with the same words wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from backcoder.cli.env import Environment
from backcoder.coding.coder import Coder
from backcoder.coding.result import ProblemResult
from backcoder.engine.answers import Answer, Source, check_combination
from backcoder.engine.walk import Finished, Pending
from backcoder.errors import AnswerError, EndOfInput
from backcoder.language.model import Question

BACK = "b"
HELP = "?"


@dataclass(frozen=True)
class Back:
    """The user asked to return to the previous question."""


@dataclass(frozen=True)
class ShowHelp:
    """The user asked for the question's help."""


Reply = Back | ShowHelp | tuple[str, ...]


def interpret(text: str, question_id: str, question: Question, allowed: tuple[str, ...]) -> Reply:
    """A typed line as a reply: `b`, `?`, or choices by number, id or unambiguous prefix."""
    text = text.strip()
    if text.lower() in (BACK, "back"):
        return Back()
    if text == HELP or text.lower() == "help":
        return ShowHelp()
    words = [word.strip() for word in text.split(",") if word.strip()]
    if not words:
        raise AnswerError(f"type a number from 1 to {len(allowed)}, a choice id, ? or b")
    values = tuple(dict.fromkeys(_choose(word, question_id, allowed) for word in words))
    check_combination(question_id, question, values)
    return values


def _choose(word: str, question_id: str, allowed: tuple[str, ...]) -> str:
    if word.isdigit():
        number = int(word)
        if 1 <= number <= len(allowed):
            return allowed[number - 1]
        raise AnswerError(f"{word} is not a choice; type a number from 1 to {len(allowed)}")
    wanted = word.lower().replace(" ", "_")
    exact = [value for value in allowed if value.lower() == wanted]
    if exact:
        return exact[0]
    starting = [value for value in allowed if value.lower().startswith(wanted)]
    if len(starting) == 1:
        return starting[0]
    if starting:
        raise AnswerError(f"{word!r} could be {', '.join(starting)}; type more of it")
    raise AnswerError(f"{word!r} is not a choice for {question_id}; {', '.join(allowed)}")


class Walker:
    """Prompts on stderr and reads stdin until the engine finishes the walk."""

    def __init__(self, coder: Coder, env: Environment) -> None:
        self.coder = coder
        self.env = env
        self.console = env.console(stderr=True)

    def run(self, given: Mapping[str, Answer]) -> ProblemResult:
        answers = dict(given)
        prompted: list[str] = []
        while True:
            outcome = self.coder.engine.run(answers, use_defaults=False)
            if isinstance(outcome, Finished):
                return self.coder.result(answers, outcome)
            reply = self._ask(outcome)
            if isinstance(reply, Back):
                self._go_back(answers, prompted)
                continue
            answers[outcome.question] = Answer(reply, Source.prompt)
            prompted.append(outcome.question)

    def _go_back(self, answers: dict[str, Answer], prompted: list[str]) -> None:
        if not prompted:
            self.console.print("[yellow]Nothing to go back to: this is the first question.[/]")
            return
        del answers[prompted.pop()]

    def _ask(self, pending: Pending) -> Back | tuple[str, ...]:
        question = self.coder.rules.questions[pending.question]
        self._show(pending, question)
        while True:
            line = self._read_line(pending.question, question.multiple)
            try:
                reply = interpret(line, pending.question, question, pending.allowed)
            except AnswerError as exc:
                self.console.print(f"[red]{exc}[/]")
                continue
            if isinstance(reply, ShowHelp):
                self._show_help(pending, question)
                continue
            return reply

    def _show(self, pending: Pending, question: Question) -> None:
        console = self.console
        console.print()
        console.print(
            f"[dim]Question {pending.number} of at most {pending.at_most}[/]  "
            f"[bold]{question.text}[/]  [dim]({pending.question})[/]"
        )
        width = len(str(len(pending.allowed)))
        for number, value in enumerate(pending.allowed, start=1):
            label = question.choices[value].label
            console.print(f"  [cyan]{number:>{width}}[/]) {label}  [dim]{value}[/]")

    def _show_help(self, pending: Pending, question: Question) -> None:
        self.console.print(f"[bold]{question.text}[/] {question.help or 'No further help.'}")
        for value in pending.allowed:
            choice = question.choices[value]
            if choice.help:
                self.console.print(f"  [cyan]{value}[/]: {choice.help}")

    def _read_line(self, question_id: str, multiple: bool) -> str:
        several = ", several separated by commas" if multiple else ""
        self.console.print(f"[bold]>[/] [dim](number or id{several}; ? help, b back)[/] ", end="")
        self.env.stderr.flush()
        line = self.env.stdin.readline()
        if not line:
            self.env.stderr.write("\n")  # the terminal echoes no newline for Ctrl-D
            raise EndOfInput(f"input ended while waiting for an answer to {question_id}")
        return line
