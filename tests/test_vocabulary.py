"""The shipped tree honours the public vocabulary exactly; extra questions have defaults."""

from __future__ import annotations

from backcoder.coding.bundle import RuleBundle
from tests.vocabulary import MULTI_VALUED, PUBLIC_VOCABULARY


def test_every_public_id_and_value_is_accepted(bundle: RuleBundle) -> None:
    for question, values in PUBLIC_VOCABULARY.items():
        assert list(bundle.rules.questions[question].choices) == values, question
        assert bundle.rules.questions[question].multiple == (question in MULTI_VALUED)


def test_questions_beyond_the_vocabulary_have_defaults(bundle: RuleBundle) -> None:
    extra = set(bundle.rules.questions) - set(PUBLIC_VOCABULARY)
    assert extra == {"red_flags", "axial_pain"}
    for question in extra:
        assert bundle.rules.questions[question].default


def test_every_not_documented_choice_has_a_query(bundle: RuleBundle) -> None:
    for question in bundle.rules.questions.values():
        if "not_documented" in question.choices:
            assert question.query and "pay" not in question.query.lower()
