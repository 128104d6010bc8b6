"""The environment a command runs in: its streams, whether they are terminals, colour.

Commands receive an `Environment` instead of reading `sys` and `os.environ` themselves, so
tests can hand them another one. Consoles are built per call from it, never at import, so
NO_COLOR and redirected output are honoured however the process was started.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cache
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@dataclass
class Environment:
    stdin: IO[str]
    stdout: IO[str]
    stderr: IO[str]
    stdin_isatty: bool
    stdout_isatty: bool
    stderr_isatty: bool
    no_color: bool

    @classmethod
    def from_process(cls) -> Environment:
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdin_isatty=_isatty(sys.stdin),
            stdout_isatty=_isatty(sys.stdout),
            stderr_isatty=_isatty(sys.stderr),
            no_color="NO_COLOR" in os.environ,
        )

    def console(self, *, stderr: bool = False) -> Console:
        """A rich console on stdout or stderr: styled only on a terminal without NO_COLOR."""
        stream, is_terminal = (
            (self.stderr, self.stderr_isatty) if stderr else (self.stdout, self.stdout_isatty)
        )
        return _console_class()(
            file=stream,
            force_terminal=is_terminal and not self.no_color,
            no_color=self.no_color or not is_terminal,
            color_system="auto" if is_terminal and not self.no_color else None,
            highlight=False,
            soft_wrap=not is_terminal,
            width=None if is_terminal else 100,
        )

    def error(self, message: str, *, newline_first: bool = False) -> None:
        """One plain line on stderr: what was wrong and what would be right. When standard
        error itself cannot be written, the exit status is all that is left to say it."""
        line = " ".join(message.split("\n"))  # one line, whatever a library's message held
        try:
            print(("\n" if newline_first else "") + f"backcoder: {line}", file=self.stderr)
            self.stderr.flush()
        except (OSError, ValueError, AttributeError):
            pass


@cache
def _console_class() -> type[Console]:
    """rich's Console, except that a reader who stops early (`| head`) ends the run quietly
    with status 0 instead of rich's status 1."""
    from rich.console import Console

    class QuietOnBrokenPipe(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(0)

    return QuietOnBrokenPipe
