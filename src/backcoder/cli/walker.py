"""The interactive walker: asks what the path still needs, one question at a time.

The engine decides what to ask; this module only shows the question, reads a line and
turns it into an answer. Typed answers go through the same validation as flags, so a
value is accepted or refused with the same words wherever it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from backcoder.cli.env import Environment
from backcoder.coding.coder import Coder
from backcoder.coding.records import Record
from backcoder.coding.result import Result
from backcoder.engine.answers import Answer, Source, check_combination, lookalike
from backcoder.engine.walk import Pending
from backcoder.errors import AnswerError, EndOfInput
from backcoder.language.model import Question

BACK = "<"
HELP = "?"
BACK_WORDS = (BACK, "b", "back")
HELP_WORDS = (HELP, "help")
"""Command keys. Choices are resolved first, so a word that names a choice (`b` is the
prefix of `bilateral` at `side`) always means that choice; `<` and `?` are never one."""


@dataclass(frozen=True)
class Back:
    """The user asked to return to the previous question."""


@dataclass(frozen=True)
class ShowHelp:
    """The user asked for the question's help."""


Reply = Back | ShowHelp | tuple[str, ...]


def interpret(
    text: str,
    question_id: str,
    question: Question,
    allowed: tuple[str, ...],
    default: tuple[str, ...] | None = None,
) -> Reply:
    """A typed line as a reply: choices by number, id or unambiguous prefix first, then the
    command keys; an empty line takes the default when there is one."""
    text = text.strip()
    if not text:
        if default:
            return default
        raise AnswerError(f"type a number from 1 to {len(allowed)} or a choice id (? for help)")
    if text.lower() not in BACK_WORDS + HELP_WORDS or _names_a_choice(text, allowed):
        words = [word.strip() for word in text.split(",") if word.strip()]
        values = tuple(dict.fromkeys(_choose(word, question_id, allowed) for word in words))
        check_combination(question_id, question, values)
        return values
    return Back() if text.lower() in BACK_WORDS else ShowHelp()


def _names_a_choice(text: str, allowed: tuple[str, ...]) -> bool:
    wanted = text.lower()
    return any(value.lower().startswith(wanted) for value in allowed)


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
    confusable = lookalike(word, allowed)
    if confusable:
        raise AnswerError(confusable)
    raise AnswerError(f"{question_id}: {word!r} is not one of {', '.join(allowed)}")


ANOTHER = "another problem"


class _Steps:
    """What the walk has gathered: shared answers, each problem's own, and every step in
    the order taken, so going back can undo them one by one; an answer undone is kept as
    the default for when its question comes again."""

    def __init__(self, shared: dict[str, Answer], problems: list[dict[str, Answer]]) -> None:
        self.shared = shared
        self.problems = problems
        self.steps: list[tuple[int, str]] = []
        self.shared_prompted: set[str] = set()
        self.undone: dict[tuple[int, str], tuple[str, ...]] = {}

    def answer(
        self, problem: int, question: str, values: tuple[str, ...], visit: list[str]
    ) -> None:
        """A typed answer: a visit question's is shared (kept for the next problems)."""
        answer = Answer(values, Source.prompt)
        if question in visit and problem == 0:
            self.shared[question] = answer
            self.shared_prompted.add(question)
        else:
            self.problems[problem][question] = answer
        self.steps.append((problem, question))

    def default(self, problem: int, pending: Pending) -> tuple[str, ...] | None:
        """What Enter takes: the answer given before going back, else the tree's default."""
        earlier = self.undone.get((problem, pending.question))
        if earlier and set(earlier) <= set(pending.allowed):
            return earlier
        return pending.default


def _plain(text: str) -> str:
    """`text` shown as written inside the prompts' markup: what the user typed (quoted back
    in a refusal) and a rule file's wording may hold square brackets, which rich would
    otherwise take for style tags, swallowing them or failing on a stray `[/]`."""
    from rich.markup import escape

    return escape(text)


class Walker:
    """Prompts on stderr and reads stdin until the engine finishes the walk."""

    def __init__(self, coder: Coder, env: Environment) -> None:
        self.coder = coder
        self.env = env
        self.console = env.console(stderr=True)

    def run(self, record: Record) -> Result:
        """Walk each problem of the record, then ask whether the visit documents another;
        going back undoes a step at a time, across problems too."""
        walk = _Steps(dict(record.shared), [dict(p) for p in record.problems or [{}]])
        given = len(walk.problems)
        current = 0
        while True:
            answers = {**walk.shared, **walk.problems[current]}
            try:
                outcome = self.coder.engine.run(answers, use_defaults=False)
            except AnswerError as refused:
                if not walk.steps or walk.steps[-1][1] == ANOTHER:
                    raise  # the flags or the answers file alone cannot stand together
                # the answer just typed: ask again
                self.console.print(f"[red]{_plain(str(refused))}[/]")
                current = self._go_back(walk, current)
                continue
            if isinstance(outcome, Pending):
                default = walk.default(current, outcome)
                problem = current + 1 if len(walk.problems) > 1 else None
                reply = self._ask(outcome, default, problem)
                if isinstance(reply, Back):
                    current = self._go_back(walk, current)
                else:
                    walk.answer(current, outcome.question, reply, self.coder.rules.visit)
                continue
            if current + 1 < len(walk.problems):
                current += 1
                continue
            again = walk.undone.get((current, ANOTHER)) == ("yes",)
            another = self._another_problem(current + 1, again) if current + 1 >= given else False
            if isinstance(another, Back):
                current = self._go_back(walk, current)
                continue
            if another:
                walk.problems.append({})
                walk.steps.append((current, ANOTHER))
                current += 1
                continue
            return self._result(walk, record)

    def _result(self, walk: _Steps, record: Record) -> Result:
        if len(walk.problems) == 1 and record.problems is None:
            return self.coder.code({**walk.shared, **walk.problems[0]})
        return self.coder.code_record(Record(walk.shared, walk.problems))

    def _go_back(self, walk: _Steps, current: int) -> int:
        """Undo the last step; returns the problem to walk on."""
        if not walk.steps:
            self.console.print("[yellow]Nothing to go back to: this is the first question.[/]")
            return current
        problem, question = walk.steps.pop()
        if question == ANOTHER:  # back to "another problem?" after the previous problem
            walk.problems.pop()
            walk.undone[(problem, ANOTHER)] = ("yes",)  # Enter keeps it, as for any answer
            return problem
        target = walk.shared if question in walk.shared_prompted else walk.problems[problem]
        walk.shared_prompted.discard(question)
        walk.undone[(problem, question)] = target.pop(question).values
        return problem

    def _another_problem(self, coded: int, again: bool = False) -> bool | Back:
        """After the last problem: does the visit document another? Enter says no, unless
        the user came back here from the next problem: then Enter keeps that yes."""
        self.console.print()
        self.console.print(
            f"[bold]Problem {coded} is coded.[/] Does the visit document another back problem?"
        )
        choices = "Y / n" if again else "y / N"
        while True:
            self.console.print(f"[bold]>[/] [dim]({choices}; {BACK} back)[/] ", end="")
            self.env.stderr.flush()
            line = self.env.stdin.readline()
            if not line:
                self.env.stderr.write("\n")
                raise EndOfInput("input ended while waiting for an answer to another problem")
            text = line.strip().lower()
            if text == "":
                return again
            if text in ("n", "no"):
                return False
            if text in ("y", "yes"):
                return True
            if text in BACK_WORDS:
                return Back()
            self.console.print("[red]type y for another problem, n or Enter for none[/]")

    def _ask(
        self, pending: Pending, default: tuple[str, ...] | None, problem: int | None = None
    ) -> Back | tuple[str, ...]:
        question = self.coder.rules.questions[pending.question]
        self._show(pending, question, default, problem)
        while True:
            line = self._read_line(pending.question, question.multiple, default)
            try:
                reply = interpret(line, pending.question, question, pending.allowed, default)
            except AnswerError as exc:
                self.console.print(f"[red]{_plain(str(exc))}[/]")  # it quotes what was typed
                continue
            if isinstance(reply, ShowHelp):
                self._show_help(pending, question)
                continue
            return reply

    def _show(
        self,
        pending: Pending,
        question: Question,
        default: tuple[str, ...] | None,
        problem: int | None = None,
    ) -> None:
        """The header, then one row a choice (number, label, id), labels wrapping in their
        own column; a multi-select question marks what is selected, which Enter keeps."""
        from rich.table import Table

        console = self.console
        console.print()
        where = f"Problem {problem}, q" if problem else "Q"
        console.print(
            f"[dim]{where}uestion {pending.number} of at most {pending.at_most}[/]  "
            f"[dim]({pending.question})[/]"
        )
        console.print(f"[bold]{_plain(question.text)}[/]")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", no_wrap=True)
        if question.multiple:
            grid.add_column(no_wrap=True)
        grid.add_column()
        grid.add_column(no_wrap=True, style="dim")
        for number, value in enumerate(pending.allowed, start=1):
            label = question.choices[value].label
            mark = (
                ["\\[x]" if default and value in default else "\\[ ]"] if question.multiple else []
            )
            grid.add_row(f" [cyan]{number})[/]", *mark, _plain(label), value)
        console.print(grid)
        if question.multiple:
            selected = ", ".join(default) if default else "nothing"
            console.print(f"  [dim]Selected: {selected}[/]")

    def _show_help(self, pending: Pending, question: Question) -> None:
        help_text = _plain(question.help or "No further help.")
        self.console.print(f"[bold]{_plain(question.text)}[/] {help_text}")
        for value in pending.allowed:
            choice = question.choices[value]
            if choice.help:
                self.console.print(f"  [cyan]{value}[/]: {_plain(choice.help)}")

    def _read_line(self, question_id: str, multiple: bool, default: tuple[str, ...] | None) -> str:
        what = "numbers or ids, comma-separated" if multiple else "number or id"
        enter = f"; Enter: {','.join(default)}" if default else ""
        self.console.print(
            f"[bold]>[/] [dim]({what}{enter}; {HELP} help, {BACK} back)[/] ",
            end="",
        )
        self.env.stderr.flush()
        line = self.env.stdin.readline()
        if not line:
            self.env.stderr.write("\n")  # the terminal echoes no newline for Ctrl-D
            raise EndOfInput(f"input ended while waiting for an answer to {question_id}")
        return line
