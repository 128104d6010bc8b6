"""The rule language's constructs for the tree's reach: refusals, quiet asks, queries an
outcome raises, and the declared scope that `rules check` proves is reached."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from backcoder.engine.answers import Answer, Source
from backcoder.engine.walk import Engine, Finished
from backcoder.language.model import validate_rules
from tests.conftest import flags
from tests.test_cli_rules import TINY, write_rules

M54_9 = {"code": "M54.9", "kind": "symptom", "why": "w", "cite": [{"guideline": "I.B.18"}]}


def rules_with(**extra: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(TINY))
    data.update(extra)
    return data


# ------------------------------------------------------------------ refusals


def refusing() -> dict[str, Any]:
    """A tree that refuses the mid site: a deliberate end, with a message naming `site`."""
    data = rules_with()
    data["nodes"]["mid"] = {"refuse": "no code here; give site=neck", "naming": ["site"]}
    return data


def test_a_refusal_is_a_deliberate_end_for_the_proof(cli: Any, tmp_path: Path) -> None:
    result = cli("rules", "check", str(write_rules(tmp_path, refusing())))
    assert result.exit_code == 0, result.stderr


def test_a_refusal_is_one_line_and_exit_2_naming_the_answers(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, refusing())
    result = cli("code", "--no-input", "--rules", str(path), "-a", "site=mid")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "site=mid: no code here; give site=neck" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_refusal_must_name_real_questions(cli: Any, tmp_path: Path) -> None:
    data = refusing()
    data["nodes"]["mid"]["naming"] = ["sight"]
    result = cli("rules", "check", str(write_rules(tmp_path, data)))
    assert result.exit_code == 2
    assert "mid: names 'sight', which is not a question" in result.stderr


def test_a_refusal_without_naming_is_invalid() -> None:
    data = refusing()
    data["nodes"]["mid"]["naming"] = []
    with pytest.raises(ValueError, match="names the answers"):
        validate_rules(data)


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        (
            {"condition": "disc_displacement", "region": "coccygeal"},
            ["condition=disc_displacement", "region=coccygeal"],
        ),
        (
            {"condition": "disc_degeneration", "region": "sacroiliac"},
            ["condition=disc_degeneration", "region=sacroiliac"],
        ),
        (
            {"condition": "disc_displacement", "region": "sacral"},
            ["condition=disc_displacement", "region=sacral"],
        ),
        (
            {"condition": "disc_displacement", "region": "occipito_atlanto_axial"},
            ["condition=disc_displacement", "region=occipito_atlanto_axial"],
        ),
        (
            {"condition": "sacroiliitis", "region": "lumbar"},
            ["condition=sacroiliitis", "region=lumbar"],
        ),
        (
            {"condition": "disc_displacement", "lumbar_cause": "other", "region": "lumbar"},
            ["condition=disc_displacement", "lumbar_cause=other"],
        ),
        (
            {"condition": "spondylosis", "lumbar_cause": "vertebrogenic", "region": "lumbar"},
            ["condition=spondylosis", "lumbar_cause=vertebrogenic"],
        ),
        (
            {
                "condition": "disc_degeneration",
                "lumbar_cause": "disc_displacement",
                "region": "lumbar",
            },
            ["condition=disc_degeneration", "lumbar_cause=disc_displacement"],
        ),
    ],
)
def test_the_shipped_tree_refuses_a_condition_where_it_cannot_be(
    cli: Any, answers: dict[str, str], named: list[str]
) -> None:
    record = {"trauma": "no", "attribution": "none", "nerve": "none", "pain_course": "acute"}
    result = cli("code", "--no-input", *flags({**record, **answers}))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and all(fragment in lines[0] for fragment in named), lines


@pytest.mark.parametrize(
    "answers",
    [
        {"trauma": "no", "fracture_cause": "injury"},
        {"trauma": "not_documented", "fracture_cause": "injury"},
        {"trauma": "yes", "injury": "fracture", "fracture_cause": "none"},
    ],
)
def test_a_fracture_cause_that_contradicts_trauma_is_refused(
    cli: Any, answers: dict[str, str]
) -> None:
    result = cli("code", "--no-input", *flags({**answers, "region": "lumbar"}))
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and f"fracture_cause={answers['fracture_cause']}" in line
    assert f"trauma={answers['trauma']}" in line


def test_a_refusal_is_an_error_line_in_a_batch(cli: Any, tmp_path: Path) -> None:
    good = {"trauma": "no", "attribution": "none", "nerve": "none", "region": "cervical"}
    lines = [
        {"_id": "a", **good, "pain_course": "acute"},
        {"_id": "b", **good, "condition": "sacroiliitis", "pain_course": "acute"},
        {"_id": "c", **good, "condition": "spondylosis", "pain_course": "acute"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = cli("batch", str(source))
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [entry["_id"] for entry in out] == ["a", "b", "c"]
    assert "condition=sacroiliitis with region=cervical" in out[1]["error"]
    assert [code["code"] for code in out[2]["codes"]] == ["M47.812"]


# ------------------------------------------------------------------ quiet asks


def quiet_rules() -> dict[str, Any]:
    data = rules_with()
    data["questions"]["check"] = {
        "text": "Check:",
        "choices": {"ok": {"label": "OK"}, "bad": {"label": "Bad"}},
    }
    data["nodes"]["neck_check"] = {
        "ask": "check",
        "quiet": True,
        "default": ["ok"],
        "branches": {"ok": "neck", "bad": "refused"},
    }
    data["nodes"]["refused"] = {"refuse": "check disagrees with site", "naming": ["check", "site"]}
    data["nodes"]["site"]["branches"]["neck"] = "neck_check"
    return data


def test_a_quiet_ask_never_waits_for_an_answer() -> None:
    engine = Engine(validate_rules(quiet_rules()))
    given = {"site": Answer(("neck",), Source.prompt)}
    outcome = engine.run(given, use_defaults=False)
    assert isinstance(outcome, Finished)
    assert [reported.code for reported in outcome.walk.codes] == ["M54.2"]


def test_a_quiet_ask_takes_the_records_answer(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, quiet_rules())
    result = cli("code", "--no-input", "--rules", str(path), "-a", "site=neck", "-a", "check=bad")
    assert result.exit_code == 2
    assert "check=bad with site=neck: check disagrees with site" in result.stderr


def test_a_quiet_ask_needs_a_default() -> None:
    data = quiet_rules()
    del data["nodes"]["neck_check"]["default"]
    with pytest.raises(ValueError, match="quiet ask node needs a `default`"):
        validate_rules(data)


# ------------------------------------------------------------------ queries raised by outcomes


def test_an_outcome_raises_its_query(cli: Any, tmp_path: Path) -> None:
    data = rules_with()
    data["nodes"]["mid"]["query"] = {"about": "site", "text": "Please clarify the level."}
    path = write_rules(tmp_path, data)
    result = cli("code", "--no-input", "--json", "--rules", str(path), "-a", "site=mid")
    assert result.exit_code == 0, result.stderr
    (query,) = json.loads(result.stdout)["queries"]
    assert query["question"] == "site" and query["query"] == "Please clarify the level."
    assert query["options"][:2] == ["Neck", "Mid"]
    assert query["options"][-1] == "Clinically undetermined"


def test_the_shipped_tree_queries_a_disc_level_it_cannot_place(cli: Any) -> None:
    answers = {
        "trauma": "no",
        "attribution": "none",
        "nerve": "sciatica",
        "cause": "disc",
        "region": "thoracic",
        "pain_course": "acute",
    }
    result = cli("code", "--no-input", "--json", *flags(answers))
    output = json.loads(result.stdout)
    assert [code["code"] for code in output["codes"]] == ["M54.6", "M51.9"]
    (query,) = output["queries"]
    assert "level of the intervertebral disc" in query["query"]


# ------------------------------------------------------------------ scope


def test_a_code_in_scope_that_no_path_reaches_is_a_defect(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, rules_with(scope=["M54.2", "M54.6", "M54.9"]))
    result = cli("rules", "check", str(path))
    assert result.exit_code == 2
    assert f"{path}: scope M54.9: in the tree's scope, but no path reports it" in result.stderr


def test_a_code_left_out_with_its_reason_passes(cli: Any, tmp_path: Path) -> None:
    data = rules_with(
        scope=["M54.2", "M54.6", "M54.9"],
        left_out=[{"code": "M54.9", "why": "this tree always knows the site"}],
    )
    assert cli("rules", "check", str(write_rules(tmp_path, data))).exit_code == 0


@pytest.mark.parametrize(
    ("left_out", "reason"),
    [
        ("M54.2", "a path reports M54.2: it is not left out"),
        ("M54.50", "not a billable code of the declared scope"),
        ("M54.99", "M54.99 is not a code in the ICD-10-CM tabular"),
    ],
)
def test_left_out_entries_are_checked(cli: Any, tmp_path: Path, left_out: str, reason: str) -> None:
    data = rules_with(scope=["M54.2", "M54.6"], left_out=[{"code": left_out, "why": "w"}])
    result = cli("rules", "check", str(write_rules(tmp_path, data)))
    assert result.exit_code == 2
    assert f"left_out {left_out}: {reason}" in result.stderr


def test_a_family_in_scope_covers_its_seventh_characters(cli: Any, tmp_path: Path) -> None:
    data = rules_with(scope=["M54.2", "S39.012-"])
    result = cli("rules", "check", str(write_rules(tmp_path, data)))
    for code in ("S39.012A", "S39.012D", "S39.012S"):
        assert f"scope {code}: in the tree's scope" in result.stderr


def test_the_shipped_tree_reaches_its_scope_or_says_why(bundle: Any) -> None:
    rules = bundle.rules
    assert {"M47.81-", "M48.0-", "M50.2-", "M50.3-", "M46.1", "M80.08-", "S20.22-"} <= set(
        rules.scope
    )
    reasons = {entry.code: entry.why for entry in rules.left_out}
    assert "M51.361" in reasons and "S20.224-" in reasons
    assert {"S20.221A", "M51.24", "M51.34", "M47.816", "M48.062"} <= set(bundle.derived.codes)


# ------------------------------------------------------------------ the new codes, looked up


@pytest.mark.parametrize(
    ("code", "flag"),
    [
        ("M47.816", "-a condition=spondylosis"),
        ("M48.062", "-a claudication=yes"),
        ("M50.222", "-a disc_level=C5-C6"),
        ("M46.1", "-a condition=sacroiliitis"),
        ("M80.08XA", "-a fracture_cause=osteoporosis"),
        ("M48.46XS", "-a fracture_cause=fatigue"),
        ("S10.83XA", "-a injury=contusion"),
    ],
)
def test_explain_knows_the_new_codes(cli: Any, code: str, flag: str) -> None:
    result = cli("explain", code, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["in_tree"] and data["knowledge"]["use_when"]
    assert any(flag in path for path in data["paths"]), data["paths"]


def test_compare_names_claudication_between_the_lumbar_stenosis_codes(cli: Any) -> None:
    data = json.loads(cli("compare", "M48.061", "M48.062", "--json").stdout)
    assert data["deciding_question"]["question"] == "claudication"
    assert data["deciding_question"]["answers"] == {"M48.061": "no", "M48.062": "yes"}


def test_template_marks_the_condition_fields(cli: Any) -> None:
    text = cli("template", "M48.062").stdout
    assert "* Definitive diagnosis documented as the source of the pain: Spinal stenosis" in text
    assert "* Neurogenic claudication documented with the lumbar stenosis: Yes" in text


def test_the_checklist_says_documenting_the_condition_would_give_its_code(cli: Any) -> None:
    answers = {
        "trauma": "no",
        "attribution": "none",
        "nerve": "none",
        "condition": "not_documented",
        "region": "lumbar",
        "lumbar_cause": "other",
        "pain_course": "acute",
    }
    output = json.loads(cli("code", "--no-input", "--json", *flags(answers)).stdout)
    assert [item["question"] for item in output["checklist"]] == ["condition"]
    (hint,) = output["more_specific"]
    assert hint["question"] == "condition"
    assert hint["would_reach"]["spondylosis"] == ["M47.816"]


# ------------------------------------------------------------------ site groups


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"site": "site", "site_groups": [["neck", "nape"]]}, r"\['nape'\] are not choices"),
        (
            {"site": "site", "site_groups": [["neck", "mid"], ["mid"]]},
            "belongs to one group at most",
        ),
        ({"site_groups": [["neck", "mid"]]}, "site_groups need `site`"),
        ({"site": "site", "junctions": {"mid": ["neck", "nape"]}}, r"\['nape'\] are not choices"),
        ({"junctions": {"mid": ["neck"]}}, "junctions need `site`"),
    ],
)
def test_site_groups_name_values_of_the_site_question_once(
    extra: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        validate_rules(rules_with(**extra))


def test_a_site_group_makes_its_values_one_site() -> None:
    rules = validate_rules(rules_with(site="site", site_groups=[["neck", "mid"]]))
    assert rules.site_of("mid") == rules.site_of("neck") == "neck"
    assert validate_rules(rules_with(site="site")).site_of("mid") == "mid"


# ------------------------------------------------------------------ combination codes

COMBINATION = {
    "why": "spondylosis with radiculopathy is the one combination code of its region",
    "cite": [{"guideline": "I.B.9"}],
}


def test_a_combination_names_the_code_it_identifies_and_the_combination_code() -> None:
    rules = validate_rules(
        rules_with(combinations=[{**COMBINATION, "pairs": [["M47.816", "M47.26"]]}])
    )
    assert rules.combination("M47.816", "M47.26") is rules.combinations[0]
    assert rules.combination("M47.26", "M47.816") is None  # the combination code stays
    assert rules.combination("M47.817", "M47.26") is None  # regions must agree exactly


def test_a_combination_pair_has_two_codes_and_no_unknown_keys() -> None:
    with pytest.raises(ValueError):
        validate_rules(rules_with(combinations=[{**COMBINATION, "pairs": [["M47.816"]]}]))
    with pytest.raises(ValueError):
        validate_rules(
            rules_with(combinations=[{**COMBINATION, "pairs": [], "codes": ["M47.816"]}])
        )


def test_the_proof_refuses_a_combination_naming_a_code_that_is_not_billable(
    cli: Any, tmp_path: Path
) -> None:
    pairs = [["M47.816", "M47.2"], ["M47.816", "M47.26"]]
    data = rules_with(combinations=[{**COMBINATION, "pairs": pairs}])
    result = cli("rules", "check", str(write_rules(tmp_path, data)))
    assert result.exit_code == 2
    assert "combinations 1" in result.stderr + result.stdout
    assert "M47.2 is not a billable code" in result.stderr + result.stdout
    assert "M47.26 is not" not in result.stderr + result.stdout


def test_the_proof_refuses_a_path_reporting_a_code_beside_its_combination_code(
    cli: Any, tmp_path: Path
) -> None:
    data = rules_with(combinations=[{**COMBINATION, "pairs": [["M47.816", "M47.26"]]}])
    spondylosis = {"kind": "diagnosis", "why": "w", "cite": [{"guideline": "I.B.9"}]}
    data["nodes"]["mid"] = {
        "report": [{**spondylosis, "code": "M47.26"}, {**spondylosis, "code": "M47.816"}]
    }
    result = cli("rules", "check", str(write_rules(tmp_path, data)))
    assert result.exit_code == 2
    assert "reports M47.816 beside M47.26, which identifies it (I.B.9)" in result.stderr


def test_a_junction_meets_its_neighbours_not_another_junction() -> None:
    data = rules_with(site="site", junctions={"mid": ["neck"]})
    data["questions"]["site"]["choices"]["low"] = {"label": "Low"}
    data["questions"]["site"]["choices"]["lowmid"] = {"label": "Low-mid"}
    data["junctions"]["lowmid"] = ["low"]
    rules = validate_rules(data)
    assert rules.sites_meet("mid", "neck") and rules.sites_meet("neck", "mid")
    assert not rules.sites_meet("mid", "low")
    assert not rules.sites_meet("mid", "lowmid")
