"""The audit beyond one machine: the same function over a partitioned dataset on Dask.

Recipe (README, "Auditing on Dask"): a folder of JSON Lines files (`*.jsonl`) or Parquet
files (`*.parquet`) in, a folder of result files (`part-00000.jsonl`, ...) out whose
concatenation, in name order, is line for line what `backcoder audit` writes for the input
files concatenated in name order::

    from dask.distributed import Client
    from backcoder.audit.dask import audit_folder

    with Client("tcp://scheduler:8786"):          # or a LocalCluster; none: threads
        audit_folder("claims/", "audited/")

Each partition is audited by `AuditStream.run` (JSON Lines, the very code the command runs)
or `AuditStream.line` (Parquet rows, read as the command reads CSV rows: the same
columns, dx1, dx2, ... or `codes`, refused as a CSV header is), with its first line number
counted beforehand, so line numbers are global. The auditor travels to the workers as the
rule file's path and is loaded once per worker process (`shared_auditor`).

Dask is an optional extra (`pip install 'backcoder[dask]'`), imported only here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from itertools import accumulate
from pathlib import Path
from typing import Any

from backcoder.audit.core import shared_auditor
from backcoder.audit.stream import _DX_COLUMN, AuditStream, _columns, _row_claim
from backcoder.errors import BackcoderError

BLOCK = 64 * 1024 * 1024
"""Bytes of JSON Lines per partition: large files are split at line ends."""


def _dask() -> Any:
    try:
        import dask
    except ImportError:
        raise BackcoderError(
            "auditing on Dask needs the dask extra: pip install 'backcoder[dask]'"
        ) from None
    return dask


def audit_folder(
    source: str | Path, target: str | Path, rules: Path | None = None, block: int = BLOCK
) -> int:
    """Audit every `*.jsonl` (or, when there are none, `*.parquet`) file of `source` on the
    current Dask scheduler; write the result parts to `target`; return how many parts."""
    folder = Path(source)
    jsonl = sorted(folder.glob("*.jsonl"))
    parquet = sorted(folder.glob("*.parquet"))
    if not jsonl and not parquet:
        raise BackcoderError(f"{folder}: no *.jsonl or *.parquet files to audit")
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    if jsonl:
        return _audit_jsonl(jsonl, out, rules, block)
    return _audit_parquet(folder, out, rules)


# ------------------------------------------------------------------ JSON Lines


def byte_ranges(path: Path, block: int) -> list[tuple[str, int, int]]:
    """(file, start, end) ranges of about `block` bytes, each ending at a line end."""
    size = path.stat().st_size
    if size == 0:
        return []
    starts = [0]
    with path.open("rb") as handle:
        for n in range(1, math.ceil(size / block)):
            handle.seek(max(n * block, starts[-1]))
            handle.readline()
            if handle.tell() >= size:
                break
            if handle.tell() > starts[-1]:
                starts.append(handle.tell())
    ends = [*starts[1:], size]
    return [(str(path), start, end) for start, end in zip(starts, ends, strict=True)]


def read_range(part: tuple[str, int, int]) -> list[bytes]:
    """The range's lines, split as the command splits them: at `\n` only (a `\r` inside a
    line is not a line end, or the line numbers would part from the command's)."""
    name, start, end = part
    with open(name, "rb") as handle:
        handle.seek(start)
        lines = handle.read(end - start).split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return lines


def count_lines(part: tuple[str, int, int]) -> int:
    return len(read_range(part))


def audit_range(
    part: tuple[str, int, int], first: int, target: str, number: int, rules: Path | None
) -> str:
    """Audit one range of lines numbered from `first`; write them to part `number`."""
    stream = AuditStream(shared_auditor(rules))
    return write_part(stream.run(read_range(part), first), target, number)


def _audit_jsonl(files: list[Path], out: Path, rules: Path | None, block: int) -> int:
    dask = _dask()
    from dask import delayed

    parts = [part for path in files for part in byte_ranges(path, block)]
    counts = dask.compute(*[delayed(count_lines)(part) for part in parts])
    firsts = [1, *(1 + total for total in accumulate(counts))][: len(parts)]
    tasks = [
        delayed(audit_range)(part, first, str(out), number, rules)
        for number, (part, first) in enumerate(zip(parts, firsts, strict=True))
    ]
    dask.compute(*tasks)
    return len(tasks)


# ------------------------------------------------------------------ Parquet


def claims_of(frame: Any) -> Iterator[tuple[dict[str, Any], str | None]]:
    """(claim, why it cannot be audited or None) per row of a pandas partition, read as
    the command reads a CSV row: columns dx1, dx2, ... in their number's order (missing or
    empty cells skipped) are the `codes`, an `answers` column of text holds a JSON object.
    List columns stay lists, dates become ISO text and missing values are left out, as the
    same claim would be written in JSON Lines."""
    columns = [str(name) for name in frame.columns]
    dx = [name for _, name in sorted(_dx_columns(columns))]
    for row in frame.itertuples(index=False, name=None):
        claim: dict[str, Any] = {}
        for name, value in zip(columns, row, strict=True):
            plain = _plain(value)
            if plain is not None:
                claim[name] = plain
        if dx:
            cells = [claim.pop(name, None) for name in dx]
            claim["codes"] = [
                cell.strip() if isinstance(cell, str) else cell
                for cell in cells
                if cell is not None and not (isinstance(cell, str) and not cell.strip())
            ]
        problem = None
        if isinstance(claim.get("answers"), str):
            parsed, problem = _row_claim({"dx": []}, ["answers"], [claim.pop("answers")])
            claim.update(parsed or {})
        yield claim, problem


def _dx_columns(columns: list[str]) -> Iterator[tuple[int, str]]:
    for name in columns:
        match = _DX_COLUMN.match(name)
        if match:
            yield int(match.group(1)), name


def _plain(value: Any) -> Any:
    from pandas import isna
    from pandas.api.types import is_scalar

    if value is None or (is_scalar(value) and isna(value)):  # None, NaN, NA, NaT
        return None
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        value = value.tolist()
    if hasattr(value, "date") and callable(value.date):  # pandas Timestamp, datetime
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def audit_frame(frame: Any, first: int, target: str, number: int, rules: Path | None) -> str:
    stream = AuditStream(shared_auditor(rules))
    lines = (
        stream.line(first + n, claim, problem)
        for n, (claim, problem) in enumerate(claims_of(frame))
    )
    return write_part(lines, target, number)


def _audit_parquet(folder: Path, out: Path, rules: Path | None) -> int:
    dask = _dask()
    import dask.dataframe as dd
    from dask import delayed

    dataset = dd.read_parquet(str(folder / "*.parquet"), columns=None)
    _columns([str(name) for name in dataset.columns])  # refused as a CSV header would be
    frames = dataset.to_delayed()
    counts = dask.compute(*[delayed(len)(frame) for frame in frames])
    firsts = [1, *(1 + total for total in accumulate(counts))][: len(frames)]
    tasks = [
        delayed(audit_frame)(frame, first, str(out), number, rules)
        for number, (frame, first) in enumerate(zip(frames, firsts, strict=True))
    ]
    dask.compute(*tasks)
    return len(tasks)


# ------------------------------------------------------------------ output


def write_part(lines: Iterable[bytes], target: str, number: int) -> str:
    """Result lines to `target/part-NNNNN.jsonl`, written by the worker that audited them."""
    path = Path(target) / f"part-{number:05d}.jsonl"
    with path.open("wb") as out:
        for line in lines:
            out.write(line + b"\n")
    return str(path)
