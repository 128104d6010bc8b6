"""What every command shares: the environment, the `--rules` option, and the one place
where errors become exit statuses."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, ParamSpec, TypeVar

import typer

from backcoder.cli._click import ClickException, get_current_context
from backcoder.cli.env import Environment
from backcoder.errors import BackcoderError, ExitStatus
from backcoder.files.reading import open_binary
from backcoder.files.writing import STDOUT_NAME, Target, refuse_same_file, stream_fd

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


def plural(count: int, noun: str) -> str:
    """`1 problem`, `2 problems`: the count and its noun, agreeing."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


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


def rules_inputs(rules: Path | None) -> list[tuple[str, Target]]:
    """The files a command reads when it loads these rules: the rule file, its knowledge
    file and its built form."""
    from backcoder.files.bundle import source_files

    try:
        return [(str(path), path) for path in source_files(rules)]
    except BackcoderError:
        return []  # the loader says what is wrong, in its own words


def guard_outputs(
    inputs: Iterable[tuple[str, Target]],
    outputs: Iterable[tuple[str, Target]] = (),
    *,
    stdout: bool = True,
) -> None:
    """Refuse, before writing anything, an output that is the same file as an input;
    standard output counts as an output (`>> input` is caught too)."""
    written = list(outputs)
    descriptor = stream_fd(environment().stdout) if stdout else None
    if descriptor is not None:
        written.append((STDOUT_NAME, descriptor))
    refuse_same_file(inputs, written)


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
            env.error("interrupted", newline_first=env.stderr_isatty)
            raise typer.Exit(int(ExitStatus.INTERRUPTED)) from None
        except BrokenPipeError:
            raise typer.Exit(int(ExitStatus.OK)) from None
        except OSError as exc:  # every file is read and written through mapped errors:
            env.error(output_failure(exc))  # what is left is standard output failing
            raise typer.Exit(int(ExitStatus.RECORD_ERRORS)) from None
        except (typer.Exit, typer.Abort, ClickException):
            raise
        except Exception as exc:  # a fault of backcoder's own: still one line, not a trace
            env.error(internal_error(exc))
            raise typer.Exit(int(ExitStatus.RECORD_ERRORS)) from None

    return run


def output_failure(exc: OSError) -> str:
    reason = exc.strerror or type(exc).__name__
    if exc.filename:
        return f"{exc.filename}: {reason}"
    return f"{STDOUT_NAME}: cannot be written ({reason})"


def internal_error(exc: BaseException) -> str:
    return (
        f"internal error: {type(exc).__name__}: {exc}; please report it with the command "
        "that caused it"
    )


STDIN = "-"
"""The file name that reads standard input."""


def open_source(file: str, stdin: IO[str]) -> IO[bytes]:
    """The bytes of FILE, or of standard input for `-`; a file that cannot be opened is one
    line (BackcoderError)."""
    if file == STDIN:
        return getattr(stdin, "buffer", stdin)  # type: ignore[return-value]
    return open_binary(Path(file), BackcoderError)
