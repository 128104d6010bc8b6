"""Batch coding: one JSON object of answers per line in, one JSON result per line out.

Every input line gives exactly one output line, in order: a result, or the same line
number with an `error`. Keys that begin with `_` are carried into the line's result.

A result depends only on the answers on its path, plus the answers it reports as unused,
and the engine is a pure function of the answers. So each distinct record is coded once
(its JSON kept in a bounded cache keyed by its answers), and each distinct path's result
is built once (keyed by the path's answers): a batch of a million records with a few
thousand distinct answer sets costs little more than reading its JSON. Input is streamed
and both caches are bounded, so memory stays flat.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from json.encoder import encode_basestring_ascii as quoted  # type: ignore[attr-defined]
from typing import Any, NamedTuple

from backcoder import __version__
from backcoder.coding.coder import Coder
from backcoder.coding.encounter import Assembler, Problem, in_problem
from backcoder.coding.records import (
    MAX_PROBLEMS,
    PROBLEMS,
    Record,
    merge_records,
    parse_record,
    raw_problems,
)
from backcoder.coding.result import ProblemResult, RulesRef
from backcoder.engine.answers import Answer, Source, parse_answer
from backcoder.errors import AnswerError, BackcoderError
from backcoder.files.json_writer import (
    any_json,
    checklist_json,
    code_json,
    hint_json,
    path_json,
    problem_json,
    query_json,
    reason_json,
    result_json,
    rules_json,
)
from backcoder.files.reading import (
    MAX_BATCH_LINE,
    MAX_DEPTH,
    DuplicateKey,
    carried_despite_duplicates,
    json_kind,
    refuse_duplicates,
    too_deep,
)

NOTE = "note"
"""The key of a line that carries a clinical note to code from (`code --note` for batch)."""
CACHE_SIZE = 16384
"""Distinct records (and, separately, distinct paths) whose JSON is kept: about 40 MB."""


NO_UNUSED = ', "unused": {}}'
UTF8_BOM = b"\xef\xbb\xbf"
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is too large a number")
    return number


_strict_json = json.JSONDecoder(
    parse_constant=_refuse_constant,
    parse_float=_finite_float,
    object_pairs_hook=refuse_duplicates,
).decode
"""json.loads, but refusing NaN and Infinity, which no JSON reader of the output accepts,
and a key given twice in one object (which json.loads resolves silently to the last)."""


@dataclass
class BatchCounts:
    lines: int = 0
    errors: int = 0


ENCOUNTER_CACHE_SIZE = 1024
"""Visits (by their problems' paths) whose JSON is kept: a few MB."""


class BoundedCache(dict[Any, Any]):
    """A dict that forgets its oldest entry when full (insertion order)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: Any, value: Any) -> Any:
        if len(self) >= self.size:
            self._forget()
        self[key] = value
        return value

    def _forget(self) -> None:
        """The oldest quarter forgotten at once: a dict whose first entries were deleted
        one by one is scanned past them to find the next, so one at a time costs more the
        longer the cache has run."""
        for key in list(itertools.islice(self, max(1, self.size // 4))):
            del self[key]


class BatchCoder:
    def __init__(self, coder: Coder) -> None:
        self.coder = coder
        self._records = BoundedCache()  # record answers -> (body JSON, ok)
        self._paths = BoundedCache()  # path answers -> the path's result and JSON
        self._serial = itertools.count()  # tells paths apart in the encounter cache's keys
        self._answers = BoundedCache()  # (question, raw value) -> validated answer
        self._decisions = Decisions()  # raw answers of a path's questions -> that path
        self._lines = BoundedCache()  # a line's text after its `_id` -> (body, ok)
        self._encounters = BoundedCache(ENCOUNTER_CACHE_SIZE)  # problems' paths -> JSON
        self._fragments = BoundedCache()  # a code or reason several problems share -> JSON
        self._shared_texts = BoundedCache(ENCOUNTER_CACHE_SIZE)  # shared answers' text
        self._problem_texts = BoundedCache()  # (shared answers, a problem's text) -> entry
        self._reader: Any = None  # the note reader, built on the first line with a note
        self.counts = BatchCounts()

    def run(self, lines: Iterable[bytes]) -> Iterator[bytes]:
        """One output line (UTF-8, without newline) per input line."""
        counts = self.counts
        code_line = self.code_line
        for number, raw in enumerate(lines, start=1):
            try:
                line, ok = code_line(number, raw)
            except Exception as exc:  # a fault on one line never costs the lines after it
                line, ok = _error_line(number, (), f"could not be coded ({exc!r})"), False
            counts.lines = number
            if not ok:
                counts.errors += 1
            yield line

    def code_line(self, number: int, raw: bytes) -> tuple[bytes, bool]:
        if len(raw) > MAX_BATCH_LINE:
            message = f"longer than {MAX_BATCH_LINE:,} bytes: a line is one record of answers"
            return _error_line(number, (), message), False
        if number == 1 and raw.startswith(UTF8_BOM):
            raw = raw[len(UTF8_BOM) :]
        split = _split_id(raw)
        if split is not None:
            ident, rest = split
            known = self._lines.get(rest)
            if known is not None:
                prefix = b'{"line": %d, "_id": "%s"' % (number, ident)
                return prefix + known[0], known[1]
            if _VISIT in rest:
                visit = self._visit_text(rest)
                if visit is not None:
                    return b'{"line": %d, "_id": "%s"' % (number, ident) + visit, True
        elif _VISIT in raw and raw[:1] == b"{" and b'"_' not in raw and b"\\u" not in raw:
            visit = self._visit_text(raw[1:])
            if visit is not None:
                return b'{"line": %d' % number + visit, True
        line, ok, body = self._parse_line(number, raw)
        if split is not None and body is not None and b'"problems"' not in split[1]:
            self._lines.remember(split[1], (body, ok))  # a visit's is large: its parts are kept
        return line, ok

    def _parse_line(self, number: int, raw: bytes) -> tuple[bytes, bool, bytes | None]:
        """The line coded from its parsed JSON; also its body when the JSON was valid."""
        try:
            text = raw.decode("utf-8")
            record = _strict_json(text)
            if text.count("[") + text.count("{") > MAX_DEPTH and too_deep(record):
                raise RecursionError
        except UnicodeDecodeError:
            message = "not UTF-8 text: each line is a JSON object of answers, in UTF-8"
            return _error_line(number, (), message), False, None
        except RecursionError:
            message = f"nested more than {MAX_DEPTH} levels deep: a line is an object of answers"
            return _error_line(number, (), message), False, None
        except DuplicateKey as exc:
            message = f"{exc}: give each answer once (a list for several values)"
            return _error_line(number, carried_despite_duplicates(text), message), False, None
        except ValueError as exc:
            problem = "empty line" if not raw.strip() else f"not valid JSON ({exc})"
            message = f"{problem}: each line is a JSON object of answers"
            return _error_line(number, (), message), False, None
        if type(record) is not dict:
            message = f"{json_kind(record)}, not a JSON object of answers"
            return _error_line(number, (), message), False, None
        carried = [(key, record.pop(key)) for key in [k for k in record if k[:1] == "_"]]
        if NOTE in record:
            body, ok = self._note_body(record.pop(NOTE), record)
        else:
            body, ok = self._body(tuple(record.items()))
        return _line_prefix(number, carried) + body, ok, body

    def _note_body(self, note: Any, answers: dict[str, Any]) -> tuple[bytes, bool]:
        """A line carrying a clinical note: the note read (the reader built on the first such
        line), the line's answers over the note's, and what the note leaves open settled by
        its silence; always a result or an error, never a dropped line."""
        from backcoder.notes.records import note_record, settle_silence, with_findings

        try:
            if not isinstance(note, str):
                raise AnswerError(
                    f"{NOTE} is the clinical note's text, not {json_kind(note)}; "
                    'e.g. {"note": "HPI: low back pain ..."}'
                )
            coder, reader = self.coder, self._note_reader()
            reading = reader.read(note)
            user = parse_record(coder.rules, answers, Source.batch)
            noted = note_record(coder.rules, reading)
            record = merge_records(user, Record({}, None), {}, noted, coder.rules.visit)
            record = settle_silence(coder, record, reader.notes)
            result = coder.code_record(record, missing_hint="add it to the line")
        except BackcoderError as exc:
            return _error_body(str(exc)), False
        data = any_json(with_findings(result, reading))
        return (", " + _to_json(data)[1:]).encode(), True

    def _note_reader(self) -> Any:
        """The note reader of the batch's rules, loaded once (medspaCy's load is the cost)."""
        if self._reader is None:
            from backcoder.files.notes import load_reader

            self._reader = load_reader(self.coder.bundle.path)
        return self._reader

    def _body(self, items: tuple[tuple[str, Any], ...]) -> tuple[bytes, bool]:
        """The body for a record's answers; texts key the cache as they are, any other JSON
        value by its type too (`true` is not `1`)."""
        if all(type(value) is str for _, value in items):
            key: tuple[Any, ...] = items
        else:
            key = tuple((name, _hashable(value)) for name, value in items)
        known = self._records.get(key)
        if known is None:
            known = self._code(dict(items))
            if not any(name == PROBLEMS for name, _ in items):  # a visit's is large
                self._records.remember(key, known)
        return known

    def _code(self, answers: dict[str, Any]) -> tuple[bytes, bool]:
        """The line's JSON after its prefix, encoded once: most lines reuse it as it is."""
        try:
            if PROBLEMS in answers:
                return self._encounter(answers), True
            parsed = {key: self._parsed(key, value) for key, value in answers.items()}
            path = self._walked(answers, parsed)
            core = path.core
        except BackcoderError as exc:
            return _error_body(str(exc)), False
        asked = path.asked
        unused = {key: parsed[key].as_json() for key in parsed if key not in asked}
        if not unused:
            return (core + NO_UNUSED).encode(), True
        return (core + ', "unused": ' + _to_json(unused) + "}").encode(), True

    def _walked(self, raw: dict[str, Any], parsed: dict[str, Answer]) -> _Path:
        """The path a record walks, with its result and JSON, built once per distinct path:
        a record whose raw answers match a known path's is looked up, not walked."""
        known = self._decisions.path_for(raw)
        if known is None:
            coder = self.coder
            finished = coder.finish(parsed, missing_hint="add it to the line")
            path_key = tuple((step.question, step.answer) for step in finished.walk.path)
            known = self._paths.get(path_key)
            if known is None:
                result = coder.result(dict(path_key), finished)
                known = self._paths.remember(path_key, _Path(result, next(self._serial)))
            self._decisions.learn(raw, path_key, known)
        return known

    def _encounter(self, record: dict[str, Any]) -> bytes:
        """A record with `problems`, from its parsed JSON: each problem walked through the
        path caches with the shared answers under its own, then the visit's JSON."""
        problems = raw_problems(record)
        assert problems is not None
        shared = self._shared({key: value for key, value in record.items() if key != PROBLEMS})
        entries = [self._problem(shared, own, number) for number, own in enumerate(problems, 1)]
        return self._visit(shared, entries).encode()

    def _visit_text(self, rest: bytes) -> bytes | None:
        """A visit's body straight from its text, when the line is shaped as `json.dumps`
        writes a record: `"k": v, ..., "problems": [{...}, {...}]}` after its `_id`.

        In a batch of visits no two lines need be alike, but their problems and shared
        answers recur: each problem's text and the shared answers' text are parsed and
        walked once, then found by their text. Splitting the list at `}, {` is safe because
        every piece must then parse as a JSON object on its own: a split inside a string
        leaves that string unterminated. Any other shape, and any line whose parts are not
        all valid (its error is worded by the ordinary path), answers None.
        """
        head, found, problems = rest.partition(_VISIT)
        if not found or problems[-3:] != b"}]}" or _PROBLEMS_KEY in problems:
            return None
        shared = self._shared_texts.get(head)
        if shared is None:
            shared = self._shared_texts.remember(head, self._shared_text(head))
        if shared is _UNFIT:
            return None
        known = self._problem_texts
        entries = []
        serial = shared.serial
        pieces = problems[:-3].split(b"}, {")
        if len(pieces) > MAX_PROBLEMS:
            return None  # the ordinary path refuses it, in its own words
        for piece in pieces:
            key = (serial, piece)
            entry = known.get(key)
            if entry is None:
                entry = known.remember(key, self._problem_text(shared, piece))
            if entry is _UNFIT:
                return None
            entries.append(entry)
        return self._visit(shared, entries).encode()

    def _shared_text(self, head: bytes) -> Any:
        """The shared answers written before `problems`, or _UNFIT for the ordinary path."""
        if head[:2] == b", ":  # after an `_id`
            head = head[2:]
        if not head:
            return self._shared({})
        if head[-2:] != b", " or _PROBLEMS_KEY in head:
            return _UNFIT
        try:
            record = _strict_json("{" + head[:-2].decode("utf-8") + "}")
            if type(record) is not dict or NOTE in record or too_deep(record):
                return _UNFIT
            return self._shared(record)
        except (ValueError, UnicodeDecodeError, RecursionError, BackcoderError):
            return _UNFIT

    def _problem_text(self, shared: _Shared, piece: bytes) -> Any:
        """One problem from its text between `{` and `}`, or _UNFIT for the ordinary path."""
        try:
            own = _strict_json("{" + piece.decode("utf-8") + "}")
            if type(own) is not dict or too_deep(own):
                return _UNFIT
            return self._problem(shared, own, 0)
        except (ValueError, UnicodeDecodeError, RecursionError, BackcoderError):
            return _UNFIT

    def _shared(self, raw: dict[str, Any]) -> _Shared:
        """A visit's shared answers, validated (a bad one is the record's error)."""
        parsed = {key: self._parsed(key, value) for key, value in raw.items()}
        return _Shared(raw, parsed, next(self._serial))

    def _problem(self, shared: _Shared, own_raw: dict[str, Any], number: int) -> _Entry:
        """A problem of a visit walked with the shared answers under its own; an error
        names the problem."""
        try:
            own = {key: self._parsed(key, value) for key, value in own_raw.items()}
            path = self._walked({**shared.raw, **own_raw}, {**shared.parsed, **own})
        except BackcoderError as exc:
            raise in_problem(exc, number) from None
        asked = path.asked
        unused = {key: answer.as_json() for key, answer in own.items() if key not in asked}
        given = shared.given
        replayed = {k: v for k, v in path.answers.items() if given.get(k) != v}
        return _Entry(
            path,
            f'{path.body}, "unused": {_to_json(unused)}}}',
            _to_json(replayed),
            frozenset(own),
        )

    def _visit(self, shared: _Shared, entries: list[_Entry]) -> str:
        """A visit's JSON after its line prefix: the encounter's fields (kept per distinct
        list of paths), then the shared answers' and each problem's own parts."""
        paths = [entry.path for entry in entries]
        key = tuple(path.number for path in paths)
        core = self._encounters.get(key)
        if core is None:
            core = self._encounters.remember(key, self._encounter_core(paths))
        return "".join(
            [
                core,
                ', "unused": ',
                shared.unused(entries),
                ', "answers": ',
                shared.answers_head,
                ", ".join([entry.replay for entry in entries]),
                "]}",
                self._tail,
                ", ".join([entry.text for entry in entries]),
                "]}",
            ]
        )

    def _encounter_core(self, paths: list[_Path]) -> str:
        """The fields an encounter's list of paths decides, as JSON text: codes, path,
        rationale, queries, checklist, more specific codes, warnings. The assembler's plan
        for the visit's shape says which of each problem's code and reason fragments go
        where; only a code or reason several problems share is written afresh."""
        assembler = self.coder.assembler
        problems = [path.problem(assembler) for path in paths]
        plan = assembler.plan(problems)
        slots = [path.slot(number, assembler) for number, path in enumerate(paths, 1)]
        codes = []
        for n, (index, position, numbers) in enumerate(plan.codes):
            if len(numbers) == 1:
                slot = slots[index]
                codes.append(slot.first_codes[position] if n == 0 else slot.codes[position])
            else:
                line = problems[index].lines[position]
                codes.append(self._shared_code(line, numbers, n == 0))
        reasons = [
            slots[index].reasons[at]
            if len(numbers) == 1
            else self._shared_reason(problems[index].reasons[at], numbers)
            for index, at, numbers in plan.reasons
        ]
        if plan.decisions:
            reasons += [self._decision(problems, *taken) for taken in plan.decisions]
        if plan.silenced:
            reasons += [self._silenced(problems, *silenced) for silenced in plan.silenced]
        if plan.sequencing:
            index, position, numbers = plan.codes[0]
            line = problems[index].lines[position]
            reasons.append(self._leading(line, numbers))
        if any(path.result.warnings for path in paths):
            warnings = _to_json(list(dict.fromkeys(w for p in paths for w in p.result.warnings)))
        else:
            warnings = "[]"
        return "".join(
            [
                ', "codes": [',
                ", ".join(codes),
                '], "path": [',
                ", ".join([slot.path for slot in slots if slot.path]),
                '], "rationale": [',
                ", ".join(reasons),
                '], "queries": [',
                ", ".join([slot.queries for slot in slots if slot.queries]),
                '], "checklist": [',
                ", ".join([slot.checklist for slot in slots if slot.checklist]),
                '], "more_specific": [',
                ", ".join([slot.hints for slot in slots if slot.hints]),
                '], "warnings": ',
                warnings,
            ]
        )

    def _decision(self, problems: list[Problem], first: int, second: int, index: int) -> str:
        """A decision between two problems' codes: the same for every visit with those two
        code lines in those two problems."""
        assembler = self.coder.assembler
        one, other = problems[first], problems[second]
        _, at_one, at_other, _ = assembler.between(one, other)[0][index]
        key = ("decision", one.lines[at_one], other.lines[at_other], first, second)
        return self._encoded(
            key, lambda: reason_json(assembler.decision(problems, first, second, index))
        )

    def _silenced(self, problems: list[Problem], index: int, at: int) -> str:
        """Why a problem's G89 code is left out: the same for every visit with that code
        line in that problem."""
        assembler = self.coder.assembler
        line = problems[index].lines[at]
        return self._encoded(
            ("silenced", line, index), lambda: reason_json(assembler.silence(line, index + 1))
        )

    def _shared_code(self, line: int, numbers: tuple[int, ...], first: bool) -> str:
        """A code several problems of a visit report."""
        assembler = self.coder.assembler
        key = ("code", line, numbers, first)
        return self._encoded(key, lambda: code_json(assembler.code_line(line, numbers, first)))

    def _shared_reason(self, reason: int, numbers: tuple[int, ...]) -> str:
        """A reason that holds for several problems of a visit."""
        assembler = self.coder.assembler
        return self._encoded(
            ("reason", reason, numbers), lambda: reason_json(assembler.reason(reason, numbers))
        )

    def _leading(self, line: int, numbers: tuple[int, ...]) -> str:
        """Why the first-listed code is not the first problem's."""
        assembler = self.coder.assembler
        return self._encoded(
            ("leading", line, numbers), lambda: reason_json(assembler.sequencing(line, numbers))
        )

    def _encoded(self, key: tuple[Any, ...], make: Callable[[], Any]) -> str:
        """The JSON text of what visits share, encoded once: `make` builds its JSON value
        only the first time `key` is met."""
        text = self._fragments.get(key)
        if text is None:
            text = self._fragments.remember(key, _to_json(make()))
        return text

    @cached_property
    def _tail(self) -> str:
        rules = self.coder.rules
        return (
            f', "rules": {_to_json(rules_json(RulesRef(rules.name, rules.version, rules.icd10cm)))}'
            f', "backcoder": {_to_json(__version__)}, "problems": ['
        )

    def _parsed(self, question: str, raw: Any) -> Answer:
        """One answer, validated once per distinct (question, value) of the batch; a refused
        value is remembered with its message (working out "did you mean" is not free)."""
        key = (question, _hashable(raw))
        answer = self._answers.get(key)
        if answer is None:
            try:
                answer = parse_answer(self.coder.rules, question, raw, Source.batch)
            except AnswerError as exc:
                answer = str(exc)
            self._answers.remember(key, answer)
        if isinstance(answer, str):
            raise AnswerError(answer)
        return answer


_ID_LINE = re.compile(rb'\{"_id": "([\x20\x21\x23-\x5b\x5d-\x7e]+)"(?=, )')
"""`{"_id": "ID"` followed by more members, ID printable ASCII without quote or backslash."""


def _split_id(raw: bytes) -> tuple[bytes, bytes] | None:
    """A line shaped `{"_id": "ID", REST` as (ID, REST), when ID can be copied into the
    result as it is and REST holds no other `_` key.

    Lines that differ only in their id then share one parse and one result: REST, the rest
    of the line, was parsed as JSON when it was first seen, and identical text parses
    identically. Any other shape takes the ordinary path through json.loads.
    """
    match = _ID_LINE.match(raw)
    if match is None:
        return None
    rest = raw[match.end() :]
    if b'"_' in rest or b"\\u" in rest:  # another `_` key, perhaps spelt with an escape
        return None
    return match.group(1), rest


class _Path:
    """A path's result and the JSON fragments every line that walks it reuses."""

    __slots__ = ("result", "number", "core", "asked", "_body", "_slots", "_problem", "_answers")

    def __init__(self, result: ProblemResult, number: int) -> None:
        self.result = result
        self.number = number
        self.core = ", " + _to_json(result_json(result, unused=False))[1:-1]
        self.asked = frozenset(step.question for step in result.path)
        self._body: str | None = None
        self._slots: dict[int, _Slot] = {}
        self._problem: Problem | None = None
        self._answers: dict[str, Any] | None = None

    @property
    def body(self) -> str:
        """The path as one problem of a visit, without `unused` and the closing brace
        (built when a visit first needs it: one-problem records never do)."""
        if self._body is None:
            self._body = _to_json(problem_json(self.result, unused=False))[:-1]
        return self._body

    @property
    def answers(self) -> dict[str, Any]:
        """The path's replayable answers as JSON values."""
        if self._answers is None:
            self._answers = {key: a.as_json() for key, a in self.result.answers.items()}
        return self._answers

    def problem(self, assembler: Assembler) -> Problem:
        """The path as a problem in the assembler's numbering, worked out once."""
        if self._problem is None:
            self._problem = assembler.problem(self.result)
        return self._problem

    def slot(self, number: int, assembler: Assembler) -> _Slot:
        """The path as problem `number` of a visit: its path, queries, checklist and hints
        as JSON items naming the problem, and its codes and reasons as that problem's."""
        found = self._slots.get(number)
        if found is None:
            result = self.result
            problem = (number,)
            lines = self.problem(assembler).lines
            found = _Slot(
                _items([path_json(s._replace(problem=number)) for s in result.path]),
                _items([query_json(q._replace(problem=number)) for q in result.queries]),
                _items([checklist_json(c._replace(problem=number)) for c in result.checklist]),
                _items([hint_json(h._replace(problem=number)) for h in result.more_specific]),
                tuple(
                    _to_json(code_json(assembler.code_line(line, problem, False))) for line in lines
                ),
                tuple(
                    _to_json(code_json(assembler.code_line(line, problem, True))) for line in lines
                ),
                tuple(
                    _to_json(reason_json(r._replace(problems=problem))) for r in result.rationale
                ),
            )
            self._slots[number] = found
        return found


def _items(values: list[Any]) -> str:
    """JSON list items without the brackets, to join with other lists' items."""
    return _to_json(values)[1:-1]


class _Slot(NamedTuple):
    """A path as one numbered problem of a visit, as JSON text."""

    path: str
    queries: str
    checklist: str
    hints: str
    codes: tuple[str, ...]
    """Each code line as this problem's alone."""
    first_codes: tuple[str, ...]
    """Each code line as this problem's alone, listed first."""
    reasons: tuple[str, ...]
    """Each reason as this problem's alone."""


class _Shared:
    """A visit's shared answers: raw and validated, as JSON for the replayable `answers`,
    and a serial number that keys its problems in the cache of problem texts."""

    __slots__ = ("raw", "parsed", "serial", "given", "answers_head")

    def __init__(self, raw: dict[str, Any], parsed: dict[str, Answer], serial: int) -> None:
        self.raw = raw
        self.parsed = parsed
        self.serial = serial
        self.given = {key: answer.as_json() for key, answer in parsed.items()}
        self.answers_head = (
            _to_json(self.given)[:-1] + ', "problems": [' if self.given else '{"problems": ['
        )

    def unused(self, entries: list[_Entry]) -> str:
        """The shared answers that no problem took, as JSON: its path did not ask the
        question, or the problem answered it itself."""
        if not self.parsed:
            return "{}"
        unused = [
            key
            for key in self.given
            if not any(key in entry.path.asked and key not in entry.own for entry in entries)
        ]
        return _to_json({key: self.given[key] for key in unused}) if unused else "{}"


class _Entry(NamedTuple):
    """A problem of a visit: its path, its JSON in the visit's `problems` (with its own
    unused answers), its answers in the replayable record, and the ids it answered itself
    (a shared answer it set aside is not one it took)."""

    path: _Path
    text: str
    replay: str
    own: frozenset[str]


_UNFIT = object()
"""A line part the text path leaves to the ordinary path (which words its error)."""
_VISIT = b'"problems": [{'
_PROBLEMS_KEY = b'"problems"'


_MISSING = object()


class Decisions:
    """The paths walked so far, as a tree of (question asked, raw answer) steps.

    The engine asks each question only because of the answers to the questions it asked
    before, so a record whose raw answers to a known path's questions match, in order, walks
    that same path: it is found here in a few look-ups instead of a walk of the tree. Answers
    to other questions are unused, whatever they are.
    """

    def __init__(self) -> None:
        self._root = _Step()
        self._size = 0

    def path_for(self, answers: dict[str, Any]) -> Any:
        step = self._root
        while step.question is not None:
            found = step.children.get(_hashable(answers.get(step.question, _MISSING)))
            if found is None:
                return None
            step = found
        return step.path

    def learn(self, answers: dict[str, Any], path: tuple[tuple[str, Any], ...], found: Any) -> None:
        """Remember that `answers` walk `path`; `path_for` then answers `found`."""
        if self._size >= 16 * CACHE_SIZE:
            self._root, self._size = _Step(), 0
        step = self._root
        for question, _ in path:
            if step.question is None:
                step.question = question
            elif step.question != question:
                return  # cannot happen for a deterministic tree; learn nothing rather than wrong
            key = _hashable(answers.get(question, _MISSING))
            step = step.children.setdefault(key, _Step())
            self._size += 1
        step.path = found


class _Step:
    __slots__ = ("question", "children", "path")

    def __init__(self) -> None:
        self.question: str | None = None
        self.children: dict[Any, _Step] = {}
        self.path: Any = None


def _hashable(value: Any) -> Any:
    """A hashable stand-in for a JSON value that keeps its type: `true`, `1` and `1.0` are
    equal in Python but are different answers."""
    kind = type(value)
    if kind is str:
        return value
    if kind is list:
        return ("list", tuple(_hashable(item) for item in value))
    if kind is dict:
        return ("object", tuple((name, _hashable(item)) for name, item in value.items()))
    return (kind.__name__, value)


def _json_value(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return quoted(value)
    if kind is int:
        return str(value)
    return json.dumps(value)


def _line_prefix(number: int, carried: Iterable[tuple[str, Any]]) -> bytes:
    prefix = '{"line": ' + str(number)
    for key, value in carried:
        prefix += ", " + quoted(key) + ": " + _json_value(value)
    return prefix.encode()


def _error_body(message: str) -> bytes:
    return (", " + json.dumps({"error": message})[1:-1] + "}").encode()


def _error_line(number: int, carried: Iterable[tuple[str, Any]], message: str) -> bytes:
    return _line_prefix(number, carried) + _error_body(message)
