"""Batch over visits: lines written as `json.dumps` writes them take a path that finds each
problem and the shared answers by their text, and encounters are assembled from plans
remembered per shape. Both must give exactly what the ordinary path and a fresh assembler
give, for any visit, and hand every other line to the ordinary path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backcoder.coding.coder import Coder
from backcoder.coding.encounter import Assembler
from backcoder.coding.records import parse_record
from backcoder.engine.answers import Source
from backcoder.errors import BackcoderError
from backcoder.files.bundle import load_bundle
from tests.test_encounter_properties import PROBLEMS, SHARED

CODER = Coder(load_bundle())


def batch(cli: Any, lines: list[str] | bytes) -> list[dict[str, Any]]:
    data = lines if isinstance(lines, bytes) else "".join(line + "\n" for line in lines)
    out = cli("batch", "-", input=data)
    return [json.loads(line) for line in out.stdout.splitlines()]


def compact(line: str) -> str:
    """The same record written without spaces: the ordinary path reads it."""
    return json.dumps(json.loads(line), separators=(",", ":"), ensure_ascii=False)


visits = st.lists(
    st.tuples(
        st.sampled_from(SHARED),
        st.lists(st.sampled_from(PROBLEMS), min_size=1, max_size=3),
        st.booleans(),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(visits=visits)
def test_visits_by_their_text_equal_the_ordinary_path(cli: Any, visits: list[Any]) -> None:
    lines = []
    for number, (shared, problems, with_id) in enumerate(visits):
        record = {"_id": f"v{number}"} if with_id else {}
        lines.append(json.dumps({**record, **shared, "problems": problems}))
    fast = batch(cli, lines)
    ordinary = batch(cli, [compact(line) for line in lines])
    assert fast == ordinary
    assert [line["line"] for line in fast] == list(range(1, len(lines) + 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shared=st.sampled_from(SHARED),
    problems=st.lists(st.sampled_from(PROBLEMS), min_size=2, max_size=4),
)
def test_a_remembered_plan_gives_what_a_fresh_assembler_gives(
    shared: dict[str, Any], problems: list[dict[str, Any]]
) -> None:
    """The long-lived assembler has planned every shape met so far in this run; a fresh one
    has planned nothing. A plan shared by visits it does not fit would tell them apart."""
    record = parse_record(CODER.rules, {**shared, "problems": problems}, Source.batch)
    assert record.problems is not None
    try:
        results = [CODER.code({**record.shared, **own}, missing_hint="") for own in record.problems]
    except BackcoderError:
        return
    fresh = Assembler(CODER.rules, CODER.bundle.tabular)
    assert CODER.assembler.codes(results) == fresh.codes(results)


NECK = {"trauma": "no", "region": "cervical", "nerve": "none"}


@pytest.mark.parametrize(
    "line",
    [
        # a string holding the text the path splits at, or the key it looks for
        '{"_id": "a", "problems": [{"trauma": "no", "region": "}, {"}]}',
        '{"_id": "a", "problems": [{"trauma": "no", "note_": "\\"problems\\": [{"}]}',
        '{"_id": "a", "problems": [{"trauma": "no", "region": "cervical", "nerve": "none"}, '
        '{"trauma": "no", "region": "lumbr"}]}',
        # problems nested, empty, not objects
        '{"_id": "a", "problems": [{"problems": [{"trauma": "no"}]}]}',
        '{"_id": "a", "problems": []}',
        '{"_id": "a", "problems": [{"trauma": "no"}, 3]}',
        # JSON the ordinary path refuses
        '{"_id": "a", "problems": [{"trauma": NaN}]}',
        '{"_id": "a", "problems": [{"trauma": "no"}, {"trauma": "no"]}',
        '{"_id": "a", "problems": [{"trauma": {"a": {"b": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['
        "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}}]}",
        # shapes the text path leaves alone: answers after problems, a note, another `_` key
        '{"_id": "a", "problems": [{"trauma": "no", "region": "cervical", "nerve": "none"}], '
        '"pain_course": "acute"}',
        '{"_id": "a", "note": "neck pain", "problems": [{"trauma": "no"}]}',
        '{"_id": "a", "_source": "ed", "pain_course": "acute", '
        '"problems": [{"trauma": "no", "region": "cervical", "nerve": "none"}]}',
        '{"pain_course": "acute", "problems": [{"trauma": "no", "region": "cervical", '
        '"nerve": "none"}, {"trauma": "no", "region": "lumbar", "nerve": "none", '
        '"lumbar_cause": "other"}]}',
        '{"_id": "caf\\u00e9", "pain_course": "acute", '
        '"problems": [{"trauma": "no", "region": "cervical", "nerve": "none"}]}',
    ],
)
def test_awkward_visit_lines_get_what_the_ordinary_path_gives(cli: Any, line: str) -> None:
    [fast] = batch(cli, [line])
    try:
        [ordinary] = batch(cli, [compact(line)])
    except ValueError:  # not JSON at all: only the error line can be compared
        assert "error" in fast and fast["line"] == 1
        return
    assert fast == ordinary


def test_a_line_that_is_not_utf8_inside_a_problem_is_an_error_line(cli: Any) -> None:
    good = json.dumps({"_id": "a", "pain_course": "acute", "problems": [NECK]}).encode()
    bad = good.replace(b"cervical", b"cervic\xe9l")
    out = batch(cli, good + b"\n" + bad + b"\n" + good + b"\n")
    assert [line["line"] for line in out] == [1, 2, 3]
    assert "error" not in out[0] and out[2] == {**out[0], "line": 3}
    assert out[1]["error"].startswith("not UTF-8")


def test_the_same_problem_under_other_shared_answers_walks_again(cli: Any) -> None:
    """A problem's text is remembered with the shared answers it was walked under."""
    lines = [
        json.dumps({"_id": str(n), **shared, "problems": [NECK, PROBLEMS[2]]})
        for n, shared in enumerate(SHARED)
    ]
    fast = batch(cli, lines)
    ordinary = batch(cli, [compact(line) for line in lines])
    assert fast == ordinary
    assert len({json.dumps(line["codes"]) for line in fast}) > 1


@pytest.mark.parametrize(
    "line",
    [
        '{"_id": "a", "problems": [{"trauma": "no", "trauma": "yes"}]}',
        '{"_id": "a", "pain_course": "acute", "pain_course": "chronic", '
        '"problems": [{"trauma": "no", "region": "cervical", "nerve": "none"}]}',
        '{"_id": "a", "problems": [{"trauma": "no"}], "problems": [{"trauma": "no"}]}',
    ],
)
def test_a_key_given_twice_in_a_visit_is_an_error_line(cli: Any, line: str) -> None:
    [out] = batch(cli, [line])
    assert "given twice" in out["error"] and out["line"] == 1


VISIT_LINE = json.dumps(
    {
        "_id": "v1",
        "pain_course": "chronic",
        "problems": [NECK, {"trauma": "no", "region": ["thoracic", "lumbar"], "nerve": "none"}],
    }
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    cuts=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(VISIT_LINE)),
            st.integers(min_value=0, max_value=6),
            st.sampled_from(['"', "{", "}", "[", "]", ", ", ": ", "\\", "}, {", "_", "é", ""]),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_a_mangled_visit_line_gives_one_line_as_the_ordinary_path_would(
    cli: Any, cuts: list[tuple[int, int, str]]
) -> None:
    """Characters cut out of a visit line and others put in: exactly one line out, and when
    the result is still JSON, the same result as the same record written compactly."""
    line = VISIT_LINE
    for at, length, text in cuts:
        line = line[:at] + text + line[at + length :]
    if "\n" in line or not line.strip():
        return
    [fast] = batch(cli, [line])
    assert fast["line"] == 1
    try:
        [ordinary] = batch(cli, [compact(line)])
    except ValueError:
        assert "error" in fast
        return
    if "given twice" in fast.get("error", ""):
        return  # json.loads, which `compact` uses, keeps the last of a key given twice
    assert fast == ordinary


@pytest.mark.parametrize("with_id", [True, False])
def test_a_visit_of_too_many_problems_is_refused_alike_on_both_paths(
    cli: Any, with_id: bool
) -> None:
    """Ten thousand problems in a line under 1 MiB took minutes and gigabytes (the
    encounter compares problems pairwise): now one error line, by either path, at once;
    a hundred, the most a record holds, are still coded."""
    head = {"_id": "v"} if with_id else {}
    lines = [
        json.dumps({**head, "pain_course": "acute", "problems": [NECK] * count})
        for count in (10_000, 101, 100)
    ]
    fast = batch(cli, lines)
    assert fast == batch(cli, [compact(line) for line in lines])
    assert [line.get("error") for line in fast[:2]] == [
        "problems lists 10,000; a record holds at most 100 problems, one per back problem "
        "of the visit",
        "problems lists 101; a record holds at most 100 problems, one per back problem "
        "of the visit",
    ]
    assert [code["code"] for code in fast[2]["codes"]] == ["M54.2"]
    assert len(fast[2]["problems"]) == 100
