"""The engine on its own: pure answers in, pending question or finished walk out."""

from __future__ import annotations

import pytest

from backcoder.coding.bundle import RuleBundle
from backcoder.coding.sequencing import in_reporting_order
from backcoder.engine.answers import Answer, Source
from backcoder.engine.walk import Engine, Finished, Pending
from backcoder.errors import AnswerError
from backcoder.icd.codes import with_seventh_character


def answers(**given: str | list[str]) -> dict[str, Answer]:
    return {
        key: Answer(tuple(value) if isinstance(value, list) else (value,), Source.flag)
        for key, value in given.items()
    }


LOW_BACK = dict(trauma="no", attribution="none", nerve="none", region="lumbar")


@pytest.mark.parametrize(
    ("stem", "seventh", "code"),
    [
        ("S33.5", "A", "S33.5XXA"),
        ("S39.012", "D", "S39.012D"),
        ("S39.92", "S", "S39.92XS"),
        ("S32.10", "B", "S32.10XB"),
        ("S12.9", "A", "S12.9XXA"),
    ],
)
def test_placeholder_x_puts_the_seventh_character_seventh(
    stem: str, seventh: str, code: str
) -> None:
    assert with_seventh_character(stem, seventh) == code


def test_the_first_question_without_an_answer_is_pending(bundle: RuleBundle) -> None:
    outcome = Engine(bundle.rules).run(answers(), use_defaults=False)
    assert isinstance(outcome, Pending)
    assert outcome.question == "red_flags"
    assert outcome.number == 1 and outcome.at_most >= 5


def test_defaults_answer_extra_questions_only_when_allowed(bundle: RuleBundle) -> None:
    engine = Engine(bundle.rules)
    outcome = engine.run(answers(), use_defaults=True)
    assert isinstance(outcome, Pending) and outcome.question == "trauma"
    assert outcome.walk.path[0].answer.source is Source.default


def test_the_path_asks_only_what_it_needs(bundle: RuleBundle) -> None:
    outcome = Engine(bundle.rules).run(
        answers(**LOW_BACK, lumbar_cause="vertebrogenic", pain_course="acute", injury="strain"),
        use_defaults=True,
    )
    assert isinstance(outcome, Finished)
    asked = [step.question for step in outcome.walk.path]
    assert asked == [
        "red_flags",
        "trauma",
        "fracture_cause",
        "attribution",
        "nerve",
        "condition",
        "region",
        "lumbar_cause",
        "pain_course",
    ]
    assert [code.code for code in outcome.walk.codes] == ["M54.51"]


def test_each_region_is_walked_in_order(bundle: RuleBundle) -> None:
    given = answers(
        **{**LOW_BACK, "region": ["cervical", "thoracic", "lumbar"]},
        lumbar_cause="other",
        pain_course="acute",
    )
    outcome = Engine(bundle.rules).run(given, use_defaults=True)
    assert isinstance(outcome, Finished)
    assert [code.code for code in outcome.walk.codes] == ["M54.2", "M54.6", "M54.59"]


def test_pain_management_puts_the_pain_code_first(bundle: RuleBundle) -> None:
    given = answers(
        **LOW_BACK, lumbar_cause="not_documented", pain_course="chronic", reason="pain_management"
    )
    outcome = Engine(bundle.rules).run(given, use_defaults=True)
    assert isinstance(outcome, Finished)
    assert [code.code for code in outcome.walk.codes] == ["M54.50", "G89.29"]
    assert [code.code for code in in_reporting_order(outcome.walk.codes)] == ["G89.29", "M54.50"]


def test_a_value_the_tree_restricts_here_is_refused(bundle: RuleBundle) -> None:
    given = answers(
        trauma="yes",
        injury="fracture",
        encounter="initial",
        fracture_open="no",
        region="thoracic",
        vertebra="L3",
    )
    with pytest.raises(AnswerError, match="vertebra=L3 does not fit this path.*takes T1, T2"):
        Engine(bundle.rules).run(given, use_defaults=True)


def test_the_engine_is_a_pure_function_of_the_answers(bundle: RuleBundle) -> None:
    engine = Engine(bundle.rules)
    given = answers(**LOW_BACK, lumbar_cause="not_documented", pain_course="acute")
    first = engine.run(given, use_defaults=True)
    second = engine.run(given, use_defaults=True)
    assert isinstance(first, Finished) and isinstance(second, Finished)
    assert first.walk.codes == second.walk.codes and first.walk.path == second.walk.path
