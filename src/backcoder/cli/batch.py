"""`backcoder batch`: code a file of JSON lines, one result line per input line."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from backcoder.cli.common import RulesOption, environment, exits_cleanly
from backcoder.cli.env import Environment
from backcoder.errors import BackcoderError, ExitStatus
from backcoder.files.reading import open_binary

if TYPE_CHECKING:
    from backcoder.fhir.batch import FhirBatch
    from backcoder.files.batch import BatchCoder

STDIN = "-"
WRITE_EVERY = 64  # lines per write: few system calls, small buffers, output still streams


class BatchFormat(StrEnum):
    jsonl = "jsonl"
    fhir = "fhir"


@exits_cleanly
def batch(
    file: Annotated[
        str, typer.Argument(metavar="FILE|-", help="JSON lines of answers; - reads standard input.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write results here instead of standard output.",
            dir_okay=False,
        ),
    ] = None,
    form: Annotated[
        BatchFormat,
        typer.Option(
            "--format",
            help="jsonl: one JSON result per line; fhir: one FHIR Bundle per line "
            "(needs backcoder[fhir]).",
        ),
    ] = BatchFormat.jsonl,
    rules: RulesOption = None,
) -> None:
    """Code one JSON object of answers per line; one JSON result per line, in order."""
    from backcoder.coding.coder import Coder
    from backcoder.files.batch import BatchCoder
    from backcoder.files.bundle import load_bundle

    env = environment()
    if output is not None and file != STDIN and output.resolve() == Path(file).resolve():
        raise BackcoderError(f"{output}: is the input too; write the results to another file")
    coder: BatchCoder | FhirBatch
    if form is BatchFormat.fhir:
        from backcoder.fhir.batch import FhirBatch

        coder = FhirBatch(Coder(load_bundle(rules)))
    else:
        coder = BatchCoder(Coder(load_bundle(rules)))
    source = _open_input(file, env.stdin)
    sink = _open_output(output, env.stdout)
    try:
        lines = _with_progress(source, file, env) if file != STDIN and env.stderr_isatty else source
        every = 1 if file == STDIN and env.stdin_isatty else WRITE_EVERY  # typed lines: at once
        chunk: list[bytes] = []
        for line in coder.run(lines):
            chunk.append(line)
            if len(chunk) == every:
                sink.write(b"\n".join(chunk) + b"\n")
                chunk.clear()
        if chunk:
            sink.write(b"\n".join(chunk) + b"\n")
    finally:
        if source is not getattr(env.stdin, "buffer", env.stdin):
            source.close()
        if output is not None:
            sink.close()
        else:
            sink.flush()
    counts = coder.counts
    if counts.errors:
        where = "OperationOutcome" if form is BatchFormat.fhir else "`error`"
        env.error(f"batch: {counts.errors} of {counts.lines} lines had errors (see their {where})")
        raise typer.Exit(int(ExitStatus.RECORD_ERRORS))
    print(f"backcoder: batch: {counts.lines} lines coded", file=env.stderr)


def _open_input(file: str, stdin: IO[str]) -> IO[bytes]:
    if file == STDIN:
        return getattr(stdin, "buffer", stdin)  # type: ignore[return-value]
    return open_binary(Path(file), BackcoderError)


def _open_output(output: Path | None, stdout: IO[str]) -> IO[bytes]:
    """A binary sink: results are kept as UTF-8 bytes and written as they are."""
    if output is None:
        stdout.flush()
        return stdout.buffer  # type: ignore[attr-defined,no-any-return]
    try:
        return open(output, "wb")  # noqa: SIM115  (closed by the caller)
    except OSError as exc:
        raise BackcoderError(f"{output}: cannot be written ({exc.strerror})") from None


def _with_progress(source: IO[bytes], file: str, env: Environment) -> Iterator[bytes]:
    """Lines of `source`, with a progress bar by bytes on standard error."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    total = Path(file).stat().st_size
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=env.console(stderr=True), transient=True) as progress:
        task = progress.add_task("coding", total=total)
        done = 0
        for count, line in enumerate(source, start=1):
            done += len(line)
            if count % 1000 == 0:
                progress.update(task, completed=done)
            yield line
        progress.update(task, completed=total)
