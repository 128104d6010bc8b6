"""`backcoder explain`, `compare`, `template` and `code --template`."""

from __future__ import annotations

import json
from typing import Any

import pytest

LOW_BACK = ["-a", "trauma=no", "-a", "attribution=none", "-a", "nerve=none", "-a", "region=lumbar"]


def explained(cli: Any, code: str) -> dict[str, Any]:
    result = cli("explain", code, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_explain_an_unspecified_code_fully(cli: Any) -> None:
    data = explained(cli, "M54.9")
    assert data["title"] == "Dorsalgia, unspecified" and data["billable"]
    assert {"from": "M54.9", "kind": "inclusion", "text": "Back pain NOS"} in data["notes"]
    assert {"from": "M54", "kind": "excludes1", "text": "psychogenic dorsalgia (F45.41)"} in data[
        "notes"
    ]
    assert "-a region=not_documented" in data["paths"][0]
    knowledge = data["knowledge"]
    assert knowledge["covers"] == "M54.9"
    assert knowledge["use_when"] and knowledge["documentation"] and knowledge["audit_risk"]
    reach = {hint["question"]: hint["would_reach"] for hint in data["more_specific"]}
    assert reach["region"]["thoracic"] == ["M54.6"]


def test_explain_a_header_lists_the_codes_beneath(cli: Any) -> None:
    data = explained(cli, "M54.5")
    assert not data["billable"]
    assert [child["code"] for child in data["beneath"]] == ["M54.50", "M54.51", "M54.59"]
    assert not data["in_tree"]
    result = cli("explain", "M54.5")
    assert (
        "not billable: a header" in result.stdout
        and "M54.51  Vertebrogenic low back pain" in result.stdout
    )


def test_explain_an_injury_code_shows_its_seventh_characters(cli: Any) -> None:
    data = explained(cli, "s39012a")
    assert data["code"] == "S39.012A"
    assert data["seventh_characters"] == {
        "A": "initial encounter",
        "D": "subsequent encounter",
        "S": "sequela",
    }
    assert "-a injury=strain" in data["paths"][0] and "-a encounter=initial" in data["paths"][0]
    assert data["knowledge"]["covers"] == "S39.012-"


def test_explain_any_valid_code_gets_the_tabular_part(cli: Any) -> None:
    data = explained(cli, "M79.1")
    assert data["title"] and data["in_tree"] is False and data["paths"] == []
    text = cli("explain", "M79.1").stdout
    assert "The shipped tree does not report this code." in text


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            "M54.52",
            "M54.52 does not exist in ICD-10-CM (April 1, 2026): did you mean M54.50, M54.51, M54.59?",
        ),
        (
            "S39.012",
            "S39.012 is not complete: it needs a 7th character (S39.012A, S39.012D, S39.012S)",
        ),
        ("back pain", "'back pain' is not shaped like an ICD-10-CM code"),
    ],
)
def test_bad_codes_get_one_line_and_exit_2(cli: Any, code: str, message: str) -> None:
    result = cli("explain", code)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"backcoder: {message}" or message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("typed", "code"), [("m5450", "M54.50"), ("m549", "M54.9"), (" g89.29 ", "G89.29")]
)
def test_lower_case_and_missing_dots_are_accepted(cli: Any, typed: str, code: str) -> None:
    assert explained(cli, typed)["code"] == code


def test_compare_names_the_deciding_question(cli: Any) -> None:
    result = cli("compare", "M54.9", "M54.6", "M54.50", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [entry["code"] for entry in data["codes"]] == ["M54.9", "M54.6", "M54.50"]
    assert data["deciding_question"]["question"] == "region"
    assert data["deciding_question"]["answers"] == {
        "M54.9": "not_documented",
        "M54.6": "thoracic",
        "M54.50": "lumbar",
    }
    text = cli("compare", "M54.9", "M54.6", "M54.50").stdout
    assert (
        "Decided by region" in text and "When to use" in text and "Pain in thoracic spine" in text
    )


def test_compare_needs_two_codes_and_valid_ones(cli: Any) -> None:
    assert cli("compare", "M54.9").exit_code == 2
    result = cli("compare", "M54.9", "M54.52")
    assert result.exit_code == 2 and "M54.52 does not exist" in result.stderr


def test_template_marks_the_fields_the_tree_needs(cli: Any) -> None:
    result = cli("template", "M54.50")
    assert result.exit_code == 0
    text = result.stdout
    for heading in (
        "ONSET AND DURATION",
        "LOCATION AND RADIATION",
        "NEUROLOGICAL FINDINGS",
        "RED FLAGS ASKED AND ANSWERED",
        "PLAN",
    ):
        assert heading in text
    assert "* Region of the pain or injury: Lumbar (low back)" in text
    assert "* Low back pain documented as: not stated: M54.50 is the code" in text
    assert "TO SUPPORT M54.50" in text
    assert "\x1b[" not in text


def test_code_with_template_and_checklist(cli: Any) -> None:
    result = cli(
        "code",
        "--no-input",
        *LOW_BACK,
        "-a",
        "lumbar_cause=not_documented",
        "-a",
        "pain_course=acute",
        "--template",
    )
    assert result.exit_code == 0
    assert "Documentation checklist" in result.stdout
    assert "Documentation template for M54.50 Low back pain, unspecified" in result.stdout
    data = json.loads(
        cli(
            "code",
            "--no-input",
            "--json",
            *LOW_BACK,
            "-a",
            "lumbar_cause=not_documented",
            "-a",
            "pain_course=acute",
        ).stdout
    )
    assert [item["question"] for item in data["checklist"]] == ["lumbar_cause"]
    assert data["checklist"][0]["section"] == "character"


def test_every_code_the_tree_reports_is_explained_fully(bundle: Any) -> None:
    from backcoder.coding.codebook import CodeBook

    book = CodeBook(bundle)
    for code in bundle.derived.codes:
        explained = book.explain(code)
        assert explained["title"] == bundle.tabular.info(code).title
        assert explained["in_tree"] and explained["paths"], code
        knowledge = explained["knowledge"]
        assert knowledge and knowledge["use_when"] and knowledge["documentation"], code
        assert f"TO SUPPORT {code}" in book.template(code)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["explain", "S12.9"],
            "S12.9 is not complete: it needs a 7th character (S12.9XXA, S12.9XXD, S12.9XXS)",
        ),
        (["explain", ".M54"], "'.M54' is not shaped like an ICD-10-CM code"),
        (["explain", "M54..50"], "'M54..50' is not shaped like an ICD-10-CM code"),
        (
            ["template", "M54.5"],
            "M54.5 is a header, not a reportable code: choose M54.50, M54.51, M54.59",
        ),
        (
            ["compare", "M54.50", "m5450"],
            "compare takes two or more different codes, not M54.50 alone",
        ),
    ],
)
def test_more_bad_codes(cli: Any, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2 and message in result.stderr


def test_a_category_with_more_characters_to_come_is_a_header(cli: Any) -> None:
    data = explained(cli, "S32.0")
    assert not data["billable"] and "S32.01" in [child["code"] for child in data["beneath"]]


def test_template_for_a_code_outside_the_tree_marks_nothing(cli: Any) -> None:
    text = cli("template", "M79.18").stdout
    assert "The shipped tree does not report this code: no field is marked." in text
    assert "* " not in text
