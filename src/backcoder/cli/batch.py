"""`backcoder batch`: code a file of JSON lines, one result line per input line."""

from __future__ import annotations

import signal
from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from backcoder.cli.common import (
    STDIN,
    RulesOption,
    environment,
    exits_cleanly,
    guard_outputs,
    internal_error,
    open_source,
    plural,
    rules_inputs,
)
from backcoder.cli.env import Environment
from backcoder.cli.stopping import Signals, Stop
from backcoder.errors import BackcoderError, ExitStatus, OutputError
from backcoder.files.reading import bounded_lines
from backcoder.files.writing import (
    LineSink,
    PartialFile,
    Target,
    open_line_sink,
    stream_fd,
)

if TYPE_CHECKING:
    from backcoder.fhir.batch import FhirBatch
    from backcoder.files.batch import BatchCoder
    from backcoder.files.csv_rows import CsvBatch

WRITE_EVERY = 64  # lines per write: few system calls, small buffers, output still streams


class BatchFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    fhir = "fhir"


def _formats(
    file: str, output: Path | None, chosen: BatchFormat | None
) -> tuple[BatchFormat, bool]:
    """The results' format and whether the input is CSV: a .csv name says so, or --format
    csv (for standard input); CSV results need CSV input, whose header names the columns to
    carry, and FHIR Bundles are made from JSON lines."""
    csv_in = file.lower().endswith(".csv") or (file == STDIN and chosen is BatchFormat.csv)
    if chosen is None:
        by_name = output.suffix.lower() == ".csv" if output is not None else csv_in
        chosen = BatchFormat.csv if by_name else BatchFormat.jsonl
    if chosen is BatchFormat.csv and not csv_in:
        raise BackcoderError(
            "CSV results need CSV input (a .csv file, or - with --format csv): "
            "JSON lines carry their own `_` keys, which one CSV header cannot name"
        )
    if chosen is BatchFormat.fhir and csv_in:
        raise BackcoderError("--format fhir reads JSON lines, not CSV: use --format csv or jsonl")
    return chosen, csv_in


@exits_cleanly
def batch(
    file: Annotated[
        str,
        typer.Argument(
            metavar="FILE|-", help="JSON lines (or a .csv file) of answers; - reads standard input."
        ),
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
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bar and no summary line; the exit status tells."
        ),
    ] = False,
    form: Annotated[
        BatchFormat | None,
        typer.Option(
            "--format",
            help="jsonl: one JSON result per line; csv: one CSV row per record (the default "
            "for a .csv input or output); fhir: one FHIR Bundle per line "
            "(needs backcoder[fhir]).",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Code one JSON object of answers per line (or one CSV row under a header of question
    ids); one result per line or row, in order."""
    env = environment()
    source_name = "standard input" if file == STDIN else file
    reading: Target | None = stream_fd(env.stdin) if file == STDIN else Path(file)
    inputs = [(source_name, reading)] if reading is not None else []
    writing: list[tuple[str, Target]] = [(str(output), output)] if output is not None else []
    guard_outputs([*inputs, *rules_inputs(rules)], writing, stdout=output is None)
    form, csv_in = _formats(file, output, form)
    coder = _batch_coder(form, csv_in, rules)
    source = open_source(file, env.stdin)
    partial = PartialFile(output) if output is not None and PartialFile.suits(output) else None
    sink = open_line_sink(output, partial, env.stdout, json=form is not BatchFormat.csv)
    every = 1 if file == STDIN and env.stdin_isatty else WRITE_EVERY  # typed lines: at once
    try:
        try:
            with Signals() as signals:
                lines = _lines(source, file, env, quiet)
                _stream(coder, lines, sink, signals, every, source_name)
        except (Stop, KeyboardInterrupt, Exception) as stop:
            _stopped(stop, sink, partial, env)
        if partial is not None:
            partial.commit()
    finally:
        if source is not getattr(env.stdin, "buffer", env.stdin):
            source.close()
        if output is not None and partial is None:
            sink.stream.close()
        if partial is not None:
            partial.discard()  # whatever else ended the run: no stray temporary file
    _summary(coder.counts, form, quiet, env)


def _batch_coder(form: BatchFormat, csv_in: bool, rules: Path | None) -> Any:
    from backcoder.coding.coder import Coder
    from backcoder.files.batch import BatchCoder
    from backcoder.files.bundle import load_bundle

    coder: BatchCoder | FhirBatch | CsvBatch
    if csv_in:
        from backcoder.files.csv_rows import CsvBatch

        coder = CsvBatch(BatchCoder(Coder(load_bundle(rules))), form is BatchFormat.csv)
    elif form is BatchFormat.fhir:
        from backcoder.fhir.batch import FhirBatch

        coder = FhirBatch(Coder(load_bundle(rules)))
    else:
        coder = BatchCoder(Coder(load_bundle(rules)))
    return coder


def _summary(counts: Any, form: BatchFormat, quiet: bool, env: Environment) -> None:
    """The count on standard error (unless --quiet); status 1 when any record had an error."""
    if counts.errors:
        if not quiet:
            where = "OperationOutcome" if form is BatchFormat.fhir else "`error`"
            had = "had an error" if counts.errors == 1 else "had errors"
            lines = "line" if counts.lines == 1 else "lines"
            env.error(f"batch: {counts.errors} of {counts.lines} {lines} {had} (see {where})")
        raise typer.Exit(int(ExitStatus.RECORD_ERRORS))
    if not quiet:
        print(f"backcoder: batch: {plural(counts.lines, 'line')} coded", file=env.stderr)


def _stream(
    coder: Any, lines: Iterator[bytes], sink: LineSink, signals: Signals, every: int, name: str
) -> None:
    chunk: list[bytes] = []
    try:
        for line in coder.run(lines):
            chunk.append(line)
            if len(chunk) == every:
                signals.write(sink, chunk)
        if chunk:
            signals.write(sink, chunk)
    except OutputError:
        raise  # the sink failed: what reached it is counted
    except BaseException as exc:
        signals.writing = True  # a second signal now waits: the finished lines go out first
        if chunk:
            sink.write_lines(chunk)
        if isinstance(exc, OSError):  # only reading raises it here
            raise _InputFault(f"{name}: cannot be read ({exc.strerror})") from None
        raise
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()  # ends the progress bar before any message


class _InputFault(BackcoderError):
    """The input could not be read on (an I/O error, a device gone)."""


def _lines(source: IO[bytes], file: str, env: Environment, quiet: bool) -> Iterator[bytes]:
    """The input's lines, bounded in length, with a progress bar on a terminal (unless
    --quiet)."""
    lines = bounded_lines(source)
    progress = file != STDIN and env.stderr_isatty and not quiet
    return _with_progress(lines, file, env) if progress else lines


def _stopped(
    stop: BaseException, sink: LineSink, partial: PartialFile | None, env: Environment
) -> NoReturn:
    """What was finished stays, and the user learns how much and where to resume."""
    written = sink.lines
    if partial is not None:
        where = f"{partial.keep_partial()}" if written else None
        if where is None:
            partial.discard()
    else:
        where = sink.name
    kept = f"{written} lines written to {where}" if where else "no line written"
    resume = f"resume at input line {written + 1}"
    if isinstance(stop, Stop | KeyboardInterrupt):
        signum = stop.signum if isinstance(stop, Stop) else signal.SIGINT
        env.error(f"batch: interrupted; {kept}; {resume}", newline_first=env.stderr_isatty)
        status = ExitStatus.TERMINATED if signum == signal.SIGTERM else ExitStatus.INTERRUPTED
        raise typer.Exit(int(status))
    from backcoder.files.csv_rows import CsvHeaderError

    if isinstance(stop, CsvHeaderError):  # refused before any row: nothing to resume
        env.error(str(stop))
        raise typer.Exit(int(stop.exit_status))
    if isinstance(stop, BackcoderError):
        env.error(f"{stop}; {kept}; {resume}")
        raise typer.Exit(int(stop.exit_status))
    env.error(f"{internal_error(stop)}; {kept}; {resume}")
    raise typer.Exit(int(ExitStatus.RECORD_ERRORS))


def _with_progress(source: Iterable[bytes], file: str, env: Environment) -> Iterator[bytes]:
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
