"""The `backcoder` command: thin commands over the pure core (see docs/design.md)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from backcoder import __version__
from backcoder.cli._click import ClickException, NoArgsIsHelpError, UsageError
from backcoder.errors import ExitStatus

app = typer.Typer(
    name="backcoder",
    help="Choose the right ICD-10-CM code for back pain, with the reason and source for each code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Example: backcoder code -a trauma=no -a region=lumbar",
)

# One example a command, shown under its --help (\b keeps click from re-flowing it).
EXAMPLES = {
    "code": "backcoder code --no-input --json -a trauma=no -a attribution=none "
    "-a nerve=none -a region=lumbar -a lumbar_cause=other -a pain_course=acute",
    "batch": "backcoder batch records.jsonl -o results.jsonl  (or records.csv -o results.csv)",
    "questions": "backcoder questions --json",
    "explain": "backcoder explain m5450",
    "compare": "backcoder compare M54.9 M54.6 M54.50",
    "template": "backcoder template M54.50",
}


def _example(name: str) -> str:
    return f"\b\nExample:\n  {EXAMPLES[name]}"


def _version(value: bool) -> None:
    if value:
        print(f"backcoder {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Choose the right ICD-10-CM code for back pain, with the reason and source for each code."""


from backcoder.cli import batch, code, codes, questions, rules  # noqa: E402  (commands register)

app.command("code", epilog=_example("code"))(code.code)
app.command("batch", epilog=_example("batch"))(batch.batch)
app.command("questions", epilog=_example("questions"))(questions.questions)
app.command("explain", epilog=_example("explain"))(codes.explain)
app.command("compare", epilog=_example("compare"))(codes.compare)
app.command("template", epilog=_example("template"))(codes.template)
app.add_typer(rules.app, name="rules")


def main() -> None:
    """Entry point: usage errors become one line and exit 2, like every other bad input."""
    command = typer.main.get_command(app)
    try:
        status = command.main(prog_name="backcoder", standalone_mode=False)
    except NoArgsIsHelpError as exc:  # bare `backcoder` (or `rules`): the help, and success
        print(exc.ctx.get_help() if exc.ctx else "", file=sys.stdout)
        sys.exit(ExitStatus.OK)
    except UsageError as exc:
        hint = f" (see {exc.ctx.command_path} --help)" if exc.ctx else ""
        print(f"backcoder: {exc.format_message()}{hint}", file=sys.stderr)
        sys.exit(ExitStatus.BAD_INPUT)
    except typer.Abort:
        print("\nbackcoder: interrupted", file=sys.stderr)
        sys.exit(ExitStatus.INTERRUPTED)
    except ClickException as exc:
        print(f"backcoder: {exc.format_message()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    _flush_or_quiet()
    sys.exit(status if isinstance(status, int) else 0)


def _flush_or_quiet() -> None:
    """A reader that stopped early (`| head`) is not an error: no message, status 0."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(ExitStatus.OK)
