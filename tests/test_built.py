"""Generated files stay true: the built form, the tabular extract and the JSON Schema."""

from __future__ import annotations

import json

import pytest

from backcoder.cli.rules import cited_codes, schema_text
from backcoder.compiled import construct_rules
from backcoder.derive import derive
from backcoder.loader import (
    built_document,
    built_path,
    has_current_build,
    parse_rules,
    shipped_rules_path,
)
from backcoder.model import validate_rules
from backcoder.tabular import OfficialTabular, extract


@pytest.fixture(scope="module")
def committed() -> dict:
    return json.loads(built_path(shipped_rules_path()).read_text(encoding="utf-8"))


def test_built_form_matches_the_rule_file() -> None:
    assert has_current_build(shipped_rules_path()), "run `backcoder rules build`"


def test_built_form_equals_a_fresh_build_from_the_tabular(committed: dict) -> None:
    """Fails when the tabular extract drifts from the tabular or the derivation changes."""
    path = shipped_rules_path()
    rules = parse_rules(path)
    derived = derive(rules)
    fresh = built_document(
        path, rules, extract(OfficialTabular(), [*derived.codes, *cited_codes(rules)]), derived
    )
    assert json.loads(json.dumps(fresh)) == committed, "run `backcoder rules build`"


def test_constructing_the_built_form_equals_validating_it(committed: dict) -> None:
    assert construct_rules(committed["rules"]) == validate_rules(committed["rules"])


def test_committed_schema_is_current() -> None:
    committed = shipped_rules_path().with_name("rule-file.schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), "run `backcoder rules schema > rules/rule-file.schema.json`"


def test_every_title_in_the_index_is_the_official_title(committed: dict) -> None:
    tabular = OfficialTabular()
    for code, entry in committed["codes"].items():
        assert entry["title"] == tabular.info(code).title
