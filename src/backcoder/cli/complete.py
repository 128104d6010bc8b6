"""Shell completion of answers (`-a ID=VALUE`) and codes, for `--install-completion`.

Commands and options complete through click itself; these callbacks add what only
backcoder knows: the question ids and their values (from the rule bundle) and every code
of the tabular (from its index, one shard read per category, so a completion is quick).
"""

from __future__ import annotations

from backcoder.icd.codes import normalize

MOST = 200  # a shell shows no more usefully


def complete_answer(incomplete: str) -> list[str]:
    """`reg` -> `region=`; `region=lu` -> `region=lumbar`, `region=lumbosacral`; after a
    comma in a multi-select value, the values that can be added."""
    from backcoder.files.bundle import load_bundle

    questions = load_bundle(None).rules.questions
    question_id, sep, value = incomplete.partition("=")
    if not sep:
        return [f"{name}=" for name in questions if name.startswith(question_id)]
    question = questions.get(question_id)
    if question is None:
        return []
    done, _, last = value.rpartition(",")
    if done and not question.multiple:
        return []
    head = f"{question_id}={done}," if done else f"{question_id}="
    given = set(done.split(",")) if done else set()
    return [
        head + choice
        for choice in question.choices
        if choice.startswith(last) and choice not in given
    ]


def complete_code(incomplete: str) -> list[str]:
    """Codes of the tabular that begin with what was typed (case and dot as `explain`
    accepts them): categories for one or two characters, then the codes of that category."""
    from backcoder.icd.index import TabularIndex

    bare = incomplete.replace(".", "")
    typed = normalize(incomplete) if len(bare) > 3 else incomplete.upper()
    found = TabularIndex().codes_starting(typed)[:MOST]
    # Offered as typed (the shell keeps only what begins with it): m5450 as explain takes it.
    if "." not in incomplete and len(bare) > 3:
        found = [code.replace(".", "") for code in found]
    return [code.lower() for code in found] if incomplete.islower() else found
