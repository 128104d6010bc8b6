"""`backcoder audit`: check already-coded claims, one result line per claim."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated

import typer

from backcoder.cli.common import RulesOption, environment, exits_cleanly
from backcoder.errors import BackcoderError, ExitStatus
from backcoder.files.reading import open_binary

STDIN = "-"
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
    for target in (output, summary):
        if target is not None and file != STDIN and target.resolve() == Path(file).resolve():
            raise BackcoderError(f"{target}: is the input too; write to another file")
    kind = input_format or (InputFormat.csv if file.lower().endswith(".csv") else InputFormat.jsonl)
    stream = AuditStream(Auditor(rules))
    source = _open_input(file, env.stdin)
    sink = _open_output(output, env.stdout)
    try:
        lines = (
            stream.run_csv(text_lines(source)) if kind is InputFormat.csv else stream.run(source)
        )
        _write_lines(lines, sink, every=1 if file == STDIN and env.stdin_isatty else WRITE_EVERY)
    except UnicodeDecodeError:
        raise BackcoderError(f"{file}: the CSV is not UTF-8 text") from None
    finally:
        if source is not getattr(env.stdin, "buffer", env.stdin):
            source.close()
        if output is not None:
            sink.close()
        else:
            sink.flush()
    report = stream.summary
    env.error(report.line())
    if summary is not None:
        _write_summary(summary, report.as_json())
    if report.failed:
        raise typer.Exit(int(ExitStatus.RECORD_ERRORS))


def _write_lines(lines: Iterable[bytes], sink: IO[bytes], every: int) -> None:
    """Lines written in chunks: few system calls, and the output still streams."""
    chunk: list[bytes] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= every:
            sink.write(b"\n".join(chunk) + b"\n")
            chunk.clear()
    if chunk:
        sink.write(b"\n".join(chunk) + b"\n")


def _write_summary(path: Path, data: dict[str, object]) -> None:
    try:
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise BackcoderError(f"{path}: cannot be written ({exc.strerror})") from None


def _open_input(file: str, stdin: IO[str]) -> IO[bytes]:
    if file == STDIN:
        return getattr(stdin, "buffer", stdin)  # type: ignore[return-value]
    return open_binary(Path(file), BackcoderError)


def _open_output(output: Path | None, stdout: IO[str]) -> IO[bytes]:
    if output is None:
        stdout.flush()
        return stdout.buffer  # type: ignore[attr-defined,no-any-return]
    try:
        return open(output, "wb")  # noqa: SIM115  (closed by the caller)
    except OSError as exc:
        raise BackcoderError(f"{output}: cannot be written ({exc.strerror})") from None
