"""The `backcoder` command: thin commands over the pure core (see docs/design.md)."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import Annotated, Any, NoReturn

import typer

from backcoder import __version__
from backcoder.cli._click import ClickException, UsageError
from backcoder.cli.common import internal_error, output_failure
from backcoder.cli.env import Environment
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
    """Entry point: usage errors become one line and exit 2, like every other bad input;
    whatever else goes wrong is one line too, never a traceback."""
    _reserve_standard_streams()
    command = typer.main.get_command(app)
    try:
        status = command.main(prog_name="backcoder", standalone_mode=False)
    except UsageError as exc:
        hint = f" (see {exc.ctx.command_path} --help)" if exc.ctx else ""
        _finish(ExitStatus.BAD_INPUT, f"{exc.format_message()}{hint}")
    except (typer.Abort, KeyboardInterrupt):
        _finish(ExitStatus.INTERRUPTED, "interrupted", newline_first=True)
    except ClickException as exc:
        _finish(exc.exit_code, exc.format_message())
    except OSError as exc:
        _finish(ExitStatus.RECORD_ERRORS, output_failure(exc))
    except Exception as exc:
        _finish(ExitStatus.RECORD_ERRORS, internal_error(exc))
    _finish(status if isinstance(status, int) else 0)


def _finish(status: int, message: str | None = None, *, newline_first: bool = False) -> NoReturn:
    """Standard output flushed (a reader that stopped early, `| head`, is not an error: no
    message, status 0; a full disk or a closed descriptor is one line and status 1), then
    the message, then the exit: nothing is left for Python to fail on while it shuts down."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        status = ExitStatus.OK if message is None else status
    except (OSError, ValueError) as exc:
        _silence_stdout()
        if message is None and status == ExitStatus.OK and isinstance(exc, OSError):
            status, message = ExitStatus.RECORD_ERRORS, output_failure(exc)
    if message is not None:
        Environment.from_process().error(message, newline_first=newline_first)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (for the interpreter's last flush)
    sys.exit(status)


def _silence_stdout() -> None:
    """Whatever is still buffered for standard output goes nowhere, quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    with contextlib.suppress(OSError):
        os.dup2(devnull, 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (for the interpreter's last flush)


def _reserve_standard_streams() -> None:
    """A closed standard descriptor (`>&-`) is held by /dev/null, so no file opened later
    takes its number; a closed standard output then fails every write, so the user hears of
    it, instead of results going nowhere or into the wrong file."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            devnull = os.open(os.devnull, os.O_RDWR)
            if devnull != descriptor:
                os.dup2(devnull, descriptor)
                os.close(devnull)
    if sys.stdout is None:
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(_Closed()), encoding="utf-8")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115  (lives as long as the process)
    if sys.stdin is None:
        sys.stdin = open(os.devnull)  # noqa: SIM115  (lives as long as the process)


class _Closed(io.RawIOBase):
    """Standard output that was closed when backcoder started: every write fails."""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, "standard output is closed")
