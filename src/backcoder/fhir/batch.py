"""`batch --format fhir`: one FHIR Bundle per input line, in order.

The same guarantees as JSON Lines: every line in gives one Bundle out (a result, or an
OperationOutcome naming the line and the error), input is streamed and the cache bounded,
so memory stays flat. A line's `_id` becomes the Bundle's identifier.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from backcoder.coding.coder import Coder
from backcoder.coding.records import parse_record
from backcoder.coding.result import Result
from backcoder.engine.answers import Source
from backcoder.errors import BackcoderError
from backcoder.fhir import require_fhir
from backcoder.fhir.conditions import error_bundle, record_system, result_bundle
from backcoder.files.reading import (
    MAX_BATCH_LINE,
    MAX_DEPTH,
    DuplicateKey,
    carried_despite_duplicates,
    json_kind,
    refuse_duplicates,
    too_deep,
)

CACHE_SIZE = 4096
"""Distinct answer sets whose Bundle is kept (a few kB each)."""
BUNDLE_START = '{"resourceType":"Bundle",'
"""How the models write a Bundle: the identifier of a line goes right after."""
UTF8_BOM = b"\xef\xbb\xbf"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_strict_json = json.JSONDecoder(
    parse_constant=_refuse_constant, object_pairs_hook=refuse_duplicates
).decode
"""Refusing NaN, and a key given twice in one object (json.loads keeps the later one)."""


def _record_id(ident: Any) -> str | None:
    """A line's `_id` as the Bundle identifier's value: text as it is, else its JSON."""
    return None if ident is None else ident if isinstance(ident, str) else json.dumps(ident)


class Failure(NamedTuple):
    message: str


@dataclass
class Counts:
    lines: int = 0
    errors: int = 0


class FhirBatch:
    """Codes JSON lines of answers into one Bundle (compact JSON, UTF-8) per line."""

    def __init__(self, coder: Coder) -> None:
        require_fhir()
        self.coder = coder
        self._bundles: dict[str, str | Failure] = {}
        self.counts = Counts()

    def run(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        for number, raw in enumerate(lines, start=1):
            self.counts.lines = number
            if number == 1 and raw.startswith(UTF8_BOM):
                raw = raw[len(UTF8_BOM) :]
            try:
                bundle = self._bundle(number, raw)
            except Exception as exc:  # a fault on one line never costs the lines after it
                self.counts.errors += 1
                message = f"line {number}: could not be coded ({exc!r})"
                bundle = error_bundle(self.coder.rules, message, None).model_dump_json(
                    exclude_none=True
                )
            yield bundle.encode()

    def _bundle(self, number: int, raw: bytes) -> str:
        rules = self.coder.rules
        record, outcome = self._code(raw)
        if isinstance(outcome, Failure):
            self.counts.errors += 1
            failed = error_bundle(rules, f"line {number}: {outcome.message}", record)
            return failed.model_dump_json(exclude_none=True)
        if record is None:
            return outcome
        identifier = {"system": record_system(rules.name), "value": record}
        return (
            BUNDLE_START
            + '"identifier":'
            + json.dumps(identifier, separators=(",", ":"))
            + ","
            + outcome[len(BUNDLE_START) :]
        )

    def _code(self, raw: bytes) -> tuple[str | None, str | Failure]:
        """The line's `_id`, and its Bundle without an identifier or why it has none."""
        if len(raw) > MAX_BATCH_LINE:
            return None, Failure(f"longer than {MAX_BATCH_LINE:,} bytes: one record a line")
        try:
            text = raw.decode("utf-8")
            data = _strict_json(text)
            if text.count("[") + text.count("{") > MAX_DEPTH and too_deep(data):
                raise RecursionError
        except UnicodeDecodeError:
            return None, Failure("not UTF-8 text: each line is a JSON object of answers, in UTF-8")
        except RecursionError:
            return None, Failure(f"nested more than {MAX_DEPTH} levels deep")
        except DuplicateKey as exc:
            ident = dict(carried_despite_duplicates(text)).get("_id")
            message = f"not valid JSON ({exc}): each line is a JSON object of answers"
            return _record_id(ident), Failure(message)
        except ValueError as exc:
            problem = "empty line" if not raw.strip() else f"not valid JSON ({exc})"
            return None, Failure(f"{problem}: each line is a JSON object of answers")
        if type(data) is not dict:
            return None, Failure(f"{json_kind(data)}, not a JSON object of answers")
        record = _record_id(data.get("_id"))
        answers = {key: value for key, value in data.items() if not key.startswith("_")}
        key = json.dumps(answers, sort_keys=True)
        outcome = self._bundles.get(key)
        if outcome is None:
            outcome = self._result(answers)
            if len(self._bundles) >= CACHE_SIZE:
                del self._bundles[next(iter(self._bundles))]
            self._bundles[key] = outcome
        return record, outcome

    def _result(self, answers: dict[str, Any]) -> str | Failure:
        """The Bundle of a record's answers, encoded once: records with the same answers
        share it (only the identifier differs)."""
        coder = self.coder
        try:
            record = parse_record(coder.rules, answers, Source.batch)
            if record.problems is None:
                result: Result = coder.code(record.shared, missing_hint="add it to the line")
            else:
                result = coder.code_record(record)
        except BackcoderError as exc:
            return Failure(str(exc))
        text = result_bundle(result, coder.rules).model_dump_json(exclude_none=True)
        assert text.startswith(BUNDLE_START)
        return text
