"""`backcoder batch`: code a file of JSON lines, one result line per input line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from backcoder.cli.common import RulesOption, environment, exits_cleanly, plural
from backcoder.cli.env import Environment
from backcoder.errors import BackcoderError, ExitStatus
from backcoder.files.reading import open_binary

if TYPE_CHECKING:
    from backcoder.files.batch import BatchCounts

STDIN = "-"
WRITE_EVERY = 64  # lines per write: few system calls, small buffers, output still streams


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
    output_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            metavar="jsonl|csv",
            help="Results as JSON lines or CSV (default: CSV for a .csv input or output).",
            show_default=False,
        ),
    ] = None,
    rules: RulesOption = None,
) -> None:
    """Code one JSON object of answers per line (or one CSV row under a header of question
    ids); one result per line or row, in order."""
    from backcoder.coding.coder import Coder
    from backcoder.files.batch import BatchCoder
    from backcoder.files.bundle import load_bundle

    env = environment()
    if output is not None and file != STDIN and output.resolve() == Path(file).resolve():
        raise BackcoderError(f"{output}: is the input too; write the results to another file")
    csv_in, csv_out = _formats(file, output, output_format)
    coder = BatchCoder(Coder(load_bundle(rules)))
    source = _open_input(file, env.stdin)
    sink = _open_output(output, env.stdout)
    if csv_in:
        from backcoder.files.csv_rows import CsvBatch, csv_rows, write_csv, write_json_lines

        rows = CsvBatch(coder)
        try:
            (write_csv if csv_out else write_json_lines)(rows, csv_rows(source), sink)
        finally:
            _close(source, sink, env, output)
        _summary(rows.counts, quiet, env)
        return
    try:
        progress = file != STDIN and env.stderr_isatty and not quiet
        lines = _with_progress(source, file, env) if progress else source
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
        _close(source, sink, env, output)
    _summary(coder.counts, quiet, env)


def _formats(file: str, output: Path | None, chosen: str | None) -> tuple[bool, bool]:
    """Whether input and output are CSV: a .csv name says so, or --format (standard input
    is CSV when the results are); CSV results need CSV input, whose header names the
    columns to carry."""
    if chosen not in (None, "jsonl", "csv"):
        raise BackcoderError(f"--format takes jsonl or csv, not {chosen!r}")
    csv_in = file.lower().endswith(".csv") or (file == STDIN and chosen == "csv")
    by_name = output.suffix.lower() == ".csv" if output is not None else csv_in
    csv_out = chosen == "csv" if chosen is not None else by_name
    if csv_out and not csv_in:
        raise BackcoderError(
            "CSV results need CSV input (a .csv file, or - with --format csv): "
            "JSON lines carry their own `_` keys, which one CSV header cannot name"
        )
    return csv_in, csv_out


def _close(source: IO[bytes], sink: IO[bytes], env: Environment, output: Path | None) -> None:
    if source is not getattr(env.stdin, "buffer", env.stdin):
        source.close()
    if output is not None:
        sink.close()
    else:
        sink.flush()


def _summary(counts: BatchCounts, quiet: bool, env: Environment) -> None:
    """The count on standard error (unless --quiet); status 1 when any record had an error."""
    if counts.errors:
        if not quiet:
            had = "had an error" if counts.errors == 1 else "had errors"
            lines = "line" if counts.lines == 1 else "lines"
            env.error(f"batch: {counts.errors} of {counts.lines} {lines} {had} (see `error`)")
        raise typer.Exit(int(ExitStatus.RECORD_ERRORS))
    if not quiet:
        print(f"backcoder: batch: {plural(counts.lines, 'line')} coded", file=env.stderr)


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
