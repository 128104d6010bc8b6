"""The `backcoder` command: thin commands over the pure core (see docs/design.md)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from backcoder import __version__
from backcoder.cli._click import ClickException, UsageError
from backcoder.errors import ExitStatus

app = typer.Typer(
    name="backcoder",
    help="Choose the right ICD-10-CM code for back pain, with the reason and source for each code.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        print(f"backcoder {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Choose the right ICD-10-CM code for back pain, with the reason and source for each code."""


from backcoder.cli import audit, batch, code, codes, questions, rules  # noqa: E402  (commands register)

app.command("code")(code.code)
app.command("batch")(batch.batch)
app.command("audit")(audit.audit)
app.command("questions")(questions.questions)
app.command("explain")(codes.explain)
app.command("compare")(codes.compare)
app.command("template")(codes.template)
app.add_typer(rules.app, name="rules")


def main() -> None:
    """Entry point: usage errors become one line and exit 2, like every other bad input."""
    command = typer.main.get_command(app)
    try:
        status = command.main(prog_name="backcoder", standalone_mode=False)
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
