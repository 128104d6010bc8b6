"""Encounters through the public interface: records with `problems`, per-problem flags, the
properties that hold for any list of problems, and the errors that name the problem."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backcoder.audit.core import Auditor
from backcoder.coding.coder import Coder
from backcoder.coding.records import parse_record
from backcoder.engine.answers import Source
from backcoder.errors import BackcoderError
from backcoder.files.bundle import load_bundle
from backcoder.files.json_writer import any_json
from backcoder.icd.conventions import Excludes1Notes

CODER = Coder(load_bundle())

NECK = {"trauma": "no", "region": "cervical", "nerve": "none"}
LUMBAR_DISC_RADICULOPATHY = {
    "trauma": "no",
    "region": "lumbar",
    "nerve": "radiculopathy",
    "cause": "disc",
}
CONTRACT_EXAMPLE = {
    "_id": "v17",
    "pain_course": "chronic",
    "reason": "other",
    "problems": [NECK, LUMBAR_DISC_RADICULOPATHY],
}

# Single problems a visit can hold, every one valid on its own (pain_course is shared).
PROBLEMS = [
    {"trauma": "no", "region": "cervical", "nerve": "none"},
    {"trauma": "no", "region": "thoracic", "nerve": "none"},
    {"trauma": "no", "region": "lumbar", "nerve": "none", "lumbar_cause": "not_documented"},
    {"trauma": "no", "region": "lumbar", "nerve": "none", "lumbar_cause": "disc_displacement"},
    {
        "trauma": "no",
        "region": "lumbar",
        "nerve": "sciatica",
        "cause": "none",
        "side": "left",
        "lumbago": "yes",
    },
    {
        "trauma": "no",
        "region": "lumbar",
        "nerve": "sciatica",
        "cause": "none",
        "side": "right",
        "lumbago": "no",
    },
    {"trauma": "no", "region": "lumbar", "nerve": "radiculopathy", "cause": "disc"},
    {
        "trauma": "no",
        "region": "cervical",
        "nerve": "radiculopathy",
        "cause": "disc",
        "disc_level": "C5-C6",
    },
    {"trauma": "no", "region": "sacral", "nerve": "none"},
    {"trauma": "no", "region": "not_documented", "nerve": "none"},
    {"trauma": "no", "region": ["cervical", "lumbar"], "nerve": "none", "lumbar_cause": "other"},
    {"trauma": "no", "attribution": "psychological"},
    {"trauma": "yes", "injury": "strain", "region": "lumbar", "encounter": "initial"},
    {"trauma": "yes", "injury": "sprain", "region": "cervical", "encounter": "initial"},
    {"trauma": "yes", "injury": "strain", "region": "cervical", "encounter": "sequela"},
    {
        "trauma": "yes",
        "injury": "fracture",
        "region": "thoracic",
        "vertebra": "T12",
        "fracture_type": "wedge_compression",
        "fracture_open": "no",
        "encounter": "initial",
    },
    {
        "trauma": "yes",
        "injury": "fracture",
        "region": "lumbar",
        "vertebra": "L1",
        "fracture_type": "stable_burst",
        "fracture_open": "no",
        "encounter": "initial",
    },
    {
        "trauma": "yes",
        "injury": "contusion",
        "region": "thoracic",
        "side": "left",
        "encounter": "initial",
    },
    {"trauma": "yes", "injury": "strain", "region": "lumbar", "encounter": "sequela"},
    {"trauma": "no", "region": "lumbar", "nerve": "none", "condition": "spondylosis"},
    {"trauma": "no", "region": "lumbar", "nerve": "radiculopathy", "cause": "spondylosis"},
    {"trauma": "no", "region": "thoracic", "nerve": "radiculopathy", "cause": "none"},
]
SHARED = [
    {"pain_course": "acute"},
    {"pain_course": "chronic", "reason": "other"},
    {"pain_course": "chronic", "reason": "pain_management"},
    {"pain_course": "chronic_pain_syndrome", "reason": "pain_management"},
    {"pain_course": "not_documented", "red_flags": ["night_pain"]},
]


def code(record: dict[str, Any]) -> dict[str, Any]:
    return any_json(CODER.code_record(parse_record(CODER.rules, record, Source.batch)))


def codes_of(data: dict[str, Any]) -> list[str]:
    return [entry["code"] for entry in data["codes"]]


def test_the_contract_example(cli: Any, tmp_path: Path) -> None:
    """The neck gets no radiculopathy of the lumbar problem (the motivating example)."""
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(CONTRACT_EXAMPLE))
    result = cli("code", "--no-input", "--json", "--answers", str(path))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert codes_of(data) == ["M54.2", "M51.16", "G89.29"]
    assert [entry["problems"] for entry in data["codes"]] == [[1], [2], [1]]
    assert [problem["codes"][0]["code"] for problem in data["problems"]] == ["M54.2", "M51.16"]
    assert data["codes"][0]["role"] == "first-listed"
    assert {step["problem"] for step in data["path"]} == {1, 2}
    assert data["answers"]["problems"][0] == NECK
    assert data["answers"]["pain_course"] == "chronic"


def test_flags_per_problem_code_like_the_file(cli: Any) -> None:
    flags = ["-a", "pain_course=chronic", "-a", "reason=other"]
    for number, problem in enumerate(CONTRACT_EXAMPLE["problems"], 1):
        flags += [
            arg for key, value in problem.items() for arg in ("-a", f"{number}.{key}={value}")
        ]
    result = cli("code", "--no-input", "--json", *flags)
    assert result.exit_code == 0, result.stderr
    assert codes_of(json.loads(result.stdout)) == ["M54.2", "M51.16", "G89.29"]


def test_save_writes_a_record_that_replays(cli: Any, tmp_path: Path) -> None:
    visit, saved = tmp_path / "visit.json", tmp_path / "saved.json"
    visit.write_text(json.dumps(CONTRACT_EXAMPLE))
    first = cli("code", "--no-input", "--json", "--answers", str(visit), "--save", str(saved))
    again = cli("code", "--no-input", "--json", "--answers", str(saved))
    assert first.exit_code == again.exit_code == 0
    assert "problems" in json.loads(saved.read_text())
    assert json.loads(first.stdout)["codes"] == json.loads(again.stdout)["codes"]


def test_a_shared_answer_is_overridden_by_a_problem(cli: Any, tmp_path: Path) -> None:
    record = {
        "trauma": "no",
        "nerve": "none",
        "pain_course": "acute",
        "region": "lumbar",
        "lumbar_cause": "other",
        "problems": [{}, {"region": "cervical"}],
    }
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(record))
    result = cli("code", "--no-input", "--json", "--answers", str(path))
    assert result.exit_code == 0, result.stderr
    assert codes_of(json.loads(result.stdout)) == ["M54.59", "M54.2"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"problems": "lumbar"}, "problems is a list of answer objects"),
        ({"problems": []}, "problems is a list of answer objects"),
        ({"problems": [NECK, "lumbar"]}, "problem 2: an object of answers, not text"),
        (
            {"problems": [NECK, {"region": "lumbr"}]},
            "problem 2: region: 'lumbr' is not one of",
        ),
        (
            {"problems": [NECK, {"trauma": "no", "nerve": "none"}]},
            "problem 2: missing answer for region",
        ),
        ({"problems": [{"problems": []}]}, "problem 1: a problem cannot hold problems"),
    ],
)
def test_bad_records_name_the_problem(
    cli: Any, tmp_path: Path, record: dict[str, Any], message: str
) -> None:
    record = {"pain_course": "acute", **record}
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(record))
    result = cli("code", "--no-input", "--answers", str(path))
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    line = cli("batch", "-", input=json.dumps(record) + "\n")
    assert line.exit_code == 1
    assert message in json.loads(line.stdout)["error"]


def test_a_problem_with_no_answers_of_its_own_is_refused(cli: Any) -> None:
    result = cli("code", "--no-input", "-a", "trauma=no", "-a", "2.region=lumbar")
    assert result.exit_code == 2
    assert "problem 1 has no answers of its own" in result.stderr


@pytest.mark.parametrize(
    "problem", PROBLEMS, ids=lambda p: "-".join(str(v) for v in p.values())[:40]
)
def test_one_problem_record_codes_like_the_flat_record(problem: dict[str, Any]) -> None:
    flat = code({**problem, "pain_course": "chronic", "reason": "other"})
    visit = code({"pain_course": "chronic", "reason": "other", "problems": [problem]})
    assert codes_of(visit) == codes_of(flat)
    assert visit["problems"][0]["codes"] == flat["codes"]
    assert visit["problems"][0]["queries"] == flat["queries"]


def test_a_flat_record_keeps_todays_fields(cli: Any) -> None:
    result = cli(
        "code",
        "--no-input",
        "--json",
        *[f"-a{k}={v}" for k, v in {**NECK, "pain_course": "acute"}.items()],
    )
    data = json.loads(result.stdout)
    assert "problems" not in data and "problems" not in data["codes"][0]


def _billable(code: str) -> bool:
    info = CODER.bundle.tabular.info(code)
    return info is not None and info.billable


NOTES = Excludes1Notes(CODER.bundle.tabular)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shared=st.sampled_from(SHARED),
    problems=st.lists(st.sampled_from(PROBLEMS), min_size=1, max_size=4),
)
def test_any_list_of_valid_problems_gives_billable_codes_without_an_unresolved_pair(
    shared: dict[str, Any], problems: list[dict[str, Any]]
) -> None:
    try:
        data = code({**shared, "problems": problems})
    except BackcoderError as error:  # a combination this tree refuses, with one line
        assert str(error) and "\n" not in str(error)
        return
    codes = codes_of(data)
    assert codes and len(codes) == len(set(codes))
    assert all(_billable(code) for code in codes)
    for first, second in itertools.combinations(codes, 2):
        if NOTES.conflict(first, second) and not CODER.rules.excludes1_exception(first, second):
            # resolved as unrelated across problems, and the rationale says so
            assert any(
                first in entry["reason"]
                and second in entry["reason"]
                and any("I.A.12.a" in source for source in entry["sources"])
                for entry in data["rationale"]
            ), (first, second, data["rationale"])
    roles = [entry["role"] for entry in data["codes"]]
    assert roles[1:] == ["additional"] * (len(roles) - 1)
    assert all(entry["problems"] for entry in data["codes"])


AUDITOR = Auditor()
# What the encounter settles between problems; the audit of its codes must find none of it.
SETTLED = {"invalid-code", "not-billable", "missing-seventh", "excludes1", "duplicate"}
SETTLED |= {"symptom-with-definitive", "combination-code", "less-specific"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shared=st.sampled_from(SHARED),
    problems=st.lists(st.sampled_from(PROBLEMS), min_size=1, max_size=3),
)
@example(shared=SHARED[0], problems=[PROBLEMS[2], PROBLEMS[-4]])  # LBP, lumbar strain sequela
@example(shared=SHARED[1], problems=[PROBLEMS[-1], PROBLEMS[-2]])  # thoracic radiculopathy
def test_the_audit_of_an_encounter_against_its_answers_finds_nothing_to_settle(
    shared: dict[str, Any], problems: list[dict[str, Any]]
) -> None:
    """One home for the conventions: what the encounter reports from its answers, the audit
    of the same codes with the same answers accepts."""
    record = {**shared, "problems": problems}
    try:
        data = code(record)
    except BackcoderError:
        return
    codes = codes_of(data)
    claim = {"date_of_service": "2026-06-01", "codes": codes, "answers": record}
    findings = AUDITOR.audit(claim)["findings"]
    assert not [f for f in findings if f["rule"] in SETTLED], (codes, findings)


def test_symptom_beside_the_injury_that_explains_it_is_left_out() -> None:
    data = code({"pain_course": "acute", "problems": [PROBLEMS[2], PROBLEMS[12]]})
    assert codes_of(data) == ["S39.012A"]
    assert "I.B.5" in json.dumps(data["rationale"])


def test_symptom_at_another_site_is_kept() -> None:
    data = code({"pain_course": "acute", "problems": [PROBLEMS[0], PROBLEMS[12]]})
    assert codes_of(data) == ["M54.2", "S39.012A"]


def test_the_same_code_from_two_problems_is_reported_once() -> None:
    data = code(
        {"pain_course": "acute", "problems": [PROBLEMS[0], {**PROBLEMS[0], "red_flags": "none"}]}
    )
    assert codes_of(data) == ["M54.2"]
    assert data["codes"][0]["problems"] == [1, 2]


def test_g89_at_a_pain_management_encounter_is_first_whatever_the_order() -> None:
    acute_neck = {**PROBLEMS[0], "pain_course": "acute"}
    record = {
        "pain_course": "chronic",
        "reason": "pain_management",
        "problems": [acute_neck, PROBLEMS[2]],
    }
    data = code(record)
    assert codes_of(data) == ["G89.29", "M54.2", "M54.50"]
    assert data["codes"][0]["problems"] == [2]
    assert "I.C.6.b.1" in json.dumps(data["rationale"])


def test_lumbago_with_sciatica_is_kept_over_low_back_pain() -> None:
    data = code({"pain_course": "acute", "problems": [PROBLEMS[2], PROBLEMS[4]]})
    assert codes_of(data) == ["M54.42"]
    assert "Excludes1" in json.dumps(data["rationale"])


def test_two_fractures_after_one_fall() -> None:
    data = code({"pain_course": "acute", "problems": [PROBLEMS[15], PROBLEMS[16]]})
    assert codes_of(data) == ["S22.080A", "S32.011A"]


def test_batch_lines_equal_the_code_result(cli: Any) -> None:
    """The batch joins cached fragments; the result must be the one `code` builds."""
    records = [
        {**shared, "problems": [PROBLEMS[a], PROBLEMS[b]]}
        for shared in SHARED[:3]
        for a, b in [(0, 2), (2, 12), (4, 6), (15, 16), (10, 9)]
    ]
    records.append({"pain_course": "acute", "problems": [PROBLEMS[3], {**PROBLEMS[0], "extra": 1}]})
    lines = "".join(json.dumps({"_id": n, **record}) + "\n" for n, record in enumerate(records))
    out = cli("batch", "-", input=lines)
    batch = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(batch) == len(records)
    for record, line in zip(records, batch, strict=True):
        try:
            expected = code(record)
        except BackcoderError as error:
            assert str(error) in line["error"]
            continue
        assert {k: v for k, v in line.items() if k not in ("line", "_id")} == expected


def test_a_missing_answer_names_the_flag_of_its_problem(cli: Any) -> None:
    args = ["-a", "pain_course=acute", "-a", "1.trauma=no", "-a", "1.region=cervical"]
    result = cli(
        "code", "--no-input", *args, "-a", "1.nerve=none", "-a", "2.trauma=no", "-a", "2.nerve=none"
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("backcoder: problem 2: missing answer for region")
    assert result.stderr.rstrip().endswith("pass -a 2.region=VALUE")
