"""Properties: any answer set gives valid, billable codes or a clean error, never a crash."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcoder.coding.coder import Coder
from backcoder.engine.answers import Source, parse_answers
from backcoder.errors import BackcoderError
from backcoder.files.batch import BatchCoder
from backcoder.files.bundle import load_bundle
from backcoder.files.json_writer import result_json
from tests.vocabulary import MULTI_VALUED, PUBLIC_VOCABULARY

CODER = Coder(load_bundle())
QUESTIONS = sorted(PUBLIC_VOCABULARY) + ["red_flags"]


def _values(question: str) -> st.SearchStrategy[Any]:
    choices = list(CODER.rules.questions[question].choices)
    single = st.sampled_from(choices)
    if question in MULTI_VALUED or question == "red_flags":
        return st.one_of(single, st.lists(single, min_size=1, max_size=3, unique=True))
    return single


valid_answer_sets = st.fixed_dictionaries(
    {}, optional={question: _values(question) for question in QUESTIONS}
)
noise = st.dictionaries(
    st.one_of(st.sampled_from(QUESTIONS), st.text(max_size=8)),
    st.one_of(
        st.text(max_size=12),
        st.booleans(),
        st.integers(),
        st.lists(st.text(max_size=5), max_size=3),
    ),
    max_size=4,
)


def _check(raw: dict[str, Any]) -> None:
    try:
        result = result_json(CODER.code(parse_answers(CODER.rules, raw, Source.batch)))
    except BackcoderError as error:
        assert str(error) and "\n" not in str(error)
        return
    assert result["codes"], "every finished path reports codes"
    for code in result["codes"]:
        info = CODER.bundle.tabular.info(code["code"])
        assert info is not None and info.billable and info.title == code["description"]
    first = result["codes"][0]
    assert first["role"] == ("additional" if "follows" in first else "first-listed")
    assert all(code["role"] == "additional" for code in result["codes"][1:])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_answer_sets)
def test_any_vocabulary_answer_set_codes_or_fails_cleanly(raw: dict[str, Any]) -> None:
    _check(raw)


@settings(max_examples=200, deadline=None)
@given(valid_answer_sets, noise)
def test_noise_never_crashes(raw: dict[str, Any], extra: dict[str, Any]) -> None:
    _check({**raw, **extra})


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=80) | valid_answer_sets.map(lambda d: json.dumps(d).encode()))
def test_any_batch_line_gives_exactly_one_json_line(raw: bytes) -> None:
    line, ok = BatchCoder(CODER).code_line(7, raw.replace(b"\n", b" "))
    parsed = json.loads(line)
    assert parsed["line"] == 7 and ("codes" in parsed) == ok and ("error" in parsed) != ok


ids = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(valid_answer_sets, ids, ids)
def test_the_id_fast_path_never_changes_a_result(
    raw: dict[str, Any], first: str, second: str
) -> None:
    """Lines shaped `{"_id": ..., ...}` may skip parsing; their results are what full parsing
    of the same record gives, whatever the ids."""
    batch = BatchCoder(CODER)
    fields = json.dumps(raw)[1:]
    if fields == "}":
        return
    lines = [
        b'{"_id": ' + json.dumps(first).encode() + b", " + fields.encode(),
        b'{"_id": ' + json.dumps(second).encode() + b", " + fields.encode(),
        json.dumps({**raw, "_id": second}).encode(),
    ]
    results = [json.loads(line) for line in batch.run(lines)]
    assert [r["_id"] for r in results] == [first, second, second]
    bodies = [{k: v for k, v in r.items() if k not in ("line", "_id")} for r in results]
    assert bodies[0] == bodies[1] == bodies[2]
