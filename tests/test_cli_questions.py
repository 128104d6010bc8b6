"""`backcoder questions`: the vocabulary scripts discover."""

from __future__ import annotations

import json
from typing import Any

from tests.vocabulary import PUBLIC_VOCABULARY


def test_json_lists_every_public_question_and_value(cli: Any) -> None:
    result = cli("questions", "--json")
    assert result.exit_code == 0
    listed = {entry["id"]: entry for entry in json.loads(result.stdout)}
    for question, values in PUBLIC_VOCABULARY.items():
        assert [choice["id"] for choice in listed[question]["choices"]] == values


def test_asked_when_is_derived_from_the_tree(cli: Any) -> None:
    listed = {entry["id"]: entry for entry in json.loads(cli("questions", "--json").stdout)}
    assert listed["trauma"]["asked_when"] == "always"
    assert listed["injury"]["asked_when"] == "trauma=yes"
    assert "injury=fracture" in listed["vertebra"]["asked_when"]
    assert "lumbar_cause=disc_degeneration" in listed["leg_pain"]["asked_when"]
    assert listed["red_flags"]["default"] == ["none"]


def test_terminal_listing(cli: Any) -> None:
    result = cli("questions")
    assert result.exit_code == 0
    assert "region (several allowed)" in result.stdout
    assert "values: yes, no, not_documented" in result.stdout
