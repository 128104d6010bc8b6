"""FHIR read a third time, as an EHR integrator would: every resource backcoder writes is
valid R4 (the fhir.resources models), a form filled in and fed back codes as the same
answers given as flags, each Condition carries the ICD-10-CM coding with the tabular's
title in reporting order, and any FHIR input backcoder cannot code is refused in one line,
exit 2. The expected codes were written from the guidelines before the tool was run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import simple_icd_10_cm as icd

from tests.conftest import codes_of, flags
from tests.fhir_forms import as_lists, filled_response

pytest.importorskip("fhir.resources.R4B")

from fhir.resources.R4B.bundle import Bundle  # noqa: E402
from fhir.resources.R4B.questionnaire import Questionnaire  # noqa: E402

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
URL = "urn:backcoder:rules:back-pain"
NO_CAUSE = dict(trauma="no", attribution="none", nerve="none")

VISITS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("acute low back pain", {**NO_CAUSE, "region": "lumbar", "lumbar_cause": "other",
                             "pain_course": "acute"}, ["M54.59"]),
    ("low back pain, cause not documented", {**NO_CAUSE, "region": "lumbar",
     "lumbar_cause": "not_documented", "pain_course": "acute"}, ["M54.50"]),
    ("lumbar radiculopathy from a disc", dict(trauma="no", attribution="none",
     nerve="radiculopathy", cause="disc", region="lumbar", pain_course="acute"), ["M51.16"]),
    ("chronic neck pain", {**NO_CAUSE, "region": "cervical", "pain_course": "chronic",
                           "reason": "other"}, ["M54.2", "G89.29"]),
    ("chronic neck pain, pain management visit", {**NO_CAUSE, "region": "cervical",
     "pain_course": "chronic", "reason": "pain_management"}, ["G89.29", "M54.2"]),
    ("right sciatica with lumbago", dict(trauma="no", attribution="none", nerve="sciatica",
     cause="none", side="right", lumbago="yes", region="lumbar", pain_course="acute"),
     ["M54.41"]),
    ("neck and low back pain", {**NO_CAUSE, "region": ["cervical", "lumbar"],
     "lumbar_cause": "other", "pain_course": "acute"}, ["M54.2", "M54.59"]),
    ("lumbar spinal stenosis with neurogenic claudication", {**NO_CAUSE,
     "condition": "stenosis", "claudication": "yes", "region": "lumbar",
     "pain_course": "acute"}, ["M48.062"]),
    ("low back strain, initial encounter", dict(trauma="yes", injury="strain",
     region="lumbar", encounter="initial"), ["S39.012A"]),
    ("osteoporotic L1 wedge fracture, initial encounter", dict(trauma="no",
     fracture_cause="osteoporosis", region="lumbar", vertebra="L1",
     fracture_type="wedge_compression", encounter="initial", pain_course="acute"),
     ["M80.08XA"]),
]  # fmt: skip


@pytest.fixture(scope="module")
def questionnaire() -> dict[str, Any]:
    """The Questionnaire as `questions --format fhir` writes it, validated as R4."""
    from typer.testing import CliRunner

    from backcoder.cli import app

    result = CliRunner().invoke(app, ["questions", "--format", "fhir"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    Questionnaire.model_validate_json(result.stdout)
    return json.loads(result.stdout)


def _conditions_checked(text: str, codes: list[str]) -> list[Any]:
    """The Conditions of a `--format fhir` Bundle, each checked against what an EHR reads:
    the ICD-10-CM system, the dotted code, the tabular's official title, encounter-diagnosis,
    one per code in reporting order."""
    bundle = Bundle.model_validate_json(text)
    assert bundle.type == "collection"
    conditions = [entry.resource for entry in bundle.entry]
    assert [condition.get_resource_type() for condition in conditions] == ["Condition"] * len(codes)
    for position, (condition, code) in enumerate(zip(conditions, codes, strict=True)):
        [coding] = condition.code.coding
        assert (coding.system, coding.code) == (ICD10CM, code)
        assert coding.display == icd.get_description(code)
        [category] = condition.category
        assert category.coding[0].code == "encounter-diagnosis"
        assert category.coding[0].system == (
            "http://terminology.hl7.org/CodeSystem/condition-category"
        )
        assert condition.note[0].text.startswith(
            f"Reporting order: {position + 1} of {len(codes)}, "
            + ("first-listed" if position == 0 else "additional")
        )
        assert condition.subject is not None
    return conditions


@pytest.mark.parametrize(("name", "answers", "codes"), VISITS, ids=[v[0] for v in VISITS])
def test_a_filled_form_codes_as_its_flags_and_comes_back_as_conditions(
    cli: Any,
    questionnaire: dict[str, Any],
    tmp_path: Path,
    name: str,
    answers: dict[str, Any],
    codes: list[str],
) -> None:
    from_flags = cli("code", "--no-input", "--json", *flags(answers))
    assert from_flags.exit_code == 0, from_flags.stderr
    assert codes_of(from_flags.stdout) == codes, name
    path = tmp_path / "response.json"
    response = filled_response(questionnaire, as_lists(answers))
    path.write_text(response.model_dump_json(exclude_none=True), encoding="utf-8")
    as_fhir = cli("code", "--no-input", "--format", "fhir", "--answers", str(path))
    assert as_fhir.exit_code == 0, as_fhir.stderr
    _conditions_checked(as_fhir.stdout, codes)


TWO_PROBLEMS: list[tuple[dict[str, Any], list[tuple[str, list[int]]]]] = [
    (
        {
            "pain_course": "chronic",
            "reason": "other",
            "problems": [
                {**NO_CAUSE, "region": "cervical"},
                {**NO_CAUSE, "nerve": "radiculopathy", "cause": "disc", "region": "lumbar"},
            ],
        },
        [("M54.2", [1]), ("M51.16", [2]), ("G89.29", [1])],
    ),
    (
        {
            "problems": [
                {"trauma": "yes", "injury": "strain", "region": "lumbar", "encounter": "initial"},
                {**NO_CAUSE, "region": "cervical", "pain_course": "acute"},
            ],
        },
        [("S39.012A", [1]), ("M54.2", [2])],
    ),
]


def _problem_flags(record: dict[str, Any]) -> list[str]:
    shared = {key: value for key, value in record.items() if key != "problems"}
    out = flags(shared)
    for number, problem in enumerate(record["problems"], start=1):
        out += flags({f"{number}.{key}": value for key, value in problem.items()})
    return out


@pytest.mark.parametrize(("record", "expected"), TWO_PROBLEMS, ids=["neck+radic", "strain+neck"])
def test_a_two_problem_visit_is_one_bundle_naming_each_codes_problems(
    cli: Any, tmp_path: Path, record: dict[str, Any], expected: list[tuple[str, list[int]]]
) -> None:
    """encounters.md: each code once, in reporting order, with the problems it came from."""
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    from_file = cli("code", "--no-input", "--format", "fhir", "--answers", str(path))
    assert from_file.exit_code == 0, from_file.stderr
    from_flags = cli("code", "--no-input", "--format", "fhir", *_problem_flags(record))
    assert from_flags.stdout == from_file.stdout
    conditions = _conditions_checked(from_file.stdout, [code for code, _ in expected])
    for condition, (_, problems) in zip(conditions, expected, strict=True):
        numbers = ", ".join(str(number) for number in problems)
        assert condition.note[0].text.endswith(f"for problem {numbers}.")
        assert len(condition.evidence) == len(problems)


def test_two_problem_visits_through_one_fhir_batch(cli: Any) -> None:
    """`batch --format fhir`: one Bundle a line, the line's `_id` as its identifier."""
    lines = "\n".join(json.dumps({"_id": f"v{n}", **r}) for n, (r, _) in enumerate(TWO_PROBLEMS))
    batch = cli("batch", "--format", "fhir", "-", input=lines + "\n")
    assert batch.exit_code == 0, batch.stderr
    for number, (text, (_, codes)) in enumerate(
        zip(batch.stdout.splitlines(), TWO_PROBLEMS, strict=True)
    ):
        assert Bundle.model_validate_json(text).identifier.value == f"v{number}"
        _conditions_checked(text, [code for code, _ in codes])


def _item(link: str, *codes: str) -> dict[str, Any]:
    return {"linkId": link, "answer": [{"valueCoding": {"code": code}} for code in codes]}


LOW_BACK = [
    _item("trauma", "no"),
    _item("attribution", "none"),
    _item("nerve", "none"),
    _item("region", "lumbar"),
    _item("lumbar_cause", "other"),
    _item("pain_course", "acute"),
]


def _response(items: Any = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{URL}|1.0.0",
        "status": "completed",
        "item": LOW_BACK if items is None else items,
    }
    return {key: value for key, value in {**data, **changes}.items() if value is not None}


def _answer(kind: str, value: Any) -> list[dict[str, Any]]:
    return [{"linkId": "trauma", "answer": [{kind: value}]}, *LOW_BACK[1:]]


HOSTILE: list[tuple[str, Any, str]] = [
    ("another questionnaire", _response(questionnaire="http://example.org/Questionnaire/phq-9|3"),
     "a response to http://example.org/Questionnaire/phq-9, not to " + URL),
    ("a relative reference, not the canonical url",
     _response(questionnaire="Questionnaire/back-pain"),
     f"a response to Questionnaire/back-pain, not to {URL}"),
    ("an unknown linkId", _response([*LOW_BACK, _item("smoker", "yes")]),
     "unknown question id 'smoker'"),
    ("a record id as a linkId", _response([*LOW_BACK, _item("_id", "v1")]),
     'item "_id" is not a question of the Questionnaire'),
    ("problems as a linkId", _response([*LOW_BACK, _item("problems", "two")]),
     'item "problems" is not a question of the Questionnaire'),
    ("valueString", _response(_answer("valueString", "no")),
     "item trauma: the answer is not a coding; answer with valueCoding (system "
     f"{URL}:trauma"),
    ("valueBoolean", _response(_answer("valueBoolean", False)),
     "item trauma: the answer is not a coding"),
    ("valueInteger", _response(_answer("valueInteger", 0)),
     "item trauma: the answer is not a coding"),
    ("a coding without a code", _response(_answer("valueCoding", {"display": "No"})),
     "item trauma: the answer is not a coding"),
    ("another question's code system", _response(_answer(
     "valueCoding", {"system": f"{URL}:fracture_open", "code": "no"})),
     f"the coding's system is {URL}:fracture_open, not {URL}:trauma"),
    ("several answers to a single-answer item",
     _response([_item("trauma", "no", "yes"), *LOW_BACK[1:]]),
     "trauma takes one value, not 2 (no,yes)"),
    ("a required item missing", _response(LOW_BACK[1:]), "missing answer for trauma"),
    ("an empty item list", _response([]), "missing answer for trauma"),
    ("no item at all", _response(item=None), "missing answer for trauma"),
    ("item not a list", _response({"linkId": "trauma"}),
     "not a valid FHIR R4 QuestionnaireResponse (item: "),
    ("an item without linkId", _response([{"answer": [{"valueCoding": {"code": "no"}}]}]),
     "not a valid FHIR R4 QuestionnaireResponse (item.0.linkId"),
    ("an element R4 does not have", _response() | {"priority": "high"},
     "not a valid FHIR R4 QuestionnaireResponse (priority"),
    ("no status", _response(status=None), "not a valid FHIR R4 QuestionnaireResponse (status"),
    ("a second problem as a second group", _response([
     {"linkId": "problem-1", "item": LOW_BACK},
     {"linkId": "problem-2", "item": [_item("trauma", "no"), _item("region", "cervical")]}]),
     "item trauma is answered twice; answer it once"),
    ("a linkId across two lines, answered as text", _response(
     [{"linkId": "trauma\nsmoker", "answer": [{"valueString": "no"}]}, *LOW_BACK[1:]]),
     'item "trauma\\nsmoker" is not a question of the Questionnaire'),
    ("a Bundle", {"resourceType": "Bundle", "type": "collection"},
     "a FHIR Bundle, not a QuestionnaireResponse"),
    ("a Patient", {"resourceType": "Patient", "name": [{"family": "Doe"}]},
     "a FHIR Patient, not a QuestionnaireResponse"),
    ("resourceType across two lines", {"resourceType": "Bundle\nPatient"},
     'resourceType "Bundle\\nPatient" names no FHIR resource'),
    ("resourceType null", {"resourceType": None, "trauma": "no"},
     "resourceType null names no FHIR resource"),
    ("resourceType a list", {"resourceType": ["QuestionnaireResponse"]},
     'resourceType ["QuestionnaireResponse"] names no FHIR resource'),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_fhir_input_backcoder_cannot_code_is_one_line(
    cli: Any, tmp_path: Path, name: str, data: Any, message: str
) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(path))
    assert (result.exit_code, result.stdout) == (2, ""), name
    assert message in result.stderr
    assert result.stderr.startswith("backcoder: ") and result.stderr.count("\n") == 1


def test_nested_answers_and_groups_are_read_at_any_depth(cli: Any, tmp_path: Path) -> None:
    """Items under an answer (R4's nesting for a question's follow-ups) and groups within
    groups are the same answers as a flat list."""
    under_answer = {
        "linkId": "trauma",
        "answer": [
            {
                "valueCoding": {"code": "no", "system": f"{URL}:trauma"},
                "item": [{"linkId": "history", "item": LOW_BACK[1:3]}],
            }
        ],
    }
    deep = {"linkId": "g1", "item": [{"linkId": "g2", "item": [{"linkId": "g3", "item": []}]}]}
    deep["item"][0]["item"][0]["item"] = LOW_BACK[3:]
    path = tmp_path / "response.json"
    path.write_text(json.dumps(_response([under_answer, deep])), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(path))
    assert result.exit_code == 0, result.stderr
    assert codes_of(result.stdout) == ["M54.59"]
    replay = cli("code", "--no-input", "--json", "--answers", "-", input=path.read_text())
    assert codes_of(replay.stdout) == ["M54.59"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"resourceType": "QuestionnaireResponse", ', "not valid JSON"),
        ('[{"resourceType": "QuestionnaireResponse"}]', "an answers file is a mapping"),
    ],
)
def test_a_file_that_is_not_a_resource_is_one_line(
    cli: Any, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "response.json"
    path.write_text(text, encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(path))
    assert result.exit_code == 2 and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_response_without_the_extra_names_the_install(
    cli: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    path = tmp_path / "response.json"
    path.write_text(json.dumps(_response()), encoding="utf-8")
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B", None)
    for extra in ([], ["--format", "fhir"]):
        result = cli("code", "--no-input", *extra, "--answers", str(path))
        assert result.exit_code == 2
        assert result.stderr == (
            "backcoder: FHIR output and input need the fhir.resources library: "
            "pip install 'backcoder[fhir]'\n"
        )
