"""One exception hierarchy whose message is what the user reads, and the exit statuses.

Every error a user can cause is a `BackcoderError`; the command layer maps it to its
`exit_status` in one place (`backcoder.cli`), so no command decides exit codes itself.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """The process exit statuses of the public contract (shared spec, "Exit status")."""

    OK = 0
    RECORD_ERRORS = 1  # batch: some lines carried an error; or the walker ran out of input
    BAD_INPUT = 2
    INTERRUPTED = 130
    TERMINATED = 143  # 128 + SIGTERM, as the shell reports a process ended by it


class BackcoderError(Exception):
    """A failure the user can act on; `str(error)` is the one line they read."""

    exit_status = ExitStatus.BAD_INPUT


class AnswerError(BackcoderError):
    """An answer names an unknown question or a value not among its choices."""


class MissingAnswer(BackcoderError):
    """A question the path needs was not answered and prompting is not allowed."""


class RuleFileError(BackcoderError):
    """A rule file cannot be read, parsed or validated."""


class AnswersFileError(BackcoderError):
    """An answers file cannot be read or parsed."""


class CodeLookupError(BackcoderError):
    """A code typed by the user is not an ICD-10-CM code."""


class EndOfInput(BackcoderError):
    """Standard input closed while the walker was waiting for an answer."""

    exit_status = ExitStatus.RECORD_ERRORS


class SameFileError(BackcoderError):
    """An output is the very file an input is read from: writing would destroy the input."""


class OutputError(BackcoderError):
    """An output cannot be written (a full disk, a closed pipe, a target that refuses).

    Exit 1 when the output is standard output or a file backcoder chose; 2 when the user
    named the file (`-o`, `--save`), since then the fix is in the command line."""

    def __init__(self, message: str, *, named: bool = False, reader_gone: bool = False) -> None:
        super().__init__(message)
        self.exit_status = ExitStatus.BAD_INPUT if named else ExitStatus.RECORD_ERRORS
        self.reader_gone = reader_gone
        """The target was a pipe whose reader stopped early (`| head`): for commands whose
        output is a report, not data, that ends the run quietly."""
