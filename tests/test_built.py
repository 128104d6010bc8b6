"""Generated files stay true: the built forms, the tabular extract and the JSON Schema."""

from __future__ import annotations

import json

import pytest

from backcoder.cli.rules import built_form as build
from backcoder.cli.rules import notes_built_form, schema_text
from backcoder.files.bundle import built_path, has_current_build, shipped_rules_path
from backcoder.files.notes import (
    has_current_notes_build,
    load_notes_file,
    notes_built_path,
    notes_path,
)
from backcoder.icd.tabular import OfficialTabular
from backcoder.language.compiled import construct_knowledge, construct_rules
from backcoder.language.knowledge import knowledge_adapter
from backcoder.language.model import validate_rules
from backcoder.notes.model import construct_notes, validate_notes


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads(built_path(shipped_rules_path()).read_text(encoding="utf-8"))


def test_built_form_matches_the_rule_file() -> None:
    assert has_current_build(shipped_rules_path()), "run `backcoder rules build`"


def test_built_form_equals_a_fresh_build_from_the_tabular(committed: dict) -> None:
    """Fails when the tabular extract drifts from the tabular or the derivation changes."""
    fresh, problems = build(shipped_rules_path())
    assert problems == []
    assert json.loads(json.dumps(fresh)) == committed, "run `backcoder rules build`"


def test_constructing_the_built_form_equals_validating_it(committed: dict) -> None:
    assert construct_rules(committed["rules"]) == validate_rules(committed["rules"])
    knowledge = committed["knowledge"]
    assert construct_knowledge(knowledge) == knowledge_adapter().validate_python(knowledge)


def test_notes_built_form_matches_the_note_reading_rules() -> None:
    assert has_current_notes_build(notes_path()), "run `backcoder rules build`"


def test_notes_built_form_equals_a_fresh_build() -> None:
    """Fails when the dump of the rules changes (a field added to the model)."""
    fresh, problems = notes_built_form(shipped_rules_path())
    assert problems == []
    committed = json.loads(notes_built_path(notes_path()).read_text(encoding="utf-8"))
    assert json.loads(json.dumps(fresh)) == committed, "run `backcoder rules build`"


def test_constructing_the_notes_built_form_equals_validating_the_rule_file() -> None:
    committed = json.loads(notes_built_path(notes_path()).read_text(encoding="utf-8"))
    constructed = construct_notes(committed["notes"])
    assert constructed == validate_notes(committed["notes"])
    assert constructed == load_notes_file(notes_path())


def test_committed_schema_is_current() -> None:
    committed = shipped_rules_path().with_name("rule-file.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run `backcoder rules schema > rules/rule-file.schema.json`"


def test_every_title_in_the_index_is_the_official_title(committed: dict) -> None:
    tabular = OfficialTabular()
    for code, entry in committed["codes"].items():
        assert entry["title"] == tabular.info(code).title
