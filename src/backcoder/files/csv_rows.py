"""Batch coding of CSV: a header of question ids, one record a row, one result row out.

The guarantees of JSON Lines hold: rows out in the order of rows in, exactly one row out
per row in, a row that cannot be coded carries an `error` instead of codes, and input is
read and output written a row at a time with the csv module, so memory stays flat. Each
row is coded by the same `BatchCoder` as a JSON line (same validation, same caches).

A cell is an answer; an empty cell is no answer; several values of a multi-select
question are comma-separated inside the cell (`"cervical,lumbar"`). Columns whose name
begins with `_` are carried into the result row. A record with several problems does not
fit one flat row: a `problems` column or a `N.ID` column with a value makes that row an
error that names the column (JSON Lines carry such records).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from backcoder.errors import BackcoderError
from backcoder.files.batch import BatchCoder, BatchCounts
from backcoder.files.reading import MAX_BATCH_LINE

LINE, CODES, ERROR = "line", "codes", "error"
PROBLEM_COLUMN = re.compile(r"^(problems|\d+\..+)$")


class CsvHeaderError(BackcoderError):
    """The header row cannot name the columns: the whole input is refused (exit 2)."""


@dataclass
class CsvBatch:
    """Codes CSV rows, read from the batch's input lines, into output lines: CSV rows
    (the first is the header) or JSON result lines; `counts` as BatchCoder's, in rows."""

    coder: BatchCoder
    csv_out: bool = True
    counts: BatchCounts = field(default_factory=BatchCounts)
    header: list[str] = field(default_factory=list)

    def run(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        """One output line per record row, in order (and the header row, for CSV); `line`
        is the line of the file where the row begins (the header is line 1). A row the csv
        module cannot read, or one holding a line that is not UTF-8 or is over the line
        limit, is that row's error, and the batch goes on, as for a JSON line."""
        unreadable: dict[int, str] = {}  # line number -> why, for the row that holds it
        rows = csv.reader(_text_lines(lines, unreadable))
        try:
            first = next(rows, None)
        except csv.Error as exc:
            raise CsvHeaderError(f"CSV header: cannot be read ({exc})") from None
        if first is None:
            return
        if unreadable:
            raise CsvHeaderError(f"CSV header: line 1 is {unreadable[1]}")
        self.header = _checked_header(first)
        carried = [(i, name) for i, name in enumerate(self.header) if name.startswith("_")]
        if self.csv_out:
            yield _csv_line([LINE, *(name for _, name in carried), CODES, ERROR])
        while True:
            number = rows.line_num + 1  # the line where the row begins
            try:
                row = next(rows, None)
            except csv.Error as exc:
                row, problem = [], f"not a readable CSV row ({exc})"
            else:
                if row is None:
                    break
                problem = next(
                    (f"line {n} is {why}" for n, why in unreadable.items() if n <= rows.line_num),
                    None,
                )
            unreadable.clear()  # every line read so far belongs to this row or earlier
            kept = {name: row[i] if i < len(row) else "" for i, name in carried}
            if problem is None:
                result, ok = self._code_row(number, row, kept)
            else:
                result, ok = _error_line(number, kept, problem), False
            self.counts.lines += 1
            self.counts.errors += not ok
            yield self._as_csv(number, kept, result) if self.csv_out else result

    @staticmethod
    def _as_csv(number: int, kept: dict[str, str], result: bytes) -> bytes:
        data = json.loads(result)
        codes = ",".join(code["code"] for code in data.get("codes", ()))
        return _csv_line([str(number), *kept.values(), codes, data.get(ERROR, "")])

    def _code_row(self, number: int, row: list[str], kept: dict[str, str]) -> tuple[bytes, bool]:
        problem = self._row_problem(row)
        if problem is not None:
            return _error_line(number, kept, problem), False
        record: dict[str, str] = dict(kept)
        for name, cell in zip(self.header, row, strict=False):
            if cell.strip() and not name.startswith("_"):
                record[name] = cell
        return self.coder.code_line(number, json.dumps(record).encode())

    def _row_problem(self, row: list[str]) -> str | None:
        if not any(cell.strip() for cell in row):
            return "empty row: each row is a record of answers under the header's question ids"
        if len(row) > len(self.header):
            return (
                f"the row has {len(row)} cells but the header names {len(self.header)} "
                "columns: quote a cell that contains a comma"
            )
        for name, cell in zip(self.header, row, strict=False):
            if cell.strip() and PROBLEM_COLUMN.match(name):
                return (
                    f"column {name}: a record with several problems does not fit one CSV "
                    "row; give it as a JSON line with `problems`"
                )
        return None


def _text_lines(lines: Iterable[bytes], unreadable: dict[int, str]) -> Iterator[str]:
    """The input's lines as text for the csv module (which joins a quoted cell's lines). A
    line over the limit goes on as an empty line, one that is not UTF-8 with its bad bytes
    replaced; `unreadable` records why, so that the row holding it is refused."""
    for number, line in enumerate(lines, start=1):
        encoding = "utf-8-sig" if number == 1 else "utf-8"
        if len(line) > MAX_BATCH_LINE:
            unreadable[number] = f"longer than {MAX_BATCH_LINE:,} bytes, the most a row may be"
            yield "\n"
            continue
        try:
            text = line.decode(encoding)
        except UnicodeDecodeError:
            unreadable[number] = "not UTF-8 text"
            text = line.decode(encoding, errors="replace")
        yield text + "\n"


def _csv_line(cells: list[str]) -> bytes:
    """One row, without its line end. The csv module quotes a cell that holds any character
    of the line terminator: written with none, a carried cell's line break would go out bare
    and cut the row in two; so the row is written with CRLF, which is then taken off."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(cells)
    return out.getvalue().removesuffix("\r\n").encode()


def _checked_header(first: list[str]) -> list[str]:
    header = [name.strip() for name in first]
    if not header:  # a blank first line: every row would be refused for want of columns
        raise CsvHeaderError(
            "CSV header: the first row is empty; it names each column (a question id, or "
            "_name for a column carried into the results)"
        )
    if header and header[0].lstrip("\ufeff").startswith(("{", "[")):
        raise CsvHeaderError(
            "CSV header: the first row is JSON, not column names: JSON lines are read from "
            "a file not named .csv, or from standard input without --format csv"
        )
    for number, name in enumerate(header, start=1):
        if not name:
            raise CsvHeaderError(
                f"CSV header: column {number} has no name; the first row names each column "
                "(a question id, or _name for a column carried into the results)"
            )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise CsvHeaderError(f"CSV header: column {name} appears twice; name it once")
        seen.add(name)
    for name in (LINE, CODES, ERROR):
        if name in seen:
            raise CsvHeaderError(
                f"CSV header: {name} is a column of the results; rename it _{name} to carry it"
            )
    return header


def _error_line(number: int, kept: dict[str, str], message: str) -> bytes:
    return json.dumps({LINE: number, **kept, ERROR: message}).encode()
