"""The house the encounter, note and audit build on: a picklable engine, a typed result
with a committed schema, answers in layers, conventions in one place, imports one way."""

from __future__ import annotations

import ast
import multiprocessing
import pickle
from pathlib import Path

import pytest

from backcoder.cli.rules import result_schema_text
from backcoder.coding.bundle import RuleBundle
from backcoder.coding.coder import Coder
from backcoder.engine.answers import Answer, AnswerLayers, Source
from backcoder.engine.walk import Engine
from backcoder.files.json_writer import result_json
from backcoder.icd.conventions import (
    EXCLUDES1,
    INVALID,
    MISSING_SEVENTH,
    NOT_BILLABLE,
    code_finding,
    excludes1_findings,
)
from backcoder.icd.tabular import fiscal_year, release_label

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "backcoder"

NON_TRAUMA = dict(trauma="no", attribution="none", pain_course="acute")
RECORDS = [
    dict(NON_TRAUMA, nerve="none", region="lumbar", lumbar_cause="other"),
    dict(
        NON_TRAUMA, nerve="sciatica", cause="none", side="bilateral", lumbago="no", region="lumbar"
    ),
    dict(
        trauma="yes",
        injury="fracture",
        region="lumbar",
        vertebra="L1",
        fracture_type="wedge_compression",
        fracture_open="no",
        encounter="initial",
    ),
    dict(NON_TRAUMA, nerve="none", region=["cervical", "thoracic"]),
]


def _walk_codes(engine: Engine, records: list[dict[str, object]]) -> list[list[str]]:
    from backcoder.engine.answers import parse_answers
    from backcoder.engine.walk import Finished

    found = []
    for raw in records:
        outcome = engine.run(parse_answers(engine.rules, raw, Source.batch), use_defaults=True)
        assert isinstance(outcome, Finished)
        found.append([reported.code for reported in outcome.walk.codes])
    return found


def _codes_in_child(payload: bytes) -> list[list[str]]:
    return _walk_codes(pickle.loads(payload), RECORDS)


def test_engine_pickles_after_use_and_codes_alike_in_another_process(bundle: RuleBundle) -> None:
    engine = Engine(bundle.rules)
    here = _walk_codes(engine, RECORDS)
    payload = pickle.dumps(engine)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_codes_in_child, (payload,))
    assert there == here
    assert [codes[0] for codes in here] == ["M54.59", "M54.31", "S32.010A", "M54.2"]


def test_committed_result_schema_is_current() -> None:
    committed = (ROOT / "docs" / "result.schema.json").read_text(encoding="utf-8")
    assert committed == result_schema_text(), (
        "run `backcoder rules schema --result > docs/result.schema.json`"
    )


@pytest.mark.parametrize("record", RECORDS)
def test_results_match_the_schema_shape(coder: Coder, record: dict[str, object]) -> None:
    from pydantic import TypeAdapter

    from backcoder.files.result_shape import ResultJSON

    data = result_json(coder.code(coder.parse(record, Source.batch)))
    adapter = TypeAdapter(ResultJSON)
    adapter.validate_python(data, strict=True)
    required = adapter.json_schema()["required"]  # the note's fields only come with a note
    assert list(data) == [key for key in ResultJSON.__annotations__ if key in required]


def test_layers_merge_by_precedence_and_say_what_they_overrode() -> None:
    note = {"region": Answer(("lumbar",), Source.note), "nerve": Answer(("none",), Source.note)}
    file = {"region": Answer(("thoracic",), Source.file)}
    flag = {"region": Answer(("cervical",), Source.flag), "nerve": Answer(("none",), Source.flag)}
    layers = AnswerLayers().with_layer(Source.flag, flag).with_layer(Source.note, note)
    merged = layers.with_layer(Source.file, file).merged()
    assert merged["region"].values == ("cervical",)
    assert merged["region"].overrides == Answer(
        ("thoracic",), Source.file, Answer(("lumbar",), Source.note)
    )
    assert merged["nerve"] == Answer(("none",), Source.flag)  # the same answer overrides nothing


def test_a_flag_over_a_file_shows_in_the_path(cli, tmp_path: Path) -> None:
    import json

    answers = tmp_path / "a.json"
    answers.write_text(
        json.dumps({"trauma": "no", "attribution": "none", "nerve": "none", "region": "thoracic"})
    )
    result = cli(
        "code",
        "--no-input",
        "--json",
        "--answers",
        str(answers),
        "-a",
        "region=cervical",
        "-a",
        "pain_course=acute",
    )
    assert result.exit_code == 0, result.stderr
    step = next(s for s in json.loads(result.stdout)["path"] if s["question"] == "region")
    assert step == {
        "question": "region",
        "answer": "cervical",
        "source": "flag",
        "overrides": {"answer": "thoracic", "source": "file"},
    }


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("M54.52", INVALID),
        ("M54.5", NOT_BILLABLE),
        ("S32.0", NOT_BILLABLE),
        ("S39.012", MISSING_SEVENTH),
        ("M54.50", None),
        ("S33.5XXA", None),
    ],
)
def test_code_conventions(code: str, rule: str | None) -> None:
    from backcoder.icd.tabular import OfficialTabular

    finding = code_finding(_official(OfficialTabular), code)
    assert (finding.rule if finding else None) == rule


def test_excludes1_pairs_and_the_exception(bundle: RuleBundle) -> None:
    from backcoder.icd.tabular import OfficialTabular

    tabular = _official(OfficialTabular)
    found = list(excludes1_findings(tabular, ["M54.6", "M51.26"]))
    assert [(f.rule, f.code, f.other) for f in found] == [(EXCLUDES1, "M54.6", "M51.26")]
    assert "M54.6 Excludes1" in found[0].source
    allowed = list(
        excludes1_findings(tabular, ["M54.6", "M51.26"], bundle.rules.excludes1_exception)
    )
    assert allowed == []
    assert list(excludes1_findings(tabular, ["M54.2", "M54.50"])) == []


_TABULAR: dict[str, object] = {}


def _official(cls: type) -> object:
    return _TABULAR.setdefault("official", cls())


def test_the_release_is_data() -> None:
    assert fiscal_year("2026-04-01") == 2026
    assert fiscal_year("2025-10-01") == 2026
    assert fiscal_year("2021-09-30") == 2021
    assert release_label("2026-04-01") == "April 1, 2026"


FLOORS = ["errors", "icd", "language", "engine", "proof", "coding", "files", "cli"]
"""Each floor imports only from floors below it (and `errors`, `backcoder` itself)."""
SIDE_PACKAGES = {"notes": "coding", "audit": "files", "fhir": "files"}
"""Packages beside the stack, with the highest floor they may import."""


def _floor(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "backcoder" or len(parts) < 2:
        return None
    return parts[1]


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _rank(floor: str) -> int:
    floor = SIDE_PACKAGES.get(floor, floor)
    return FLOORS.index(floor) if floor in FLOORS else -1


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_run_one_way(path: Path) -> None:
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    if own not in FLOORS and own not in SIDE_PACKAGES:
        return  # __init__, __main__
    upward = [
        module
        for module in _imports(path)
        if (floor := _floor(module)) is not None
        and floor != own
        and (floor in FLOORS or floor in SIDE_PACKAGES)
        and _rank(floor) > _rank(own)
    ]
    assert upward == [], f"{path.name} imports from a higher floor: {upward}"
