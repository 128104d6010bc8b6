"""Batch coding: one JSON object of answers per line in, one JSON result per line out.

Every input line gives exactly one output line, in order: a result, or the same line
number with an `error`. Keys that begin with `_` are carried into the line's result.
The engine is a pure function of the answers, so identical answer sets are coded once
and their JSON reused; the cache is bounded, so memory stays flat on any input.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from backcoder.answers import Source, parse_answers
from backcoder.coding import Coder
from backcoder.errors import BackcoderError

CACHE_SIZE = 4096


@dataclass
class BatchCounts:
    lines: int = 0
    errors: int = 0


class BatchCoder:
    def __init__(self, coder: Coder) -> None:
        self.coder = coder
        self._bodies: OrderedDict[tuple[Any, ...], tuple[str, bool]] = OrderedDict()
        self.counts = BatchCounts()

    def run(self, lines: Iterable[bytes]) -> Iterator[str]:
        """One output line (without newline) per input line."""
        for number, raw in enumerate(lines, start=1):
            line, ok = self.code_line(number, raw)
            self.counts.lines += 1
            self.counts.errors += not ok
            yield line

    def code_line(self, number: int, raw: bytes) -> tuple[str, bool]:
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return _error_line(number, {}, "not UTF-8 text"), False
        except ValueError as exc:
            problem = "empty line" if not raw.strip() else f"not valid JSON ({exc})"
            return _error_line(
                number, {}, f"{problem}: each line is a JSON object of answers"
            ), False
        if not isinstance(record, dict):
            kind = type(record).__name__
            return _error_line(number, {}, f"a {kind}, not a JSON object of answers"), False
        carried = {key: value for key, value in record.items() if key.startswith("_")}
        answers = {key: value for key, value in record.items() if not key.startswith("_")}
        body, ok = self._body(answers)
        return _line_prefix(number, carried) + body + "}", ok

    def _body(self, answers: dict[str, Any]) -> tuple[str, bool]:
        key = _cache_key(answers)
        cached = self._bodies.get(key) if key is not None else None
        if cached is not None:
            self._bodies.move_to_end(key)
            return cached
        body = self._code(answers)
        if key is not None:
            self._bodies[key] = body
            if len(self._bodies) > CACHE_SIZE:
                self._bodies.popitem(last=False)
        return body

    def _code(self, answers: dict[str, Any]) -> tuple[str, bool]:
        try:
            parsed = parse_answers(self.coder.rules, answers, Source.batch)
            result = self.coder.code(parsed, missing_hint="add it to the line")
        except BackcoderError as exc:
            return ", " + json.dumps({"error": str(exc)})[1:-1], False
        return ", " + json.dumps(result, ensure_ascii=False)[1:-1], True


def _cache_key(answers: dict[str, Any]) -> tuple[Any, ...] | None:
    items = []
    for key, value in answers.items():
        if isinstance(value, list):
            value = tuple(value)
        try:
            hash(value)
        except TypeError:
            return None
        items.append((key, value))
    return tuple(sorted(items, key=lambda item: item[0]))


def _line_prefix(number: int, carried: dict[str, Any]) -> str:
    extra = "".join(f", {json.dumps(key)}: {json.dumps(value)}" for key, value in carried.items())
    return f'{{"line": {number}{extra}'


def _error_line(number: int, carried: dict[str, Any], message: str) -> str:
    return _line_prefix(number, carried) + ", " + json.dumps({"error": message})[1:-1] + "}"
