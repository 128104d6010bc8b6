"""Auditing a stream of claims: one result line per claim, in input order, nothing dropped.

Claims repeat in shape: the same codes on dates of the same span (see `core`), with the same
answers. Each distinct shape is audited and encoded once, kept in a bounded cache, and a
line costs its JSON parse, a dict look-up and the join of its own `_` keys and date with the
shared body. Memory stays flat: the caches forget their oldest entries when full.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as quoted  # type: ignore[attr-defined]
from typing import IO, Any

from backcoder.audit.core import (
    ANSWERS,
    CLAIM_KEYS,
    CODES,
    DATE,
    NOTE,
    Auditor,
    ClaimError,
    Severity,
    check_keys,
    read_codes,
    read_date,
)
from backcoder.errors import BackcoderError
from backcoder.files.reading import (
    MAX_BATCH_LINE,
    MAX_DEPTH,
    DuplicateKey,
    carried_despite_duplicates,
    json_kind,
    refuse_duplicates,
    too_deep,
)

CACHE_SIZE = 16384
UTF8_BOM = b"\xef\xbb\xbf"
_DX_COLUMN = re.compile(r"^dx(\d+)$", re.IGNORECASE)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_strict_json = json.JSONDecoder(
    parse_constant=_refuse_constant, object_pairs_hook=refuse_duplicates
).decode
"""json.loads refusing NaN and Infinity, and a key given twice in one object (which
json.loads resolves silently to the last: `codes` twice would audit half the claim)."""


Tally = tuple[bool, tuple[tuple[str, str], ...]]
"""A claim's part of the summary: whether it has an error, and its (rule, severity) pairs."""


@dataclass
class Summary:
    """What the audit found, over all claims: the summary on standard error and in
    `--summary FILE`. Claims are tallied by what they found, so a claim costs one count."""

    tally: Counter[Tally] = field(default_factory=Counter)
    unreadable: int = 0

    @property
    def claims(self) -> int:
        return self.unreadable + sum(self.tally.values())

    @property
    def claims_with_errors(self) -> int:
        return sum(count for (error, _), count in self.tally.items() if error)

    def counts(self, part: int) -> Counter[str]:
        found: Counter[str] = Counter()
        for (_, pairs), count in self.tally.items():
            for pair in pairs:
                found[pair[part]] += count
        return found

    def as_json(self) -> dict[str, Any]:
        severities = self.counts(1)
        return {
            "claims": self.claims,
            "claims_with_errors": self.claims_with_errors,
            "lines_with_error": self.unreadable,
            "by_rule": dict(sorted(self.counts(0).items())),
            "by_severity": {s.value: severities[s.value] for s in Severity},
        }

    def line(self) -> str:
        by_rule = sorted(self.counts(0).items())
        rules = ", ".join(f"{rule} {count}" for rule, count in by_rule)
        text = (
            f"audit: {self.claims} claims, {self.claims_with_errors} with errors, "
            f"{self.unreadable} lines with `error`"
        )
        return text + (f"; findings by rule: {rules}" if rules else "; no findings")

    @property
    def failed(self) -> bool:
        return bool(self.unreadable or self.claims_with_errors)


class BoundedCache(dict[Any, Any]):
    """A dict that forgets its oldest entry when full."""

    def remember(self, key: Any, value: Any) -> Any:
        if len(self) >= CACHE_SIZE:
            del self[next(iter(self))]
        self[key] = value
        return value


class AuditStream:
    """An auditor over lines: JSON Lines (`run`) or CSV rows (`run_csv`)."""

    def __init__(self, auditor: Auditor) -> None:
        self.auditor = auditor
        self.summary = Summary()
        self._bodies = BoundedCache()
        self._spans = BoundedCache()
        self._rests = BoundedCache()
        self._tally = self.summary.tally

    def run(self, lines: Iterable[bytes], first: int = 1) -> Iterator[bytes]:
        """One output line (UTF-8, no newline) per JSON line; `first` numbers the first."""
        fast = self._fast
        for number, raw in enumerate(lines, start=first):
            if number == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            try:
                shaped = _COMMON_LINE.match(raw)
                if shaped is not None:
                    known = fast(number, shaped, raw)
                    if known is not None:
                        yield known
                        continue
                if len(raw) > MAX_BATCH_LINE and len(raw.rstrip(b"\r\n")) > MAX_BATCH_LINE:
                    claim, problem = None, TOO_LONG
                else:
                    claim, problem = _parse_json(raw)
                if shaped is not None and claim is not None:
                    self._learn(raw[shaped.end() :], claim)
                yield self.line(number, claim, problem)
            except Exception as exc:  # a fault on one claim never costs the claims after it
                yield self._failed(number, f"could not be audited ({exc!r})")

    def run_csv(self, text: IO[str]) -> Iterator[bytes]:
        """One output line per CSV row; `line` is the row's first line in the file."""
        for number, claim, problem in csv_claims(text):
            try:
                yield self.line(number, claim, problem)
            except Exception as exc:  # a fault on one claim never costs the claims after it
                yield self._failed(number, f"could not be audited ({exc!r})")

    def _failed(self, number: int, message: str) -> bytes:
        self.summary.unreadable += 1
        return _prefix(number, ()) + (", " + json.dumps({"error": message})[1:-1] + "}").encode()

    def line(self, number: int, claim: dict[str, Any] | None, problem: str | None) -> bytes:
        carried = [(key, value) for key, value in (claim or {}).items() if key[:1] == "_"]
        prefix = _prefix(number, carried)
        try:
            if claim is None or problem is not None:
                raise ClaimError(problem or "not a claim")
            check_keys(claim)
            body = self._body(_shape(claim), claim.get(DATE), claim)
        except ClaimError as exc:
            self.summary.unreadable += 1
            return prefix + (", " + json.dumps({"error": str(exc)})[1:-1] + "}").encode()
        day = claim.get(DATE)
        date_part = b', "date_of_service": ' + (
            quoted(day.strip()).encode() if isinstance(day, str) and day.strip() else b"null"
        )
        return prefix + date_part + self._count(body)

    def _count(self, body: tuple[bytes, Tally]) -> bytes:
        self._tally[body[1]] += 1
        return body[0]

    def _body(self, shape: Any, day_text: Any, claim: dict[str, Any]) -> tuple[bytes, Tally]:
        """The shared part of a claim's result, audited and encoded once per shape and
        span of dates; raises ClaimError for a claim that cannot be audited."""
        span = self._spans.get(day_text) if type(day_text) is str else None
        if span is None:
            _, day = read_date(day_text)
            span = (self.auditor.span(day), day)
            if type(day_text) is str:
                self._spans.remember(day_text, span)
        key = (shape, span[0])
        known = self._bodies.get(key)
        if known is None:
            known = self._bodies.remember(key, self._audit(claim, span[1]))
        if isinstance(known, str):
            raise ClaimError(known)
        return known  # type: ignore[no-any-return]

    def _fast(self, number: int, shaped: re.Match[bytes], raw: bytes) -> bytes | None:
        """A line of the common shape whose rest was seen before: no JSON parse. None when
        the rest is new, or the date or claim is bad (the ordinary path says why)."""
        rest = self._rests.get(raw[shaped.end() :])
        if rest is None:
            return None
        ident, day = shaped.group(1, 2)
        span = self._spans.get(day)
        body = self._bodies.get((rest[0], span[0])) if span is not None else None
        if body is None or type(body) is str:
            try:
                body = self._body(rest[0], day.decode(), rest[1])
            except ClaimError:
                return None
            self._spans.remember(day, self._spans.get(day.decode()))
        self._tally[body[1]] += 1
        return b'{"line": %d, "_id": "%s", "date_of_service": "%s"%s' % (
            number,
            ident,
            day,
            body[0],
        )

    def _learn(self, rest: bytes, claim: dict[str, Any]) -> None:
        """Remember the claim that the text after a common line's `_id` and date makes: the
        same text parses the same. Only when that text holds no other `_` key, no second id
        or date and no escape, so the line's JSON is exactly its parts."""
        if b'"_' in rest or b"\\" in rest or b'"date_of_service"' in rest:
            return
        others = {key: value for key, value in claim.items() if key not in ("_id", DATE)}
        if any(key[:1] == "_" for key in others):
            return
        try:
            self._rests.remember(rest, (_shape(others), others))
        except TypeError:
            return

    def _audit(self, claim: dict[str, Any], day: Any) -> Any:
        auditor = self.auditor
        try:
            codes = read_codes(claim.get(CODES))
            record = auditor.code_record(claim)
        except ClaimError as exc:
            return str(exc)
        audited = auditor.audit_codes(codes, day, record)
        # a lone surrogate (`"\\ud800"` in the input) goes back out as the same escape
        text = json.dumps(audited.as_json(), ensure_ascii=False)[1:]
        body = (", " + text).encode("utf-8", "backslashreplace")
        rules = tuple((str(item.rule), str(item.severity)) for item in audited.findings)
        return body, (audited.has_error, rules)


_COMMON_LINE = re.compile(
    rb'\{"_id": "([\x20\x21\x23-\x5b\x5d-\x7e]*)", "date_of_service": "(\d{4}-\d{2}-\d{2})", '
)
"""`{"_id": "ID", "date_of_service": "DATE", ` with an ID of printable ASCII without quote or
backslash: copied into the result as it is."""


def _shape(claim: dict[str, Any]) -> Any:
    """What a claim's findings depend on besides its date: codes, answers and note."""
    return (_hashable(claim.get(CODES)), _hashable(claim.get(ANSWERS)), _hashable(claim.get(NOTE)))


TOO_LONG = f"longer than {MAX_BATCH_LINE:,} bytes: a line is one claim"
DEEP = f"nested more than {MAX_DEPTH} levels deep: a line is one claim, a JSON object"


def _parse_json(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A line's claim, or why it is not one."""
    try:
        text = raw.decode("utf-8")
        claim = _strict_json(text)
        if text.count("[") + text.count("{") > MAX_DEPTH and too_deep(claim):
            return None, DEEP
    except UnicodeDecodeError:
        return None, "not UTF-8 text: each line is a JSON object with the claim's codes"
    except RecursionError:
        return None, DEEP
    except DuplicateKey as exc:  # still an object: its record id, where not in doubt, is kept
        return dict(carried_despite_duplicates(text)), f"{exc}: give each key once"
    except ValueError as exc:
        problem = "empty line" if not raw.strip() else f"not valid JSON ({exc})"
        return None, f"{problem}: each line is a JSON object with the claim's codes"
    if type(claim) is not dict:
        return None, f"{json_kind(claim)}, not a JSON object with the claim's codes"
    return claim, None


def _prefix(number: int, carried: Iterable[tuple[str, Any]]) -> bytes:
    prefix = '{"line": ' + str(number)
    for key, value in carried:
        text = quoted(value) if type(value) is str else json.dumps(value)
        prefix += ", " + quoted(key) + ": " + text
    return prefix.encode()


def _hashable(value: Any) -> Any:
    """A hashable stand-in for a JSON value that keeps its type (`true` is not `1`)."""
    kind = type(value)
    if kind is str or value is None:
        return value
    if kind is list and all(type(item) is str for item in value):
        return tuple(value)
    if kind is list:
        return ("list", tuple(_hashable(item) for item in value))
    if kind is dict:
        return ("object", tuple((name, _hashable(item)) for name, item in value.items()))
    return (kind.__name__, value)


# ------------------------------------------------------------------ CSV


def csv_claims(text: IO[str]) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(first line of the row, claim or None, why not) per CSV row after the header.

    Codes are one `codes` column (separated by spaces, semicolons or commas) or columns dx1,
    dx2, ... in their number's order (empty cells skipped); `answers` holds a JSON object.
    """
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise BackcoderError(f"the CSV header cannot be read ({exc})") from None
    if _not_utf8(header):
        raise BackcoderError("the CSV header is not UTF-8 text")
    columns = _columns(header)
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, None, f"not a readable CSV row ({exc})"
            line = reader.line_num + 1
            continue
        if _not_utf8(row):
            yield line, None, "not UTF-8 text: each row is a claim, in UTF-8"
        else:
            yield (line, *_row_claim(columns, header, row))
        line = reader.line_num + 1


_UNDECODED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of a byte not UTF-8


def _not_utf8(row: list[str]) -> bool:
    text = "".join(row)
    return not text.isascii() and _UNDECODED.search(text) is not None


def _columns(header: list[str]) -> dict[str, Any]:
    """Where the codes are, and the header checked: one line naming what is wrong."""
    names = [name.strip() for name in header]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]
    header[:] = names
    if names and names[0].startswith(("{", "[")):
        raise BackcoderError(
            "the CSV header is JSON, not column names: read JSON lines with --format jsonl "
            "(the default for a file not named .csv)"
        )
    dx = sorted(
        ((int(m.group(1)), i) for i, name in enumerate(names) if (m := _DX_COLUMN.match(name))),
    )
    known = set(CLAIM_KEYS)
    unknown = [
        name
        for name in names
        if name[:1] != "_" and name not in known and not _DX_COLUMN.match(name)
    ]
    if unknown:
        raise BackcoderError(
            f"unknown CSV column {unknown[0]!r}: the columns are codes (or dx1, dx2, ...), "
            "date_of_service, answers, note, and any beginning with _ (copied to the result)"
        )
    if CODES in names and dx:
        raise BackcoderError("the CSV has both a codes column and dx columns: keep one of them")
    if CODES not in names and not dx:
        raise BackcoderError(
            "the CSV has no codes column: add `codes` (codes separated by spaces, "
            "semicolons or commas) or columns dx1, dx2, ..."
        )
    if len(set(names)) != len(names):
        raise BackcoderError("the CSV header names a column twice")
    return {"dx": [i for _, i in dx]}


def _row_claim(
    columns: dict[str, Any], header: list[str], row: list[str]
) -> tuple[dict[str, Any] | None, str | None]:
    if len(row) != len(header):
        if not row:
            return None, "empty row: each row is a claim under the header's columns"
        cells = f"{len(row)} cell{'' if len(row) == 1 else 's'}"
        columns = f"{len(header)} column{'' if len(header) == 1 else 's'}"
        return None, (
            f"the row has {cells} but the header names {columns}: one cell per column "
            "(quote a cell that holds a comma or a line break)"
        )
    claim: dict[str, Any] = {}
    for name, cell in zip(header, row, strict=True):
        if name[:1] == "_" or (name in (DATE, NOTE, CODES) and cell.strip()):
            claim[name] = cell
        elif name == ANSWERS and cell.strip():
            try:
                claim[ANSWERS] = _strict_json(cell)
                if cell.count("[") + cell.count("{") > MAX_DEPTH and too_deep(claim[ANSWERS]):
                    return claim, f"the answers cell is {DEEP.split(':')[0]}"
            except DuplicateKey as exc:
                return claim, f"the answers cell has {exc}: give each answer once"
            except (ValueError, RecursionError):
                return claim, 'the answers cell is not a JSON object ({"trauma": "no", ...})'
    if columns["dx"]:
        claim[CODES] = [row[i].strip() for i in columns["dx"] if row[i].strip()]
    return claim, None


def text_lines(source: IO[bytes]) -> IO[str]:
    """CSV text from bytes: UTF-8 (a byte-order mark allowed), newlines as CSV wants. A byte
    that is not UTF-8 is kept as a lone surrogate, so that `csv_claims` refuses the row that
    holds it and reads on, rather than the decoder failing a whole block of rows."""
    return io.TextIOWrapper(source, encoding="utf-8-sig", errors="surrogateescape", newline="")
