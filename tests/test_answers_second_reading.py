"""A second reading of the answer vocabulary and the encounter record rules, as a user meets them.

The cases below were written from the contract (answers.md, encounters.md), the README and
the coding guidelines before backcoder was run on them: every id and value of the table with
its meaning, `not_documented` wherever a question takes it (least specific correct code and a
physician query), the result's fields, batch's line-for-line promise, exit statuses, and
hostile but plausible inputs (each one clear line, the right status, never a traceback). Each
answer set runs three ways: `-a` flags, an `--answers` file and a `batch` line, because
scripts use all three and the contract promises the same codes from each.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest
import simple_icd_10_cm as cm

from tests.conftest import flags
from tests.test_terminal import ANOTHER, PROMPT

Cli = Callable[..., Any]

NO_TRAUMA = {"trauma": "no", "attribution": "none"}
LOW_BACK = {**NO_TRAUMA, "nerve": "none", "region": "lumbar", "pain_course": "acute"}
STRAIN = {"trauma": "yes", "injury": "strain", "region": "lumbar", "encounter": "initial"}
L1_FRACTURE = {
    "trauma": "yes",
    "injury": "fracture",
    "region": "lumbar",
    "vertebra": "L1",
    "fracture_type": "wedge_compression",
    "encounter": "initial",
    "fracture_open": "no",
}
T6_FRACTURE = {
    "trauma": "yes",
    "injury": "fracture",
    "region": "thoracic",
    "vertebra": "T6",
    "fracture_type": "unstable_burst",
    "encounter": "subsequent",
}
SCIATICA = {**NO_TRAUMA, "nerve": "sciatica", "cause": "none", "region": "lumbar"}
SCIATICA_NO_LUMBAGO = {**SCIATICA, "lumbago": "no", "pain_course": "acute"}
RADICULOPATHY = {**NO_TRAUMA, "nerve": "radiculopathy", "pain_course": "acute"}
CERVICAL_DISC = {**RADICULOPATHY, "cause": "disc", "region": "cervical"}

# (answers, codes in reporting order, questions queried): expected from the guidelines and
# the contract's meaning of each value, not from backcoder's output.
CASES: dict[str, tuple[dict[str, Any], list[str], list[str]]] = {
    "low back pain, cause not documented": (
        {**LOW_BACK, "lumbar_cause": "not_documented"},
        ["M54.50"],
        ["lumbar_cause"],
    ),
    "trauma not documented codes as non-traumatic and queries": (
        {**LOW_BACK, "trauma": "not_documented", "lumbar_cause": "other"},
        ["M54.59"],
        ["trauma"],
    ),
    "strain is muscle: lumbar S39.012": (STRAIN, ["S39.012A"], []),
    "sprain is ligament: lumbar S33.5": ({**STRAIN, "injury": "sprain"}, ["S33.5XXA"], []),
    "sprain of the sacroiliac joint": (
        {**STRAIN, "injury": "sprain", "region": "sacroiliac"},
        ["S33.6XXA"],
        [],
    ),
    "sprain of the cervical spine": (
        {**STRAIN, "injury": "sprain", "region": "cervical"},
        ["S13.4XXA"],
        [],
    ),
    "sprain of the thoracic spine": (
        {**STRAIN, "injury": "sprain", "region": "thoracic"},
        ["S23.3XXA"],
        [],
    ),
    "injury type not documented, lower back": (
        {**STRAIN, "injury": "not_documented"},
        ["S39.92XA"],
        ["injury"],
    ),
    "injury type not documented, neck": (
        {**STRAIN, "injury": "not_documented", "region": "cervical"},
        ["S19.9XXA"],
        ["injury"],
    ),
    "thoracic contusion, right": (
        {**STRAIN, "injury": "contusion", "region": "thoracic", "side": "right"},
        ["S20.221A"],
        [],
    ),
    "thoracic contusion, bilateral has its own code": (
        {**STRAIN, "injury": "contusion", "region": "thoracic", "side": "bilateral"},
        ["S20.223A"],
        [],
    ),
    "thoracic contusion, side not documented": (
        {**STRAIN, "injury": "contusion", "region": "thoracic", "side": "not_documented"},
        ["S20.229A"],
        ["side"],
    ),
    "closed L1 wedge compression fracture": (L1_FRACTURE, ["S32.010A"], []),
    "open fracture": ({**L1_FRACTURE, "fracture_open": "yes"}, ["S32.010B"], []),
    "open or closed not documented is closed, with a query": (
        {**L1_FRACTURE, "fracture_open": "not_documented"},
        ["S32.010A"],
        ["fracture_open"],
    ),
    "lumbar vertebra not documented": (
        {**L1_FRACTURE, "vertebra": "not_documented"},
        ["S32.000A"],
        ["vertebra"],
    ),
    "fracture type not documented, T12": (
        {**L1_FRACTURE, "region": "thoracic", "vertebra": "T12", "fracture_type": "not_documented"},
        ["S22.089A"],
        ["fracture_type"],
    ),
    "routine healing is D": ({**T6_FRACTURE, "healing": "routine"}, ["S22.052D"], []),
    "delayed healing is G": ({**T6_FRACTURE, "healing": "delayed"}, ["S22.052G"], []),
    "nonunion is K": ({**T6_FRACTURE, "healing": "nonunion"}, ["S22.052K"], []),
    "sequela is S": (
        {**L1_FRACTURE, "vertebra": "L3", "encounter": "sequela", "fracture_open": None},
        ["S32.030S"],
        [],
    ),
    "sciatica, left": ({**SCIATICA_NO_LUMBAGO, "side": "left"}, ["M54.32"], []),
    "sciatica, bilateral without a bilateral code: right and left": (
        {**SCIATICA_NO_LUMBAGO, "side": "bilateral"},
        ["M54.31", "M54.32"],
        [],
    ),
    "sciatica, side not documented": (
        {**SCIATICA_NO_LUMBAGO, "side": "not_documented"},
        ["M54.30"],
        ["side"],
    ),
    "lumbago with sciatica, left": (
        {**SCIATICA, "lumbago": "yes", "side": "left", "pain_course": "acute"},
        ["M54.42"],
        [],
    ),
    "pain exclusively psychological": (
        {"trauma": "no", "attribution": "psychological"},
        ["F45.41"],
        [],
    ),
    "neoplasm related pain at a pain-management encounter": (
        {"trauma": "no", "attribution": "neoplasm", "reason": "pain_management"},
        ["G89.3"],
        [],
    ),
    "cervical disc radiculopathy C5-C6": (
        {**CERVICAL_DISC, "disc_level": "C5-C6"},
        ["M50.122"],
        [],
    ),
    "cervical disc radiculopathy C3-C4 is high cervical": (
        {**CERVICAL_DISC, "disc_level": "C3-C4"},
        ["M50.11"],
        [],
    ),
    "cervical disc radiculopathy C7-T1 is cervicothoracic": (
        {**CERVICAL_DISC, "disc_level": "C7-T1"},
        ["M50.13"],
        [],
    ),
    "cervical disc radiculopathy, level not documented": (
        {**CERVICAL_DISC, "disc_level": "not_documented"},
        ["M50.10"],
        ["disc_level"],
    ),
    "radiculopathy with lumbar spondylosis": (
        {**RADICULOPATHY, "cause": "spondylosis", "region": "lumbar"},
        ["M47.26"],
        [],
    ),
    "radiculopathy, no cause linked": (
        {**RADICULOPATHY, "cause": "none", "region": "lumbar"},
        ["M54.16"],
        [],
    ),
    "nerve involvement not documented codes as axial pain, with a query": (
        {**LOW_BACK, "nerve": "not_documented", "lumbar_cause": "other"},
        ["M54.59"],
        ["nerve"],
    ),
    "lumbago due to disc displacement": (
        {**LOW_BACK, "lumbar_cause": "disc_displacement"},
        ["M51.26"],
        [],
    ),
    "disc degeneration, back pain only": (
        {**LOW_BACK, "lumbar_cause": "disc_degeneration", "leg_pain": "no"},
        ["M51.360"],
        [],
    ),
    "disc degeneration, back and leg pain": (
        {**LOW_BACK, "lumbar_cause": "disc_degeneration", "leg_pain": "yes"},
        ["M51.362"],
        [],
    ),
    "vertebrogenic low back pain": (
        {**LOW_BACK, "lumbar_cause": "vertebrogenic"},
        ["M54.51"],
        [],
    ),
    "chronic pain, not for pain management: site code then G89": (
        {**LOW_BACK, "lumbar_cause": "other", "pain_course": "chronic", "reason": "other"},
        ["M54.59", "G89.29"],
        [],
    ),
    "chronic pain at a pain-management encounter: G89 first": (
        {
            **LOW_BACK,
            "lumbar_cause": "other",
            "pain_course": "chronic",
            "reason": "pain_management",
        },
        ["G89.29", "M54.59"],
        [],
    ),
    "chronic pain syndrome": (
        {
            **LOW_BACK,
            "lumbar_cause": "other",
            "pain_course": "chronic_pain_syndrome",
            "reason": "other",
        },
        ["M54.59", "G89.4"],
        [],
    ),
    "pain course not documented: no G89, a query": (
        {**LOW_BACK, "lumbar_cause": "other", "pain_course": "not_documented"},
        ["M54.59"],
        ["pain_course"],
    ),
    "region not documented": (
        {**LOW_BACK, "region": "not_documented"},
        ["M54.9"],
        ["region"],
    ),
    "region not documented, radiculopathy with spondylosis": (
        {**RADICULOPATHY, "cause": "spondylosis", "region": "not_documented"},
        ["M47.20"],
        ["region"],
    ),
    "underlying condition not documented: the site code, with a query": (
        {**LOW_BACK, "region": "cervical", "condition": "not_documented"},
        ["M54.2"],
        ["condition"],
    ),
    "lumbar stenosis, claudication not documented: coded without, with a query": (
        {**LOW_BACK, "condition": "stenosis", "claudication": "not_documented"},
        ["M48.061"],
        ["claudication"],
    ),
    "a fracture without trauma, its cause not documented: collapsed vertebra NOS": (
        {
            "trauma": "no",
            "fracture_cause": "not_documented",
            "region": "lumbar",
            "encounter": "initial",
        },
        ["M48.56XA"],
        ["fracture_cause"],
    ),
    "neck and low back pain: a code for each site": (
        {**LOW_BACK, "region": ["cervical", "lumbar"], "lumbar_cause": "other"},
        ["M54.2", "M54.59"],
        [],
    ),
}


def test_every_question_that_takes_not_documented_is_queried_by_a_case(cli: Cli) -> None:
    """The cases above cover `not_documented` for each question of the shipped vocabulary
    that offers it, read from `backcoder questions --json` (a new one fails here)."""
    result = cli("questions", "--json")
    assert result.exit_code == 0, result.stderr
    offering = {
        question["id"]
        for question in json.loads(result.stdout)
        if any(choice["id"] == "not_documented" for choice in question["choices"])
    }
    covered = {
        question
        for answers, _, queried in CASES.values()
        for question in queried
        if answers.get(question) == "not_documented"
    }
    assert offering == covered


def _answers(case: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in case.items() if value is not None}


def _check(result: dict[str, Any], codes: list[str], queried: list[str]) -> None:
    assert [code["code"] for code in result["codes"]] == codes
    assert [code["role"] for code in result["codes"]] == ["first-listed"] + ["additional"] * (
        len(codes) - 1
    )
    assert sorted(query["question"] for query in result["queries"]) == sorted(queried)


@pytest.mark.parametrize("name", list(CASES))
def test_every_value_means_what_the_table_says(cli: Cli, tmp_path: Path, name: str) -> None:
    """The same answers as flags, as an answers file and as a batch line: the same codes."""
    raw, codes, queried = CASES[name]
    answers = _answers(raw)

    by_flags = cli("code", "--no-input", "--json", *flags(answers))
    assert by_flags.exit_code == 0, by_flags.stderr
    _check(json.loads(by_flags.stdout), codes, queried)

    file = tmp_path / "answers.json"
    file.write_text(json.dumps(answers), encoding="utf-8")
    by_file = cli("code", "--no-input", "--json", "--answers", str(file))
    assert by_file.exit_code == 0, by_file.stderr
    _check(json.loads(by_file.stdout), codes, queried)

    by_batch = cli("batch", "-", input=json.dumps({"_id": name, **answers}) + "\n")
    assert by_batch.exit_code == 0, by_batch.stderr
    line = json.loads(by_batch.stdout)
    assert (line["line"], line["_id"]) == (1, name)
    _check(line, codes, queried)


def test_the_result_carries_every_field_the_contract_names(cli: Cli) -> None:
    """Titles are the tabular's; the path says where each answer came from; each reason
    has a source; the rule set and the ICD-10-CM release are named."""
    answers = {**LOW_BACK, "region": "cervical,lumbar", "lumbar_cause": "not_documented"}
    result = cli("code", "--no-input", "--json", *flags(answers), "-a", "cause=disc")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    for line in data["codes"]:
        assert line["description"] == cm.get_description(line["code"])
    assert {step["question"]: step["source"] for step in data["path"]}["region"] == "flag"
    assert {step["question"]: step["source"] for step in data["path"]}["red_flags"] == "default"
    assert all(reason["sources"] for reason in data["rationale"])
    assert {reason["code"] for reason in data["rationale"]} >= {"M54.2", "M54.50"}
    assert [query["question"] for query in data["queries"]] == ["lumbar_cause"]
    assert data["unused"] == {"cause": "disc"}  # needed by no path without nerve involvement
    assert set(data["rules"]) >= {"name", "version", "icd10cm"}
    assert data["rules"]["name"] == "back-pain"


@pytest.mark.parametrize(
    "region", [["cervical", "lumbar"], "cervical,lumbar", "cervical, lumbar", "Cervical,LUMBAR"]
)
def test_several_values_in_every_form(cli: Cli, tmp_path: Path, region: Any) -> None:
    """A JSON list or a comma string, in a JSON file, a YAML file and a batch line."""
    answers = {**LOW_BACK, "lumbar_cause": "other", "region": region}
    as_json = tmp_path / "a.json"
    as_json.write_text(json.dumps(answers), encoding="utf-8")
    as_yaml = tmp_path / "a.yaml"
    as_yaml.write_text(
        "".join(f"{key}: {json.dumps(value)}\n" for key, value in answers.items()),
        encoding="utf-8",
    )
    for file in (as_json, as_yaml):
        result = cli("code", "--no-input", "--json", "--answers", str(file))
        assert result.exit_code == 0, result.stderr
        assert [c["code"] for c in json.loads(result.stdout)["codes"]] == ["M54.2", "M54.59"]
    batch = cli("batch", "-", input=json.dumps(answers) + "\n")
    assert [c["code"] for c in json.loads(batch.stdout)["codes"]] == ["M54.2", "M54.59"]


# ---------------------------------------------------------------------------------- batch


def test_batch_keeps_every_line_in_order(cli: Cli, tmp_path: Path) -> None:
    """CRLF line ends, blank and blank-looking lines, bad JSON, a bad value, a key given twice,
    a line over 1 MiB: one result per input line, in order, each with `line`; `_` keys copied
    unchanged wherever the line could be read; exit 1 with the count on standard error."""
    good = {"_id": "a", "_meta": {"k": [1, None]}, **LOW_BACK, "lumbar_cause": "other"}
    lines = [
        json.dumps(good),
        "",
        "   ",
        "{bad",
        json.dumps({"_id": "e", "trauma": "no", "region": "lumbr"}),
        json.dumps([1, 2]),
        json.dumps({**good, "_id": "big", "_pad": "x" * (1 << 20)}),
        json.dumps({**good, "_id": "b"}),
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes("\r\n".join(lines).encode("utf-8") + b"\r\n")
    out = tmp_path / "out.jsonl"
    result = cli("batch", str(source), "-o", str(out))
    assert result.exit_code == 1
    assert "6 of 8 lines" in result.stderr
    results = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in results] == list(range(1, 9))
    assert ["error" in r for r in results] == [False, True, True, True, True, True, True, False]
    assert results[0]["_meta"] == {"k": [1, None]}
    assert [c["code"] for c in results[0]["codes"]] == ["M54.59"]
    assert (
        results[4]["_id"] == "e"
        and "region: " in results[4]["error"]
        and "is not one of" in results[4]["error"]
    )
    assert results[7]["_id"] == "b"


def test_batch_all_coded_exits_0_from_standard_input(cli: Cli) -> None:
    lines = [json.dumps({"_id": str(n), **LOW_BACK, "lumbar_cause": "other"}) for n in range(3)]
    result = cli("batch", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.stderr
    assert [json.loads(t)["_id"] for t in result.stdout.splitlines()] == ["0", "1", "2"]


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-a", "bogus=1"], "unknown question id 'bogus'"),
        (["-a", "region=lumbr"], "region: 'lumbr' is not one of occipito_atlanto_axial"),
        (
            ["-a", "encounter=not_documented"],
            "encounter: 'not_documented' is not one of initial, subsequent, sequela",
        ),
        (
            ["-a", "healing=malunion"],
            "healing: 'malunion' is not one of routine, delayed, nonunion",
        ),
        (["-a", "0.region=lumbar"], "problems are numbered from 1"),
        (["-a", "2.region=lumbr", "-a", "1.region=lumbar"], "problem 2: region: 'lumbr' is not"),
        (["-a", "3.region=lumbar"], "problem 1 has no answers"),
        (["-a", "1.region=lumbar", "-a", "3.region=lumbar"], "problem 2 has no answers"),
    ],
)
def test_bad_flags_exit_2_with_one_line(cli: Cli, args: list[str], expected: str) -> None:
    base = {key: value for key, value in LOW_BACK.items() if key != "region"}
    result = cli("code", "--no-input", *flags({**base, "lumbar_cause": "other"}), *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_answer_names_the_question_and_its_values(cli: Cli) -> None:
    result = cli("code", "--no-input", "-a", "trauma=no")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "backcoder: missing answer for nerve (Nerve-root involvement documented): nerve takes"
        " radiculopathy, sciatica, none, not_documented; pass -a nerve=VALUE"
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "answers.json: not valid JSON"),
        (b"[1, 2]", "an answers file is a mapping of question id to value"),
        (b"null", "an answers file is a mapping of question id to value"),
        (b'{"problems": {"region": "lumbar"}}', "problems is a list of answer objects"),
        (b'{"problems": []}', "problems is a list of answer objects"),
        (b'{"problems": null}', "problems is a list of answer objects"),
        (b'{"problems": [{"trauma": "no"}, 5]}', "problem 2: an object of answers, not a number"),
        (b'{"problems": [{"problems": []}]}', "problem 1: a problem cannot hold problems"),
        (b'{"trauma": 5}', "trauma: '5' is not one of yes, no, not_documented"),
        (b'{"trauma": null}', "trauma takes text or a list of text, not null"),
        (b'{"region": true}', "region: true is not one of occipito_atlanto_axial"),
        (b'{"region": [["lumbar"]]}', "region takes text or a list of text, not a list inside"),
        (b'{"region": []}', "region has an empty answer; region takes"),
        (b'{"trauma": "no", "trauma": "yes"}', "trauma"),
    ],
)
def test_hostile_answers_files(cli: Cli, tmp_path: Path, content: bytes, expected: str) -> None:
    file = tmp_path / "answers.json"
    file.write_bytes(content)
    result = cli("code", "--no-input", "--answers", str(file))
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_byte_order_mark_at_the_start_of_an_answers_file(cli: Cli, tmp_path: Path) -> None:
    answers = {**LOW_BACK, "lumbar_cause": "other"}
    as_json = tmp_path / "a.json"
    as_json.write_bytes(b"\xef\xbb\xbf" + json.dumps(answers).encode("utf-8"))
    as_yaml = tmp_path / "a.yaml"
    as_yaml.write_bytes(
        b"\xef\xbb\xbf"
        + "".join(f"{k}: {json.dumps(v)}\r\n" for k, v in answers.items()).encode("utf-8")
    )
    for file in (as_json, as_yaml):
        result = cli("code", "--no-input", "--json", "--answers", str(file))
        assert result.exit_code == 0, result.stderr
        assert [c["code"] for c in json.loads(result.stdout)["codes"]] == ["M54.59"]


# ------------------------------------------------------------------------------ encounters


def test_a_problems_own_answer_overrides_the_shared_one(cli: Cli) -> None:
    """The shared region applies to problem 2, problem 1 sets its own."""
    shared = {**LOW_BACK, "lumbar_cause": "other", "region": "cervical"}
    result = cli("code", "--no-input", "--json", *flags(shared), "-a", "1.region=thoracic",
                 "-a", "2.nerve=none")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(c["code"], c["problems"]) for c in data["codes"]] == [("M54.6", [1]), ("M54.2", [2])]
    assert data["unused"] == {"lumbar_cause": "other"}  # no problem was at the low back


def test_a_shared_answer_every_problem_overrides_is_unused(cli: Cli, tmp_path: Path) -> None:
    """A shared `region` that each problem replaces with its own applies to no problem: it is
    reported under `unused` (a shared answer no problem needed), not dropped in silence, by
    `code` and by `batch` alike."""
    record = {
        **LOW_BACK,
        "lumbar_cause": "other",
        "region": "cervical",
        "problems": [{"region": "lumbar"}],
    }
    file = tmp_path / "visit.json"
    file.write_text(json.dumps(record), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(file))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["code"] for c in data["codes"]] == ["M54.59"]
    assert data["unused"] == {"region": "cervical"}

    shared = {key: value for key, value in record.items() if key != "problems"}
    by_flags = cli("code", "--no-input", "--json", *flags(shared), "-a", "1.region=lumbar")
    assert json.loads(by_flags.stdout)["unused"] == {"region": "cervical"}

    two = {**record, "problems": [{"region": "lumbar"}, {"region": "thoracic"}]}
    taken = {**record, "problems": [{"region": "lumbar"}, {"nerve": "none"}]}  # 2 takes it
    lines = [json.dumps(record), json.dumps(record), json.dumps(two), json.dumps(taken)]
    batch = cli("batch", "-", input="\n".join(lines) + "\n")
    assert batch.exit_code == 0, batch.stderr
    results = [json.loads(text) for text in batch.stdout.splitlines()]
    assert [r["unused"] for r in results] == [{"region": "cervical"}] * 3 + [{}]
    assert [c["code"] for c in results[3]["codes"]] == ["M54.59", "M54.2"]
    taken_file = tmp_path / "taken.json"
    taken_file.write_text(json.dumps(taken), encoding="utf-8")
    by_code = cli("code", "--no-input", "--json", "--answers", str(taken_file))
    assert json.loads(by_code.stdout)["unused"] == {}


def test_save_writes_a_record_with_problems_that_replays(cli: Cli, tmp_path: Path) -> None:
    args = [
        "-a", "pain_course=chronic", "-a", "reason=other",
        "-a", "1.trauma=no", "-a", "1.region=cervical", "-a", "1.nerve=none",
        "-a", "2.trauma=no", "-a", "2.region=lumbar", "-a", "2.nerve=radiculopathy",
        "-a", "2.cause=disc",
    ]  # fmt: skip
    saved = tmp_path / "visit.yaml"
    first = cli("code", "--no-input", "--json", "--save", str(saved), *args)
    assert first.exit_code == 0, first.stderr
    expected = [("M54.2", [1]), ("M51.16", [2]), ("G89.29", [1])]
    assert [(c["code"], c["problems"]) for c in json.loads(first.stdout)["codes"]] == expected
    replay = cli("code", "--no-input", "--json", "--answers", str(saved))
    assert replay.exit_code == 0, replay.stderr
    assert [(c["code"], c["problems"]) for c in json.loads(replay.stdout)["codes"]] == expected


def test_batch_error_names_the_problem(cli: Cli) -> None:
    record = {
        "_id": "v1",
        **NO_TRAUMA,
        "pain_course": "acute",
        "problems": [{"nerve": "none", "region": "cervical"}, {"nerve": "none", "region": "lumbr"}],
    }
    result = cli("batch", "-", input=json.dumps(record) + "\n")
    assert result.exit_code == 1
    line = json.loads(result.stdout)
    assert line["_id"] == "v1" and line["line"] == 1
    assert line["error"].startswith("problem 2: region: 'lumbr' is not one of")


# ---------------------------------------------------------------------------------- FHIR


def _coding(question: str, *values: str) -> dict[str, Any]:
    system = f"urn:backcoder:rules:back-pain:{question}"
    return {
        "linkId": question,
        "answer": [{"valueCoding": {"system": system, "code": value}} for value in values],
    }


def test_a_filled_in_questionnaire_codes_like_flags(cli: Cli, tmp_path: Path) -> None:
    """Answers nested in a group, several codings for a multi-select question; the result
    as a Bundle whose entries follow the reporting order with the tabular's titles."""
    response = {
        "resourceType": "QuestionnaireResponse",
        "status": "completed",
        "questionnaire": "urn:backcoder:rules:back-pain",
        "item": [
            _coding("trauma", "no"),
            _coding("nerve", "none"),
            {"linkId": "site", "item": [_coding("region", "cervical", "lumbar")]},
            _coding("lumbar_cause", "not_documented"),
            _coding("pain_course", "chronic"),
            _coding("reason", "other"),
        ],
    }
    file = tmp_path / "response.json"
    file.write_text(json.dumps(response), encoding="utf-8")
    result = cli("code", "--no-input", "--json", "--answers", str(file))
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [c["code"] for c in data["codes"]] == ["M54.2", "M54.50", "G89.29"]
    assert [q["question"] for q in data["queries"]] == ["lumbar_cause"]

    bundle = cli("code", "--no-input", "--format", "fhir", "--answers", str(file))
    assert bundle.exit_code == 0, bundle.stderr
    entries = [entry["resource"] for entry in json.loads(bundle.stdout)["entry"]]
    codings = [resource["code"]["coding"][0] for resource in entries]
    assert [c["code"] for c in codings] == ["M54.2", "M54.50", "G89.29"]
    assert all(c["display"] == cm.get_description(c["code"]) for c in codings)
    assert entries[0]["note"][0]["text"].startswith("Reporting order: 1 of 3, first-listed")

    response["item"][2]["item"][0] = _coding("region", "lumbr")
    file.write_text(json.dumps(response), encoding="utf-8")
    bad = cli("code", "--no-input", "--answers", str(file))
    assert bad.exit_code == 2
    assert "region: 'lumbr' is not one of" in bad.stderr


# ------------------------------------------------------------------------ a real terminal

WALK_FLAGS = [
    "-a", "red_flags=none", "-a", "trauma=no", "-a", "fracture_cause=none",
    "-a", "attribution=none", "-a", "condition=none", "-a", "pain_course=acute",
]  # fmt: skip


def _spawn(*args: str) -> pexpect.spawn:
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "backcoder", "code", *args],
        env={**env, "NO_COLOR": "1"},
        encoding="utf-8",
        timeout=15,
        dimensions=(24, 120),
    )


@pytest.mark.slow
def test_terminal_ctrl_c_at_another_problem_exits_130() -> None:
    """Interrupting at "another back problem?" is an interruption like any other prompt."""
    child = _spawn(*WALK_FLAGS)
    try:
        for answer in ("none", "lumbar", "other"):
            child.expect(PROMPT)
            child.sendline(answer)
        child.expect(ANOTHER)
        child.sendintr()
        child.expect(pexpect.EOF)
        out = child.before
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    assert "interrupted" in out and "Traceback" not in out


@pytest.mark.slow
def test_terminal_back_from_problem_two_then_enter_keeps_the_yes() -> None:
    """`b` from problem 2's first question returns to "another?", where Enter keeps the
    earlier yes (as after going back to any question): problem 2 is asked again; `b` and
    `n` there end the visit with problem 1 alone."""
    child = _spawn(*WALK_FLAGS)
    try:
        for answer in ("none", "cervical"):
            child.expect(PROMPT)
            child.sendline(answer)
        child.expect(ANOTHER)
        child.sendline("y")
        child.expect(PROMPT)  # problem 2: nerve
        child.sendline("b")
        child.expect(r"\(Y / n; < back\)")
        child.sendline("")  # Enter keeps the yes given before
        child.expect(PROMPT)  # problem 2: nerve, again
        child.sendline("b")
        child.expect(r"\(Y / n; < back\)")
        child.sendline("n")
        child.expect(pexpect.EOF)
        out = child.before.replace("\r\n", "\n")
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert "Codes, in reporting order" in out
    assert " 1 │ M54.2 " in out and "M54.59" not in out
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("line", "carried"),
    [
        ('{"_id": "d1", "_n": [1], "trauma": "no", "trauma": "yes"}', {"_id": "d1", "_n": [1]}),
        ('{"_id": "d2", "problems": [{"region": "lumbar", "region": "cervical"}]}', {"_id": "d2"}),
        # The id itself in doubt, or a `_` value holding a key twice: nothing is guessed.
        ('{"_id": "d3", "_id": "d4", "trauma": "no"}', {}),
        ('{"_id": "d5", "_m": {"a": 1, "a": 2}, "trauma": "no"}', {"_id": "d5"}),
        ('{"_id": "d6", "trauma": "no", "trauma": "yes", "x": NaN}', {}),
    ],
)
def test_a_key_given_twice_keeps_the_record_id(cli: Cli, line: str, carried: dict) -> None:
    """A line refused for a key given twice is still a JSON object whose `_` keys can be read
    unchanged: its error line carries them, so results join back to their records."""
    result = cli("batch", "-", input=line + "\n")
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert "given twice" in out["error"] or "NaN" in out["error"]
    assert {key: value for key, value in out.items() if key[:1] == "_"} == carried


def test_a_key_given_twice_keeps_the_bundle_identifier(cli: Cli) -> None:
    line = '{"_id": "d1", "trauma": "no", "trauma": "yes"}'
    result = cli("batch", "-", "--format", "fhir", input=line + "\n")
    assert result.exit_code == 1
    bundle = json.loads(result.stdout)
    assert bundle["identifier"]["value"] == "d1"
    assert "given twice" in bundle["entry"][0]["resource"]["issue"][0]["diagnostics"]


def test_fhir_batch_lines_are_compact(cli: Cli) -> None:
    """Compact JSON, as the README promises: no space after a separator, identifier included."""
    line = json.dumps({"_id": "r1", **LOW_BACK, "lumbar_cause": "other"})
    result = cli("batch", "-", "--format", "fhir", input=line + "\n")
    assert result.exit_code == 0, result.stderr
    text = result.stdout.strip()
    assert json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False) == text


# ------------------------------------------------------------------------- physician queries

FRACTURE_AT = {**L1_FRACTURE, "vertebra": "not_documented", "fracture_type": "other"}


@pytest.mark.parametrize(
    ("region", "vertebrae"),
    [
        ("lumbar", ["L1", "L2", "L3", "L4", "L5"]),
        ("thoracolumbar", ["T11", "T12", "L1", "L2"]),
        ("thoracic", [f"T{n}" for n in range(1, 13)]),
        ("cervicothoracic", ["T1"]),
    ],
)
def test_a_vertebra_not_documented_is_queried_once_with_the_regions_vertebrae(
    cli: Cli, region: str, vertebrae: list[str]
) -> None:
    """One query for one undocumented detail, and its options only what is clinically
    reasonable: the vertebrae the tree offers at the region (a lumbar fracture is not at
    T5), as the walker offers them, then "other" and "clinically undetermined"."""
    result = cli("code", "--no-input", "--json", *flags({**FRACTURE_AT, "region": region}))
    assert result.exit_code == 0, result.stderr
    queries = json.loads(result.stdout)["queries"]
    assert [query["question"] for query in queries] == ["vertebra"]
    assert queries[0]["options"] == [
        *vertebrae,
        "Other (please specify)",
        "Clinically undetermined",
    ]


@pytest.mark.parametrize("key", ["q" * 100_000, "_" + "q" * 100_000])
def test_a_huge_unknown_id_is_shown_abridged(cli: Cli, tmp_path: Path, key: str) -> None:
    """A wrong value is shown abridged in its one line; a wrong id (as long as the 1 MiB
    limits allow) is too, in a file, a flag and a batch line alike (a `_` key is not an
    answer at a record's top level, but is one in a flag or inside a problem)."""
    file = tmp_path / "answers.json"
    file.write_text(json.dumps({"trauma": "no", "problems": [{key: "1"}]}), encoding="utf-8")
    by_file = cli("code", "--no-input", "--answers", str(file))
    by_flag = cli("code", "--no-input", "-a", f"{key}=1")
    for result in (by_file, by_flag):
        assert result.exit_code == 2
        assert len(result.stderr.strip().splitlines()) == 1
        assert len(result.stderr) < 400
        assert "qqq..." in result.stderr
    by_batch = cli("batch", "-", input=json.dumps({"trauma": "no", "problems": [{key: 1}]}) + "\n")
    assert by_batch.exit_code == 1
    assert len(by_batch.stdout) < 400
    assert json.loads(by_batch.stdout)["error"].startswith("problem 1: ")
