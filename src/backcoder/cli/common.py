"""What every command shares: the environment, the `--rules` option, and the one place
where errors become exit statuses."""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ParamSpec, TypeVar

import typer

from backcoder.cli._click import get_current_context
from backcoder.cli.env import Environment
from backcoder.errors import BackcoderError, ExitStatus

P = ParamSpec("P")
R = TypeVar("R")

RulesOption = Annotated[
    Path | None,
    typer.Option(
        "--rules",
        help="Rule file to use instead of the shipped back-pain rules.",
        dir_okay=False,
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")]


class Format(StrEnum):
    """What a command writes on standard output: text for people, JSON or HL7 FHIR R4."""

    text = "text"
    json = "json"
    fhir = "fhir"


FormatOption = Annotated[
    Format | None,
    typer.Option(
        "--format",
        help="text, json (the same as --json) or fhir (needs backcoder[fhir]).",
        show_default=False,
    ),
]


def output_format(chosen: Format | None, json_flag: bool) -> Format:
    """The format asked for; `--json` is short for `--format json` and cannot contradict it."""
    if json_flag and chosen not in (None, Format.json):
        raise BackcoderError(f"--json and --format {chosen.value} contradict: give one of them")
    return Format.json if json_flag else chosen or Format.text


def environment() -> Environment:
    """The environment a test handed in as the context object, or the process's own."""
    context = get_current_context(silent=True)
    if context is not None and isinstance(context.obj, Environment):
        return context.obj
    return Environment.from_process()


def exits_cleanly(command: Callable[P, R]) -> Callable[P, R]:
    """Maps errors to exit statuses: one line on stderr, never a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        env = environment()
        try:
            return command(*args, **kwargs)
        except BackcoderError as exc:
            env.error(str(exc))
            raise typer.Exit(int(exc.exit_status)) from None
        except KeyboardInterrupt:
            env.stderr.write("\n")
            env.error("interrupted")
            raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None
        except BrokenPipeError:
            raise typer.Exit(int(ExitStatus.OK)) from None

    return run
