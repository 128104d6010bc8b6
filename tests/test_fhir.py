"""FHIR in and out: the tree as a Questionnaire, a QuestionnaireResponse coded, results as
Bundles of Conditions; every resource validated by the FHIR models (fhir.resources)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from backcoder.coding.bundle import RuleBundle
from backcoder.engine.explore import explore
from backcoder.engine.walk import Engine
from tests.conftest import codes_of, flags
from tests.fhir_forms import (
    as_lists,
    enabled,
    filled_response,
    in_dependency_order,
    initial_selections,
)
from tests.test_cases import CASES_TABLE

pytest.importorskip("fhir.resources.R4B")

from fhir.resources.R4B.bundle import Bundle  # noqa: E402
from fhir.resources.R4B.questionnaire import Questionnaire  # noqa: E402

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOW_BACK = dict(
    trauma="no", attribution="none", nerve="none", region="lumbar", lumbar_cause="other"
)


@pytest.fixture(scope="module")
def questionnaire() -> dict[str, Any]:
    from typer.testing import CliRunner

    from backcoder.cli import app

    result = CliRunner().invoke(app, ["questions", "--format", "fhir"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    Questionnaire.model_validate_json(result.stdout)  # valid R4
    return json.loads(result.stdout)


def _items(questionnaire: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["linkId"]: item for item in questionnaire["item"]}


def test_one_item_per_question_with_coded_options(
    questionnaire: dict[str, Any], bundle: RuleBundle
) -> None:
    rules = bundle.rules
    assert questionnaire["resourceType"] == "Questionnaire"
    assert (
        "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire"
        in (questionnaire["meta"]["profile"])
    )
    assert questionnaire["url"] == "urn:backcoder:rules:back-pain"
    assert questionnaire["version"] == rules.version
    items = _items(questionnaire)
    assert list(items) == list(rules.questions)
    for question_id, question in rules.questions.items():
        item = items[question_id]
        assert item["type"] == "choice" and item["text"] == question.text
        assert item.get("repeats", False) == question.multiple
        codings = [option["valueCoding"] for option in item["answerOption"]]
        assert [coding["code"] for coding in codings] == list(question.choices)
        assert {coding["system"] for coding in codings} == {
            f"urn:backcoder:rules:back-pain:{question_id}"
        }
        assert [c["display"] for c in codings] == [c.label for c in question.choices.values()]


def test_r4_invariants_the_models_do_not_check(questionnaire: dict[str, Any]) -> None:
    """que-2 unique linkIds, que-6 display items neither required nor repeating, que-7
    `exists` takes a boolean, que-11 no `initial` beside answerOption, que-12 a behaviour
    for several enableWhen; cnl-0 a computable name."""

    def every(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [found for item in items for found in [item, *every(item.get("item", []))]]

    items = every(questionnaire["item"])
    links = [item["linkId"] for item in items]
    assert len(links) == len(set(links))
    for item in items:
        if item["type"] == "display":
            assert not {"required", "repeats", "item", "answerOption"} & set(item)
        assert not ("initial" in item and "answerOption" in item)
        conditions = item.get("enableWhen", [])
        if len(conditions) > 1:
            assert item["enableBehavior"] in ("any", "all")
        for condition in conditions:
            if condition["operator"] == "exists":
                assert isinstance(condition["answerBoolean"], bool)
            assert condition["question"] in links
    assert re.fullmatch(r"[A-Z]([A-Za-z0-9_]){0,254}", questionnaire["name"])


def test_defaults_help_and_required(questionnaire: dict[str, Any]) -> None:
    items = _items(questionnaire)
    red_flags = items["red_flags"]
    selected = [
        o["valueCoding"]["code"] for o in red_flags["answerOption"] if o.get("initialSelected")
    ]
    assert selected == ["none"]
    assert "initial" not in red_flags  # que-11: options carry the default instead
    [help_item] = items["injury"]["item"]
    assert help_item["type"] == "display" and help_item["linkId"] == "injury.help"
    assert help_item["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "help"
    assert "Sprain" in help_item["text"] or "ligament" in help_item["text"]
    assert items["trauma"].get("required") is True  # asked on every path, no default
    # defaults of one point of the tree cannot be initial selections: the help says them
    assert not [o for o in items["fracture_cause"]["answerOption"] if o.get("initialSelected")]
    [cause_help] = items["fracture_cause"]["item"]
    labels = {
        o["valueCoding"]["code"]: o["valueCoding"]["display"]
        for o in items["fracture_cause"]["answerOption"]
    }
    assert cause_help["text"].endswith(
        f"Left empty where the tree takes a default of its own, it is coded as: "
        f"{labels['injury']} or {labels['none']}."
    )
    assert "required" not in items["region"]


def test_enable_when_follows_the_tree(questionnaire: dict[str, Any]) -> None:
    items = _items(questionnaire)
    injury = items["injury"]
    assert [
        (c["question"], c["operator"], c["answerCoding"]["code"]) for c in injury["enableWhen"]
    ] == [("trauma", "=", "yes")]
    attribution = items["attribution"]  # trauma is not yes and no fracture is documented
    assert attribution["enableBehavior"] == "all"
    # fracture_cause defaults to none there, so a form may leave it empty: `!=` each other
    # cause (true while no answer equals), never `= none`, which an empty item fails
    others = ["injury", "osteoporosis", "osteoporosis_other", "neoplasm", "other_disease"]
    others += ["fatigue", "collapsed", "not_documented"]
    assert [
        (c["question"], c["operator"], c.get("answerCoding", {}).get("code"))
        for c in attribution["enableWhen"]
    ] == [("trauma", "exists", None), ("trauma", "!=", "yes")] + [
        ("fracture_cause", "!=", cause) for cause in others
    ]
    assert "enableWhen" not in items["trauma"]
    order = in_dependency_order(questionnaire)
    answered = {"trauma": ["no"], "fracture_cause": ["none"], "attribution": ["none"]}
    shown = enabled(order, {**answered, "nerve": ["sciatica"]})
    assert {"attribution", "nerve", "cause"} <= shown
    assert not {"injury", "encounter", "vertebra", "lumbar_cause"} & shown
    assert "nerve" not in enabled(order, {"trauma": ["yes"], "attribution": ["none"]})


@pytest.mark.parametrize(
    ("answers", "shown", "hidden"),
    [
        # trauma=no: fracture_cause left empty is its default there (none)
        ({"trauma": ["no"]}, {"fracture_cause", "attribution", "nerve"}, {"encounter"}),
        ({"trauma": ["no"], "fracture_cause": ["none"]}, {"attribution"}, {"encounter"}),
        # a fracture that is not an injury: its encounter, not the pain questions
        (
            {"trauma": ["no"], "fracture_cause": ["osteoporosis"], "encounter": ["subsequent"]},
            {"encounter", "healing"},
            {"attribution", "nerve", "injury", "vertebra"},
        ),
        # an injury fracture: fracture_cause left empty is its default there (injury)
        (
            {"trauma": ["yes"], "injury": ["fracture"], "encounter": ["initial"]},
            {"fracture_cause", "encounter", "vertebra", "fracture_type", "fracture_open"},
            {"attribution", "healing"},
        ),
        (
            {"trauma": ["yes"], "injury": ["fracture"], "fracture_cause": ["osteoporosis"]},
            {"encounter"},
            {"vertebra", "fracture_type", "fracture_open"},
        ),
        # no fracture, no fracture cause: a question asked on routes with nothing in common
        (
            {"trauma": ["yes"], "injury": ["sprain"]},
            {"encounter", "region"},
            {"fracture_cause", "attribution", "vertebra", "healing"},
        ),
        # a quiet lumbar_cause left empty is its default (other): claudication still shows
        (
            {"trauma": ["no"], "nerve": ["none"], "condition": ["stenosis"], "region": ["lumbar"]},
            {"condition", "claudication"},
            {"cause", "lumbago"},
        ),
    ],
)
def test_a_question_left_at_its_default_keeps_the_form_going(
    questionnaire: dict[str, Any], answers: dict[str, list[str]], shown: set[str], hidden: set[str]
) -> None:
    """Node-level defaults (fracture_cause: injury after an injury, none without trauma)
    cannot be initial selections, since one item has one; an empty item counts as the
    default wherever a later question depends on it."""
    order = in_dependency_order(questionnaire)
    answers = {**initial_selections(questionnaire), **answers}
    visible = enabled(order, answers)
    assert shown <= visible and not hidden & visible


def test_a_response_that_leaves_a_defaulted_item_empty_codes_as_the_default(
    cli: Any, questionnaire: dict[str, Any], tmp_path: Path
) -> None:
    """An injury's fracture left without a cause codes as an injury (S32.0-), and low back
    pain without trauma left without a fracture cause codes as no fracture (M54.50)."""
    injury = {"trauma": "yes", "injury": "fracture", "encounter": "initial", "region": "lumbar"}
    injury |= {"vertebra": "L1", "fracture_type": "wedge_compression", "fracture_open": "no"}
    pain = {**LOW_BACK, "lumbar_cause": "not_documented", "pain_course": "acute"}
    for answers, expected in [(injury, ["S32.010A"]), (pain, ["M54.50"])]:
        response = filled_response(questionnaire, as_lists(answers))
        assert "fracture_cause" not in {item.linkId for item in response.item}
        path = tmp_path / "response.json"
        path.write_text(response.model_dump_json(exclude_none=True), encoding="utf-8")
        result = json.loads(cli("code", "--no-input", "--json", "--answers", str(path)).stdout)
        assert [line["code"] for line in result["codes"]] == expected
        [step] = [step for step in result["path"] if step["question"] == "fracture_cause"]
        assert step["source"] == "default"


def test_enable_when_never_hides_a_question_any_path_asks(
    questionnaire: dict[str, Any], bundle: RuleBundle
) -> None:
    """Over every path of the tree, each question asked is one the form shows."""
    order = in_dependency_order(questionnaire)
    tested = {c["question"] for item in order for c in item.get("enableWhen", [])}
    shown_for: dict[tuple[Any, ...], set[str]] = {}
    problems: list[Any] = []
    paths = 0
    for finished in explore(Engine(bundle.rules), problems):
        paths += 1
        answers = {step.question: list(step.answer.values) for step in finished.walk.path}
        key = tuple((q, tuple(v)) for q, v in answers.items() if q in tested)
        if key not in shown_for:
            shown_for[key] = enabled(order, answers)
        hidden = set(answers) - shown_for[key]
        assert not hidden, f"hidden {hidden} on the path {answers}"
    assert paths > 10000 and not problems


def _one_problem_records() -> list[dict[str, Any]]:
    """The encounter table's one-problem records, flattened (the form is one problem's):
    they code as the flat record (encounters.md)."""
    from tests.test_encounters import ONE_PROBLEM, ready

    return [
        {
            "id": case["id"],
            "rule": case["why"],
            "codes": case["codes"],
            "answers": {
                **{k: v for k, v in case["record"].items() if k != "problems"},
                **case["record"]["problems"][0],
            },
        }
        for case in ONE_PROBLEM
        if ready(case) and "disputed" not in case
    ]


ROUND_TRIPS = CASES_TABLE + _one_problem_records()


@pytest.mark.parametrize("case", ROUND_TRIPS, ids=[case["id"] for case in ROUND_TRIPS])
def test_round_trip_gives_the_codes_of_flags(
    cli: Any, questionnaire: dict[str, Any], case: dict[str, Any], tmp_path: Path
) -> None:
    """Questionnaire -> the response a form gives for the case -> `code --answers`."""
    response = filled_response(questionnaire, as_lists(case["answers"]))
    path = tmp_path / "response.json"
    path.write_text(response.model_dump_json(exclude_none=True), encoding="utf-8")
    from_fhir = cli("code", "--no-input", "--json", "--answers", str(path))
    assert from_fhir.exit_code == 0, from_fhir.stderr
    assert codes_of(from_fhir.stdout) == case["codes"], case["rule"]
    sources = {step["source"] for step in json.loads(from_fhir.stdout)["path"]}
    assert sources <= {"file", "default"}


def test_flags_win_over_a_response(cli: Any, questionnaire: dict[str, Any], tmp_path: Path) -> None:
    response = filled_response(questionnaire, as_lists({**LOW_BACK, "pain_course": "acute"}))
    path = tmp_path / "response.json"
    path.write_text(response.model_dump_json(), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(path), "-a", "region=thoracic")
    assert codes_of(result.stdout) == ["M54.6"]


def _response(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "urn:backcoder:rules:back-pain|1.0.0",
        "status": "completed",
        "item": [{"linkId": "trauma", "answer": [{"valueCoding": {"code": "no"}}]}],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            _response(questionnaire="http://example.org/Questionnaire/phq-9"),
            "a response to http://example.org/Questionnaire/phq-9, not to "
            "urn:backcoder:rules:back-pain (the rule set back-pain)",
        ),
        (_response(questionnaire=None), "a response naming no questionnaire"),
        (_response(item=[{"answer": [{"valueCoding": {"code": "no"}}]}]), "item.0.linkId"),
        (_response(status="finished"), "status 'finished' is not a QuestionnaireResponse status"),
        (_response(status=7), "not a valid FHIR R4 QuestionnaireResponse (status"),
        (
            _response(item=[{"linkId": "trauma", "answer": [{"valueString": "no"}]}]),
            "item trauma: the answer is not a coding",
        ),
        (
            _response(
                item=[
                    {
                        "linkId": "trauma",
                        "answer": [
                            {"valueCoding": {"system": "http://snomed.info/sct", "code": "no"}}
                        ],
                    }
                ]
            ),
            "the coding's system is http://snomed.info/sct, not urn:backcoder:rules:back-pain:trauma",
        ),
        (
            _response(item=[{"linkId": "trauma", "answer": [{"valueCoding": {"code": "maybe"}}]}]),
            "trauma: 'maybe' is not one of yes, no, not_documented",
        ),
        (
            _response(item=[{"linkId": "trama", "answer": [{"valueCoding": {"code": "no"}}]}]),
            "unknown question id 'trama': did you mean trauma?",
        ),
        (
            {"resourceType": "Questionnaire", "status": "active"},
            "a FHIR Questionnaire, not a QuestionnaireResponse",
        ),
    ],
)
def test_a_response_backcoder_cannot_code_is_one_line(
    cli: Any, tmp_path: Path, data: dict[str, Any], message: str
) -> None:
    data = {key: value for key, value in data.items() if value is not None}
    path = tmp_path / "response.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_nested_and_multiple_answers_are_read(cli: Any, tmp_path: Path) -> None:
    item = lambda link, *codes: {  # noqa: E731
        "linkId": link,
        "answer": [{"valueCoding": {"code": code}} for code in codes],
    }
    group = {
        "linkId": "history",
        "item": [item("trauma", "no"), item("attribution", "none"), item("nerve", "none")],
    }
    data = _response(
        item=[group, item("region", "cervical", "thoracic"), item("pain_course", "acute")]
    )
    path = tmp_path / "response.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(path))
    assert result.exit_code == 0, result.stderr
    assert codes_of(result.stdout) == ["M54.2", "M54.6"]


def _bundle_of(text: str) -> Bundle:
    return Bundle.model_validate_json(text)


def test_code_writes_a_bundle_of_conditions_in_reporting_order(cli: Any) -> None:
    answers = dict(trauma="no", attribution="none", nerve="none", region="lumbar")
    answers |= dict(lumbar_cause="other", pain_course="chronic", reason="pain_management")
    as_json = json.loads(cli("code", "--no-input", "--json", *flags(answers)).stdout)
    result = cli("code", "--no-input", "--format", "fhir", *flags(answers))
    assert result.exit_code == 0, result.stderr
    bundle = _bundle_of(result.stdout)
    assert bundle.type == "collection"
    conditions = [entry.resource for entry in bundle.entry]
    assert [c.get_resource_type() for c in conditions] == ["Condition", "Condition"]
    codings = [c.code.coding[0] for c in conditions]
    assert [(x.system, x.code, x.display) for x in codings] == [
        (ICD10CM, line["code"], line["description"]) for line in as_json["codes"]
    ]
    assert [x.code for x in codings] == ["G89.29", "M54.59"]  # I.C.6.b.1: G89 first
    first, second = conditions
    assert first.note[0].text.startswith("Reporting order: 1 of 2, first-listed")
    assert any("I.C.6.b.1" in note.text for note in first.note)
    assert second.note[0].text.startswith("Reporting order: 2 of 2, additional")
    evidence = {
        coding.system.rsplit(":", 1)[1]: coding.code
        for concept in first.evidence[0].code
        for coding in concept.coding
    }
    assert evidence["region"] == "lumbar" and evidence["reason"] == "pain_management"
    assert first.category[0].coding[0].code == "encounter-diagnosis"


def test_decisions_without_codes_and_red_flags_go_on_the_first_condition(cli: Any) -> None:
    answers = dict(LOW_BACK, pain_course="acute", red_flags="cauda_equina")
    bundle = _bundle_of(cli("code", "--no-input", "--format", "fhir", *flags(answers)).stdout)
    notes = [note.text for note in bundle.entry[0].resource.note]
    assert any(text.startswith("Decision: No G89 code") for text in notes)
    assert any("cauda equina" in text for text in notes)


def test_format_and_json_cannot_contradict(cli: Any) -> None:
    result = cli("code", "--no-input", "--json", "--format", "fhir", *flags(LOW_BACK))
    assert result.exit_code == 2
    assert "--json and --format fhir contradict" in result.stderr


def test_batch_writes_one_bundle_per_line(cli: Any, tmp_path: Path) -> None:
    lines = [json.dumps({"_id": case["id"], **case["answers"]}) for case in CASES_TABLE]
    lines += ['{"_id": "bad", "trauma": "maybe"}', "not json", '{"trauma": "no"}']
    source = tmp_path / "records.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("batch", "--format", "fhir", str(source))
    assert result.exit_code == 1
    assert "3 of" in result.stderr and "OperationOutcome" in result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(lines)
    for case, text in zip(CASES_TABLE, out, strict=False):
        bundle = _bundle_of(text)
        assert bundle.identifier.value == case["id"]
        assert [e.resource.code.coding[0].code for e in bundle.entry] == case["codes"]
    errors = [_bundle_of(text) for text in out[len(CASES_TABLE) :]]
    outcomes = [bundle.entry[0].resource for bundle in errors]
    assert all(outcome.get_resource_type() == "OperationOutcome" for outcome in outcomes)
    messages = [outcome.issue[0].diagnostics for outcome in outcomes]
    first = len(CASES_TABLE) + 1
    assert messages[0] == f"line {first}: trauma: 'maybe' is not one of yes, no, not_documented"
    assert messages[1].startswith(f"line {first + 1}: not valid JSON")
    assert re.match(
        rf"line {first + 2}: missing answer for \w+ .*; add it to the line$", messages[2]
    )
    assert errors[0].identifier.value == "bad" and errors[1].identifier is None


def test_without_the_extra_one_line_names_the_install(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "fhir.resources.R4B", None)
    commands = [
        ["questions", "--format", "fhir"],
        ["code", "--format", "fhir", *flags(LOW_BACK)],  # refused before any question
        ["batch", "--format", "fhir", "-"],
    ]
    for args in commands:
        result = cli(*args)
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            "backcoder: FHIR output and input need the fhir.resources library: "
            "pip install 'backcoder[fhir]'"
        )


def test_fhir_is_imported_only_when_used() -> None:
    script = (
        "import sys\n"
        "from backcoder.cli import main\n"
        "sys.argv = ['backcoder', 'code', '--no-input', '--json', '-a', 'trauma=no',"
        " '-a', 'attribution=psychological']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
        "assert 'fhir.resources' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


ENCOUNTER = {
    "trauma": "no",
    "attribution": "none",
    "pain_course": "chronic",
    "reason": "other",
    "problems": [
        {"region": "cervical", "nerve": "none"},
        {"region": "lumbar", "nerve": "radiculopathy", "cause": "disc"},
    ],
}


def test_an_encounter_is_one_bundle_with_each_code_once(cli: Any, tmp_path: Path) -> None:
    """encounters.md: each code once, the problems it came from as its evidence."""
    path = tmp_path / "visit.json"
    path.write_text(json.dumps(ENCOUNTER), encoding="utf-8")
    as_json = json.loads(cli("code", "--no-input", "--json", "--answers", str(path)).stdout)
    result = cli("code", "--no-input", "--format", "fhir", "--answers", str(path))
    assert result.exit_code == 0, result.stderr
    conditions = [entry.resource for entry in _bundle_of(result.stdout).entry]
    assert [c.code.coding[0].code for c in conditions] == [c["code"] for c in as_json["codes"]]
    for condition, line in zip(conditions, as_json["codes"], strict=True):
        assert len(condition.evidence) == len(line["problems"])
        numbers = ", ".join(str(n) for n in line["problems"])
        assert condition.note[0].text.endswith(f"for problem {numbers}.")
        regions = {
            coding.code
            for concept in condition.evidence[0].code
            for coding in concept.coding
            if coding.system.endswith(":region")
        }
        assert regions == {["cervical", "lumbar"][line["problems"][0] - 1]}


def test_batch_codes_an_encounter_line(cli: Any) -> None:
    lines = json.dumps({"_id": "v17", **ENCOUNTER}) + "\n" + '{"problems": []}\n'
    result = cli("batch", "--format", "fhir", "-", input=lines)
    first, second = (_bundle_of(text) for text in result.stdout.splitlines())
    assert first.identifier.value == "v17" and len(first.entry) >= 2
    assert second.entry[0].resource.issue[0].diagnostics.startswith("line 2: problems is a list")


def test_another_rule_set_names_its_own_questionnaire(cli: Any, tmp_path: Path) -> None:
    from tests.test_cli_rules import TINY, write_rules

    path = write_rules(tmp_path, TINY)
    result = cli("questions", "--format", "fhir", "--rules", str(path))
    assert result.exit_code == 0, result.stderr
    questionnaire = Questionnaire.model_validate_json(result.stdout)
    assert questionnaire.url == "urn:backcoder:rules:tiny" and questionnaire.name == "Tiny"
    [item] = questionnaire.item
    assert item.linkId == "site" and item.required is True and item.enableWhen is None
    assert item.answerOption[0].valueCoding.system == "urn:backcoder:rules:tiny:site"
    response = tmp_path / "response.json"
    response.write_text(json.dumps(_response()), encoding="utf-8")  # to back-pain's
    refused = cli("code", "--no-input", "--rules", str(path), "--answers", str(response))
    assert refused.exit_code == 2
    assert "not to urn:backcoder:rules:tiny (the rule set tiny)" in refused.stderr


def test_a_form_left_at_its_initial_selections_codes_like_the_defaults(
    cli: Any, questionnaire: dict[str, Any], tmp_path: Path
) -> None:
    """Questions with a scripted default start selected, so a form that leaves them shows
    what depends on them (nerve needs attribution=none)."""
    answers = {"trauma": "no", "nerve": "none", "region": "lumbar", "lumbar_cause": "other"}
    answers["pain_course"] = "acute"
    response = filled_response(questionnaire, as_lists(answers))
    assert {item.linkId for item in response.item} >= {"red_flags", "attribution", "nerve"}
    path = tmp_path / "response.json"
    path.write_text(response.model_dump_json(), encoding="utf-8")
    from_form = cli("code", "--no-input", "--json", "--answers", str(path))
    assert (
        codes_of(from_form.stdout)
        == codes_of(cli("code", "--no-input", "--json", *flags(answers)).stdout)
        == ["M54.59"]
    )
