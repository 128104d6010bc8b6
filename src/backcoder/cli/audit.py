"""`backcoder audit`: check already-coded claims, one result line per claim."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, NoReturn

import typer

from backcoder.cli.common import (
    STDIN,
    RulesOption,
    environment,
    exits_cleanly,
    guard_outputs,
    open_source,
    rules_inputs,
)
from backcoder.cli.stopping import Signals, Stop
from backcoder.errors import BackcoderError, ExitStatus, OutputError
from backcoder.files.reading import bounded_lines
from backcoder.files.writing import (
    LineSink,
    PartialFile,
    Target,
    open_line_sink,
    stream_fd,
    write_whole,
)

WRITE_EVERY = 256


class InputFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@exits_cleanly
def audit(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE|-", help="Claims: JSON lines or CSV; - reads standard input."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write results here.", dir_okay=False),
    ] = None,
    summary: Annotated[
        Path | None,
        typer.Option(
            "--summary", metavar="FILE", help="Write the summary here as JSON.", dir_okay=False
        ),
    ] = None,
    input_format: Annotated[
        InputFormat | None,
        typer.Option("--format", help="Input format (default: csv for a .csv file, else jsonl)."),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Check each claim's codes against the official releases and the coding rules."""
    from backcoder.audit.core import Auditor
    from backcoder.audit.stream import AuditStream, text_lines

    env = environment()
    source_name = "standard input" if file == STDIN else file
    _guard(file, source_name, output, summary, rules, env.stdin)
    kind = input_format or (InputFormat.csv if file.lower().endswith(".csv") else InputFormat.jsonl)
    stream = AuditStream(Auditor(rules))
    source = open_source(file, env.stdin)
    partial = PartialFile(output) if output is not None and PartialFile.suits(output) else None
    sink = open_line_sink(output, partial, env.stdout)
    every = 1 if file == STDIN and env.stdin_isatty else WRITE_EVERY  # typed lines: at once
    try:
        lines = (
            stream.run_csv(text_lines(source))
            if kind is InputFormat.csv
            else stream.run(bounded_lines(source))
        )
        if not _written(lines, sink, every, source_name, whole=partial is not None):
            return  # `| head`: the reader has what it wanted
        if partial is not None:
            partial.commit()
    finally:
        if source is not getattr(env.stdin, "buffer", env.stdin):
            source.close()
        if output is not None and partial is None:
            sink.stream.close()
        if partial is not None:
            partial.discard()  # whatever ended the run early: no stray temporary file
    report = stream.summary
    if summary is not None:  # first: a summary that cannot be written is the one line said
        write_whole(summary, json.dumps(report.as_json(), indent=2) + "\n", named=True)
    env.error(report.line())
    if report.failed:
        raise typer.Exit(int(ExitStatus.RECORD_ERRORS))


def _guard(
    file: str,
    source_name: str,
    output: Path | None,
    summary: Path | None,
    rules: Path | None,
    stdin: IO[str],
) -> None:
    """Before anything is written: no output is an input (by device and inode: a hard link,
    `>> claims.jsonl`), and the summary is not written over the results."""
    reading: Target | None = stream_fd(stdin) if file == STDIN else Path(file)
    inputs = [(source_name, reading)] if reading is not None else []
    writing: list[tuple[str, Target]] = [(str(p), p) for p in (output, summary) if p is not None]
    guard_outputs([*inputs, *rules_inputs(rules)], writing, stdout=output is None)
    if output and summary and os.path.realpath(output) == os.path.realpath(summary):
        raise BackcoderError(f"{summary}: is the output too; write the summary elsewhere")


def _written(
    lines: Iterable[bytes], sink: LineSink, every: int, source_name: str, *, whole: bool
) -> bool:
    """Lines written in chunks (few system calls, and the output still streams); False
    when standard output's reader went away, which ends a report quietly.

    SIGINT and SIGTERM stop the audit between writes, never inside one: the claims audited
    so far go out whole (unless the target is replaced `whole` only when the audit
    completes: then it keeps its old content), and the run ends with 130 or 143."""
    chunk: list[bytes] = []
    try:
        with Signals() as signals:
            try:
                for line in lines:
                    chunk.append(line)
                    if len(chunk) >= every:
                        signals.write(sink, chunk)
                if chunk:
                    signals.write(sink, chunk)
            except (Stop, KeyboardInterrupt) as stop:
                signals.writing = True  # a second signal now waits: the audited lines go out
                if chunk:
                    sink.write_lines(chunk)
                _interrupted(stop, sink, whole=whole)
    except UnicodeDecodeError:
        raise BackcoderError(f"{source_name}: the CSV is not UTF-8 text") from None
    except OutputError as exc:
        if exc.reader_gone and not sink.named:
            return False
        raise
    except OSError as exc:  # only reading raises it here: writing goes through the sink
        raise BackcoderError(f"{source_name}: cannot be read ({exc.strerror})") from None
    return True


def _interrupted(stop: BaseException, sink: LineSink, *, whole: bool) -> NoReturn:
    signum = stop.signum if isinstance(stop, Stop) else signal.SIGINT
    kept = f"{sink.name} left as it was" if whole else f"{sink.lines} claims written to {sink.name}"
    env = environment()
    # On a terminal the ^C it echoes ends no line: the message starts a line of its own.
    env.error(f"audit: interrupted; {kept}", newline_first=env.stderr_isatty)
    status = ExitStatus.TERMINATED if signum == signal.SIGTERM else ExitStatus.INTERRUPTED
    raise typer.Exit(int(status))
