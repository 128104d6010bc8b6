"""`backcoder rules check|build|schema`: the static proof, and its failures, line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from backcoder.files.bundle import built_path, shipped_rules_path

TINY: dict[str, Any] = {
    "name": "tiny",
    "version": "0.1",
    "icd10cm": "2026-04-01",
    "start": "site",
    "questions": {
        "site": {"text": "Site:", "choices": {"neck": {"label": "Neck"}, "mid": {"label": "Mid"}}},
    },
    "nodes": {
        "site": {"ask": "site", "branches": {"neck": "neck", "mid": "mid"}},
        "neck": {
            "report": [
                {"code": "M54.2", "kind": "symptom", "why": "w", "cite": [{"guideline": "I.B.18"}]}
            ]
        },
        "mid": {
            "report": [
                {"code": "M54.6", "kind": "symptom", "why": "w", "cite": [{"guideline": "I.B.18"}]}
            ]
        },
    },
}


def write_rules(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def mutated(**changes: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(TINY))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    return data


def test_shipped_rules_are_sound(cli: Any) -> None:
    result = cli("rules", "check")
    assert result.exit_code == 0, result.stderr
    notes = shipped_rules_path().with_name("back_pain.notes.yaml")
    assert result.stdout.splitlines() == [f"{shipped_rules_path()}: ok", f"{notes}: ok"]


def test_a_clean_small_rule_file_passes(cli: Any, tmp_path: Path) -> None:
    assert cli("rules", "check", str(write_rules(tmp_path, TINY))).exit_code == 0


@pytest.mark.parametrize(
    ("changes", "node", "reason"),
    [
        ({"nodes__mid": {"ask": "site", "next": "site"}}, "mid", "cycle: "),
        (
            {"nodes__site__branches": {"neck": "neck", "mid": "middle"}},
            "site",
            "refers to node 'middle', which does not exist",
        ),
        (
            {
                "nodes__neck__report": [
                    {"code": "M54.52", "kind": "symptom", "why": "w", "cite": [{"guideline": "I"}]}
                ]
            },
            "neck",
            "M54.52 is not a code in the ICD-10-CM tabular",
        ),
        (
            {
                "nodes__neck__report": [
                    {"code": "M54.5", "kind": "symptom", "why": "w", "cite": [{"guideline": "I"}]}
                ]
            },
            "neck",
            "M54.5 is a header, not billable (use M54.50, M54.51, M54.59)",
        ),
        (
            {"nodes__orphan": {"note": {"text": "t", "cite": [{"guideline": "I"}]}}},
            "orphan",
            "unreachable",
        ),
        (
            {
                "nodes__neck__report": [
                    {"code": "M54.50", "kind": "symptom", "why": "w", "cite": [{"guideline": "I"}]},
                    {
                        "code": "S39.012A",
                        "kind": "injury",
                        "why": "w",
                        "cite": [{"guideline": "I"}],
                    },
                ]
            },
            "neck + neck",
            "reports M54.50 with S39.012A, which M54.5 Excludes1: low back strain (S39.012) forbids",
        ),
        (
            {"nodes__site__branches": {"neck": "neck"}, "nodes__neck__next": "mid"},
            "site",
            "no branch for site=mid",
        ),
        (
            {"nodes__mid": {"note": {"text": "t", "cite": [{"guideline": "I"}]}}},
            "mid",
            "a path ends without a code",
        ),
        (
            {
                "nodes__neck__report": [
                    {
                        "code": "M54.2",
                        "kind": "symptom",
                        "why": "w",
                        "cite": [
                            {"tabular": "M54.2", "note": "excludes1", "text": "no such words"}
                        ],
                    }
                ]
            },
            "neck",
            "which no such note says",
        ),
    ],
    ids=[
        "cycle",
        "dangling",
        "invalid-code",
        "header-code",
        "unreachable",
        "excludes1",
        "no-branch",
        "no-code",
        "bad-citation",
    ],
)
def test_each_failure_is_one_line_naming_file_node_reason(
    cli: Any, tmp_path: Path, changes: dict[str, Any], node: str, reason: str
) -> None:
    path = write_rules(tmp_path, mutated(**changes))
    result = cli("rules", "check", str(path))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith(f"{path}: {node}: ") and reason in line for line in lines), lines
    assert lines[-1].startswith("backcoder: ")
    problems = [line for line in lines if line.startswith(f"{path}: ")]
    noun = "problem" if len(problems) == 1 else "problems"
    assert lines[-1].endswith(f": {len(problems)} {noun} found")


def test_an_allowed_excludes1_pair_passes(cli: Any, tmp_path: Path) -> None:
    data = mutated(
        nodes__neck__report=[
            {"code": "M54.6", "kind": "symptom", "why": "w", "cite": [{"guideline": "I"}]},
            {"code": "M51.26", "kind": "diagnosis", "why": "w", "cite": [{"guideline": "I"}]},
        ]
    )
    assert cli("rules", "check", str(write_rules(tmp_path, data))).exit_code == 2
    data["excludes1_allowed"] = [{"codes": ["M54.6", "M51.2-"], "why": "different sites"}]
    assert cli("rules", "check", str(write_rules(tmp_path, data))).exit_code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: [unclosed\n", ":2: not valid YAML"),
        (
            "name: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
            ":1: refused: could not determine a constructor",
        ),
        ("- a list\n", "a rule file is a mapping"),
    ],
)
def test_malformed_rule_files(cli: Any, tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    result = cli("rules", "check", str(path))
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not Path("/tmp/pwned").exists()


def test_a_typo_is_reported_at_its_line(cli: Any, tmp_path: Path) -> None:
    text = yaml.safe_dump(TINY, sort_keys=False).replace("    report:\n", "    reprot:\n", 1)
    path = tmp_path / "typo.yaml"
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("    reprot:") + 1
    result = cli("rules", "check", str(path))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"backcoder: {path}:{line}: nodes.neck.reprot: ")


def test_the_same_errors_stop_code(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: !!python/name:os.system\n", encoding="utf-8")
    result = cli("code", "--no-input", "--rules", str(path))
    assert result.exit_code == 2 and "refused" in result.stderr


def test_build_writes_a_current_built_form(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, TINY)
    result = cli("rules", "build", str(path))
    assert result.exit_code == 0, result.stderr
    built = json.loads(built_path(path).read_text(encoding="utf-8"))
    assert built["codes"]["M54.2"]["title"] == "Cervicalgia"
    assert built["derived"]["paths_to"]["M54.6"] == [{"site": "mid"}]
    assert "ok" in cli("rules", "check", str(path)).stdout


def test_build_refuses_unsound_rules(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, mutated(nodes__site__branches={"neck": "neck"}))
    assert cli("rules", "build", str(path)).exit_code == 2
    assert not built_path(path).exists()


def test_build_writes_the_note_reading_rules_built_form_too(cli: Any, tmp_path: Path) -> None:
    from backcoder.files.notes import (
        has_current_notes_build,
        load_notes,
        load_notes_file,
        notes_built_path,
    )
    from tests.test_cli_notes import TINY_NOTES

    path = write_rules(tmp_path, TINY)
    notes = tmp_path / "rules.notes.yaml"
    notes.write_text(yaml.safe_dump(TINY_NOTES), encoding="utf-8")
    result = cli("rules", "build", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"{notes_built_path(notes)}: built"
    assert has_current_notes_build(notes)
    assert load_notes(notes) == load_notes_file(notes)
    assert json.loads(cli("rules", "check", "--json", str(path)).stdout)["built"] is True

    notes.write_text(yaml.safe_dump({**TINY_NOTES, "version": "0.2"}), encoding="utf-8")
    assert json.loads(cli("rules", "check", "--json", str(path)).stdout)["built"] is False
    assert cli("rules", "check", str(path)).stdout.splitlines() == [
        f"{path}: ok",
        f"{notes}: ok; its built form is missing or stale: run `backcoder rules build {path}`",
    ]


def test_build_refuses_unsound_note_reading_rules(cli: Any, tmp_path: Path) -> None:
    from backcoder.files.notes import notes_built_path
    from tests.test_cli_notes import TINY_NOTES

    path = write_rules(tmp_path, TINY)
    notes = tmp_path / "rules.notes.yaml"
    broken = json.loads(json.dumps(TINY_NOTES))
    broken["questions"]["site"]["values"]["low"] = [{"phrases": ["low back"]}]
    notes.write_text(yaml.safe_dump(broken), encoding="utf-8")
    result = cli("rules", "build", str(path))
    assert result.exit_code == 2
    assert f"{notes}: questions.site: 'low' is not a value of site" in result.stderr
    assert not built_path(path).exists() and not notes_built_path(notes).exists()


def test_schema_command_prints_the_committed_schema(cli: Any) -> None:
    committed = shipped_rules_path().with_name("rule-file.schema.json").read_text(encoding="utf-8")
    assert cli("rules", "schema").stdout == committed


TINY_KNOWLEDGE = {
    "codes": {
        "M54.2": {"use_when": "Neck pain.", "documentation": ["Location: neck."]},
        "M54.6": {"use_when": "Thoracic pain.", "documentation": ["Location: mid back."]},
    },
    "questions": {"site": {"section": "location_radiation", "document": "The site."}},
}


def write_knowledge(rules_path: Path, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    rules_path.with_name("rules.knowledge.yaml").write_text(text, encoding="utf-8")


def test_knowledge_beside_the_rules_is_checked_and_built(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, TINY)
    write_knowledge(path, TINY_KNOWLEDGE)
    assert cli("rules", "check", str(path)).exit_code == 0
    assert cli("rules", "build", str(path)).exit_code == 0
    explained = json.loads(cli("explain", "M54.6", "--json", "--rules", str(path)).stdout)
    assert explained["knowledge"]["use_when"] == "Thoracic pain."
    assert explained["paths"] == ["-a site=mid"]


@pytest.mark.parametrize(
    ("change", "node", "reason"),
    [
        (
            {"codes": {"M54.2": TINY_KNOWLEDGE["codes"]["M54.2"]}},
            "knowledge M54.6",
            "no knowledge covers it",
        ),
        (
            {"codes": {**TINY_KNOWLEDGE["codes"], "M54.52": TINY_KNOWLEDGE["codes"]["M54.2"]}},
            "knowledge M54.52",
            "not a code in the ICD-10-CM tabular",
        ),
        ({"questions": {}}, "knowledge site", "has no `questions` entry"),
    ],
)
def test_knowledge_problems(
    cli: Any, tmp_path: Path, change: dict[str, Any], node: str, reason: str
) -> None:
    path = write_rules(tmp_path, TINY)
    write_knowledge(path, {**TINY_KNOWLEDGE, **change})
    result = cli("rules", "check", str(path))
    assert result.exit_code == 2
    assert any(
        line.startswith(f"{path}: {node}: ") and reason in line
        for line in result.stderr.splitlines()
    )


def test_a_family_key_covers_its_codes(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, TINY)
    write_knowledge(path, {**TINY_KNOWLEDGE, "codes": {"M54-": TINY_KNOWLEDGE["codes"]["M54.2"]}})
    assert cli("rules", "check", str(path)).exit_code == 0


def test_invalid_knowledge_is_one_line_with_its_line_number(cli: Any, tmp_path: Path) -> None:
    path = write_rules(tmp_path, TINY)
    path.with_name("rules.knowledge.yaml").write_text(
        "codes:\n  M54.2:\n    use_when: x\n    documentation: []\n", encoding="utf-8"
    )
    result = cli("rules", "check", str(path))
    assert result.exit_code == 2
    assert (
        "rules.knowledge.yaml:2: codes.M54.2: Value error, a code needs at least one documentation requirement"
        in result.stderr
    )
