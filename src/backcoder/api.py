"""backcoder for programs: code a mapping of answers, get the typed result.

    from backcoder import code
    result = code({"trauma": "no", "attribution": "none", "nerve": "none",
                   "region": "lumbar", "lumbar_cause": "other", "pain_course": "acute"})
    result.code_list          # ['M54.59']

Answers are the public vocabulary of `backcoder questions` (a value, or a list for several);
keys beginning with `_` are ignored, as in batch lines. Bad input raises
`backcoder.errors.BackcoderError` (a subclass says which kind) with the same one-line message
the command line prints. The rules are loaded once per rule file and kept while the file is
unchanged; importing backcoder loads nothing until the first call.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backcoder.coding.coder import Coder
    from backcoder.coding.result import Result

__all__ = ["code", "result_json"]


def code(answers: Mapping[str, Any], rules: str | os.PathLike[str] | None = None) -> Result:
    """The result for a mapping of answers: the codes in reporting order with their titles,
    the path, the reasons, queries and the rest (README, "The result"). Questions the path
    needs that are not answered take their defaults where they have one; otherwise
    `MissingAnswer` names the question and its values. A record with `problems` (one
    mapping of answers per back problem, the top-level answers shared) gives an
    `EncounterResult`, any other a `ProblemResult`. `rules` is a rule file to use instead
    of the shipped back-pain rules."""
    from backcoder.coding.records import parse_record
    from backcoder.engine.answers import Source

    if not isinstance(answers, Mapping):
        from backcoder.errors import AnswerError

        kind = type(answers).__name__
        raise AnswerError(f"answers are a mapping of question id to value, not a {kind}")
    coder = _coder(rules)
    raw = {str(key): value for key, value in answers.items() if not str(key).startswith("_")}
    record = parse_record(coder.rules, raw, Source.file)
    return coder.code_record(record, missing_hint="add {question} to the answers")


def result_json(result: Result) -> dict[str, Any]:
    """The result as the JSON object `backcoder code --json` prints (plain dicts and lists)."""
    from backcoder.files.json_writer import any_json

    return any_json(result)


def _coder(rules: str | os.PathLike[str] | None) -> Coder:
    path = Path(rules).resolve() if rules is not None else None
    return _cached_coder(path, _stamp(path))


def _stamp(path: Path | None) -> tuple[int, int] | None:
    """When the rule file last changed: a changed file is loaded again."""
    try:
        status = path.stat() if path is not None else None
    except OSError:
        return None  # loading it gives the one-line message
    return (status.st_mtime_ns, status.st_size) if status is not None else None


@lru_cache(maxsize=8)
def _cached_coder(path: Path | None, stamp: tuple[int, int] | None) -> Coder:
    from backcoder.coding.coder import Coder
    from backcoder.files.bundle import load_bundle

    return Coder(load_bundle(path))
