"""Real-terminal tests of `backcoder code`: the walker driven through a pty with pexpect.

Each test spawns `python -m backcoder code` on a pseudo-terminal, so stdin is a tty and the
interactive walker runs exactly as a user would meet it: prompts on the terminal, answers
typed a line at a time, Ctrl-C and Ctrl-D delivered by the terminal driver. Most answers
are passed with -a flags so that each test prompts for only one or two questions.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

# The line the walker prints before reading an answer: "numbers or ids, comma-separated" for
# questions that take several values, "Enter: VALUE" where Enter takes a default.
PROMPT = (
    r"> \((?:number or id|numbers or ids, comma-separated)(?:; Enter: [\w,]+)?; \? help, < back\) "
)
# The header of every question shown: "Question N of at most M  (<id>)", then its text.
HEADER = re.compile(r"[Qq]uestion (\d+) of at most (\d+)  \((\w+)\)\n(.+)")
# After the last problem is coded: "Does the visit document another back problem?"
ANOTHER = r"> \((?:y / N|Y / n); < back\) "  # Y after going back to it from the next problem

# Everything but red_flags and lumbar_cause, for "low back pain, not further documented".
LOW_BACK_FLAGS = [
    "-a", "trauma=no",
    "-a", "fracture_cause=none",
    "-a", "attribution=none",
    "-a", "nerve=none",
    "-a", "condition=none",
    "-a", "region=lumbar",
    "-a", "pain_course=acute",
]  # fmt: skip
# The same without region, so that region is prompted too.
NO_REGION_FLAGS = [
    "-a", "red_flags=none",
    "-a", "trauma=no",
    "-a", "fracture_cause=none",
    "-a", "attribution=none",
    "-a", "nerve=none",
    "-a", "condition=none",
    "-a", "pain_course=acute",
]  # fmt: skip

TRAUMA_TEXT = "Injury documented as the origin of the pain:"
RESULT_START = "Codes, in reporting order"


class Session:
    """One `backcoder code` run on a pty, with everything it printed kept in `transcript`."""

    def __init__(
        self,
        *args: str,
        program: str = sys.executable,
        argv: list[str] | None = None,
        columns: int = 120,
    ):
        self.log = io.StringIO()
        env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
        self.child = pexpect.spawn(
            program,
            ["-m", "backcoder", "code", *args] if argv is None else argv,
            env={**env, "NO_COLOR": "1"},
            encoding="utf-8",
            timeout=10,
            dimensions=(24, columns),
        )
        self.child.logfile_read = self.log
        self.sent: str | None = None

    @property
    def transcript(self) -> str:
        return self.log.getvalue().replace("\r\n", "\n")

    def prompt(self) -> str:
        """Wait for the answer prompt; return what was printed since the last wait, less
        the terminal's echo of the line typed last."""
        self.child.expect(PROMPT)
        before = self.child.before.replace("\r\n", "\n")
        if self.sent is not None:
            echo = self.sent + "\n"
            assert before.startswith(echo), f"expected the echo of {self.sent!r}: {before!r}"
            before = before[len(echo) :]
        return before

    def answer(self, text: str) -> str:
        """Wait for the prompt, type `text`; return what was printed before the prompt."""
        before = self.prompt()
        self.child.sendline(text)
        self.sent = text
        return before

    def finish(self) -> int | None:
        """Wait for the program to end, answering "no other back problem" (Enter) when it
        asks; its exit status (None if a signal ended it)."""
        if self.child.expect([ANOTHER, pexpect.EOF]) == 0:
            self.child.sendline("")
            self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus

    def asked(self) -> list[str]:
        """The ids of the questions shown, in order, repeats included."""
        return [match.group(3) for match in HEADER.finditer(self.transcript)]

    def prompting_part(self) -> str:
        """The transcript before the result was printed."""
        return self.transcript.split(RESULT_START)[0]


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    started: list[Session] = []
    yield started
    for session in started:
        if session.child.isalive():
            session.child.close(force=True)


@pytest.fixture
def run(sessions: list[Session]):
    def start(*args: str) -> Session:
        session = Session(*args)
        sessions.append(session)
        return session

    return start


def flat(text: str) -> str:
    """Whitespace collapsed, so that phrases wrapped by the terminal width still match."""
    return " ".join(text.split())


def codes_in(transcript: str) -> list[str]:
    """The codes of the result table (rows like ` 1 │ M54.50 │ ... │ first-listed`)."""
    return re.findall(r"^\s*\d+ │ (\S+)\s+│", transcript, flags=re.MULTILINE)


# --------------------------------------------------------------------- prompting only the gaps


def test_prompts_only_for_missing_answers(run) -> None:
    session = run(*LOW_BACK_FLAGS)

    first = session.answer("none")
    assert "Question 1 of at most" in first
    assert "(red_flags)\nRed flags documented:" in first
    assert "6) [x] None of these none" in flat(first)

    second = session.answer("not_documented")
    assert "(lumbar_cause)\nLow back pain documented as:" in second
    assert TRAUMA_TEXT not in second

    assert session.finish() == 0
    out = session.transcript
    # red_flags has a default only for scripted runs: interactively it is asked; after it,
    # only lumbar_cause, which no flag answered.
    assert session.asked() == ["red_flags", "lumbar_cause"]
    # Flagged questions never appear as prompts (trauma's text does appear later, in the
    # query's "Documented:" line, so only the prompting part is checked).
    prompting = session.prompting_part()
    assert TRAUMA_TEXT not in prompting
    assert "(trauma)" not in prompting
    assert "Course of the pain documented as:" not in prompting

    assert codes_in(out) == ["M54.50"]
    assert "Low back pain, unspecified" in out
    queries = out.split("Physician queries")[1]
    assert "lumbar_cause: Please clarify the cause or character of the low back pain" in flat(
        queries
    )
    assert "red_flags = none  (prompt)" in out
    assert "trauma = no  (flag)" in out
    assert "lumbar_cause = not_documented  (prompt)" in out
    assert "Traceback" not in out


def test_no_input_in_a_terminal_never_prompts(run) -> None:
    session = run("--no-input", *LOW_BACK_FLAGS)
    assert session.finish() == 2
    out = session.transcript
    assert session.asked() == []
    assert "backcoder: missing answer for lumbar_cause" in out
    assert "pass -a lumbar_cause=VALUE" in out
    assert "Traceback" not in out


# --------------------------------------------------------------------------- the whole walk


def test_full_walk_low_back_pain_not_further_documented(run) -> None:
    session = run()
    walk = [
        ("red_flags", "none"),
        ("trauma", "no"),
        ("fracture_cause", "none"),
        ("attribution", "none"),
        ("nerve", "none"),
        ("condition", "none"),
        ("region", "lumbar"),
        ("lumbar_cause", "not_documented"),
        ("pain_course", "acute"),
    ]
    for question, reply in walk:
        shown = session.answer(reply)
        assert f"({question})" in shown, f"expected {question} to be asked, got:\n{shown}"

    assert session.finish() == 0
    out = session.transcript
    assert session.asked() == [question for question, _ in walk]
    assert codes_in(out) == ["M54.50"]
    for question, reply in walk:
        assert f"{question} = {reply}  (prompt)" in out
    assert "Physician queries" in out
    assert "Traceback" not in out


def test_progress_text(run) -> None:
    session = run()
    for reply in [
        "none",
        "no",
        "none",
        "none",
        "none",
        "none",
        "lumbar",
        "not_documented",
        "acute",
    ]:
        session.answer(reply)
    assert session.finish() == 0

    headers = [
        (int(match.group(1)), int(match.group(2)), match.group(3))
        for match in HEADER.finditer(session.transcript)
    ]
    assert [number for number, _, _ in headers] == [1, 2, 3, 4, 5, 6, 7, 8, 9]
    for number, at_most, question in headers:
        assert number <= at_most, f"{question}: question {number} of at most {at_most}"
    # The bound only tightens as the walk narrows.
    bounds = [at_most for _, at_most, _ in headers]
    assert bounds == sorted(bounds, reverse=True)


# ------------------------------------------------------------------------- choosing a value


def test_number_full_id_and_prefix_selection(run) -> None:
    session = run(
        "-a", "trauma=no", "-a", "fracture_cause=none", "-a", "attribution=none",
        "-a", "nerve=none", "-a", "condition=none", "-a", "pain_course=acute"
    )  # fmt: skip
    session.answer("6")  # red_flags by number: none

    shown = session.answer("c")  # region: ambiguous prefix
    assert "(region)\nRegion of the pain or injury:" in shown
    assert "10) [ ] Coccygeal (tailbone) coccygeal" in flat(shown)

    message = session.answer("12")  # out of range
    assert message.strip() == "'c' could be cervical, cervicothoracic, coccygeal; type more of it"

    message = session.answer("0")
    assert message.strip() == "12 is not a choice; type a number from 1 to 11"

    message = session.answer("lum")  # still ambiguous: lumbar, lumbosacral
    assert message.strip() == "0 is not a choice; type a number from 1 to 11"

    message = session.answer("lumbar")  # full id
    assert message.strip() == "'lum' could be lumbar, lumbosacral; type more of it"

    shown = session.answer("vert")  # lumbar_cause by unambiguous prefix: vertebrogenic
    assert "(lumbar_cause)" in shown

    assert session.finish() == 0
    out = session.transcript
    # Each error re-asked the same question without showing it again.
    assert session.asked() == ["red_flags", "region", "lumbar_cause"]
    assert "red_flags = none  (prompt)" in out
    assert "region = lumbar  (prompt)" in out
    assert "lumbar_cause = vertebrogenic  (prompt)" in out
    assert codes_in(out) == ["M54.51"]
    assert "Traceback" not in out


def test_several_values_and_exclusive_choice(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("1,6")  # cauda_equina with none: refused
    message = session.answer("none")
    assert message.strip() == "red_flags=none cannot be combined with other values"
    session.answer("not_documented")
    assert session.finish() == 0
    assert session.asked() == ["red_flags", "lumbar_cause"]
    assert codes_in(session.transcript) == ["M54.50"]


def test_one_value_question_refuses_two(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("none")
    session.answer("other,vert")
    message = session.answer("other")
    assert message.strip().startswith("lumbar_cause takes one value, not 2 (other,vertebrogenic)")
    assert session.finish() == 0
    assert codes_in(session.transcript) == ["M54.59"]


# ---------------------------------------------------------------------------------- help


def test_question_mark_shows_help_and_reasks(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("none")
    session.answer("?")
    help_text = flat(session.answer("not_documented"))
    # The question's help from rules/back_pain.yaml, then the choices' help.
    assert help_text.startswith("Low back pain documented as: Due to a disc displacement;")
    assert "vertebrogenic (endplate pain); another specified low back pain" in help_text
    assert "not_documented: Low back pain, unspecified (M54.50), with a query." in help_text
    assert session.finish() == 0
    # Help re-asked the same question: it was shown once and answered once.
    assert session.asked() == ["red_flags", "lumbar_cause"]
    assert codes_in(session.transcript) == ["M54.50"]


def test_help_word_on_multiple_question(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("help")
    help_text = flat(session.answer("none"))
    assert "Red flags documented: Clinical decision support, not coding" in help_text
    assert "Defaults to none in scripted runs." in help_text
    assert "cauda_equina: Saddle anaesthesia" in help_text
    session.answer("5")
    assert session.finish() == 0
    assert session.asked() == ["red_flags", "lumbar_cause"]


# ---------------------------------------------------------------------------------- back


def test_back_returns_to_previous_prompt_and_changes_outcome(run) -> None:
    session = run(*NO_REGION_FLAGS)
    session.answer("lumbar")
    shown = session.answer("b")  # at lumbar_cause
    assert "(lumbar_cause)\nLow back pain documented as:" in shown

    shown = session.answer("thoracic")  # region again, answered differently
    assert "(region)\nRegion of the pain or injury:" in shown
    assert "Question 7 of at most" in shown

    assert session.finish() == 0
    out = session.transcript
    assert session.asked() == ["region", "lumbar_cause", "region"]
    assert codes_in(out) == ["M54.6"]
    assert "M54.50" not in out
    assert "region = thoracic  (prompt)" in out
    assert "lumbar_cause" not in out.split(RESULT_START)[1]
    # Flagged answers stay: going back only undoes prompted ones.
    assert "trauma = no  (flag)" in out


def test_back_on_first_question_has_nothing_to_go_back_to(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("b")
    shown = session.answer("none")
    assert "Nothing to go back to: this is the first question." in shown
    assert "(red_flags)\nRed flags documented:" in shown
    session.answer("not_documented")
    assert session.finish() == 0
    assert session.asked() == ["red_flags", "red_flags", "lumbar_cause"]
    assert codes_in(session.transcript) == ["M54.50"]


def test_back_past_flags_reaches_only_prompted_questions(run) -> None:
    """With flags answering the questions in between, `b` skips them: they were not asked."""
    session = run(*LOW_BACK_FLAGS)
    session.answer("none")
    shown = session.answer("b")  # at lumbar_cause: back to red_flags, over four flags
    assert "(lumbar_cause)" in shown
    shown = session.answer("b")  # at red_flags, the first prompted question
    assert "(red_flags)\nRed flags documented:" in shown
    assert "Question 1 of at most" in shown
    shown = session.answer("none")
    assert "Nothing to go back to: this is the first question." in shown
    session.answer("other")
    assert session.finish() == 0
    assert session.asked() == [
        "red_flags",
        "lumbar_cause",
        "red_flags",
        "red_flags",
        "lumbar_cause",
    ]
    assert codes_in(session.transcript) == ["M54.59"]


# ------------------------------------------------------------------- interrupt, end of input


def test_ctrl_c_at_prompt_exits_130(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.prompt()
    session.child.sendintr()
    status = session.finish()
    out = session.transcript
    assert status == 130
    assert session.child.signalstatus is None
    assert re.search(r"^backcoder: interrupted$", out, flags=re.MULTILINE)
    assert "Traceback" not in out
    assert RESULT_START not in out


def test_ctrl_c_at_a_later_prompt_exits_130(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("none")
    session.prompt()  # lumbar_cause
    session.child.sendintr()
    assert session.finish() == 130
    out = session.transcript
    assert "backcoder: interrupted" in out
    assert "Traceback" not in out
    assert RESULT_START not in out


def test_end_of_input_at_prompt_exits_1(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("6")
    session.prompt()  # lumbar_cause
    session.child.sendeof()
    status = session.finish()
    out = session.transcript
    assert status == 1
    errors = [line for line in out.splitlines() if "backcoder:" in line]
    assert len(errors) == 1
    assert "backcoder: input ended while waiting for an answer to lumbar_cause" in errors[0]
    assert "Traceback" not in out
    assert RESULT_START not in out


def test_end_of_input_message_is_on_its_own_line(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.prompt()
    session.child.sendeof()
    assert session.finish() == 1
    assert re.search(
        r"^backcoder: input ended while waiting for an answer to red_flags$",
        session.transcript,
        flags=re.MULTILINE,
    )


# ------------------------------------------------------------------------------------- json


def test_json_with_prompts(run) -> None:
    session = run("--json", *LOW_BACK_FLAGS)
    session.answer("none")
    session.answer("5")  # lumbar_cause: not_documented
    assert session.finish() == 0

    out = session.transcript
    assert session.asked() == ["red_flags", "lumbar_cause"]
    # The result follows the last prompt and the echoed answer; it is the rest of the output.
    after_prompts = out[out.rindex("(y / N; < back) \n") + len("(y / N; < back) \n") :]
    result = json.loads(after_prompts)
    assert [code["code"] for code in result["codes"]] == ["M54.50"]
    assert result["answers"]["lumbar_cause"] == "not_documented"
    sources = {step["question"]: step["source"] for step in result["path"]}
    assert sources["red_flags"] == "prompt"
    assert sources["lumbar_cause"] == "prompt"
    assert sources["trauma"] == "flag"
    assert [query["question"] for query in result["queries"]] == ["lumbar_cause"]


def test_json_goes_to_stdout_and_prompts_do_not(sessions, tmp_path: Path) -> None:
    """stdout redirected to a file while stdin and stderr stay on the terminal."""
    out_file = tmp_path / "result.json"
    command = shlex.join([sys.executable, "-m", "backcoder", "code", "--json", *LOW_BACK_FLAGS])
    session = Session(
        program="/bin/sh", argv=["-c", f"exec {command} > {shlex.quote(str(out_file))}"]
    )
    sessions.append(session)

    session.answer("none")
    session.answer("vertebrogenic")
    assert session.finish() == 0

    assert session.asked() == ["red_flags", "lumbar_cause"]
    assert '"codes"' not in session.transcript
    text = out_file.read_text(encoding="utf-8")
    assert "Question" not in text
    result = json.loads(text)
    assert [code["code"] for code in result["codes"]] == ["M54.51"]


# --------------------------------------------------------------------- encounters


def _another(session: Session, reply: str) -> str:
    """Answer the "another back problem?" prompt; return what was printed before it."""
    session.child.expect(ANOTHER)
    before = session.child.before.replace("\r\n", "\n")
    session.child.sendline(reply)
    session.sent = reply
    return before


def test_two_problems_walked_one_after_the_other(run) -> None:
    session = run(
        "--json", "-a", "trauma=no", "-a", "fracture_cause=none", "-a", "attribution=none",
        "-a", "condition=none", "-a", "pain_course=acute",
    )  # fmt: skip
    session.answer("none")  # red_flags
    session.answer("none")  # nerve
    session.answer("cervical")  # region
    assert "Problem 1 is coded" in _another(session, "y")
    session.sent = None
    shown = session.answer("none")  # problem 2: nerve (red flags and the flags are kept)
    assert "Problem 2, question" in shown and "(nerve)" in shown
    session.answer("lumbar")
    session.answer("other")  # lumbar_cause
    _another(session, "")
    assert session.finish() == 0
    out = session.transcript
    data = json.loads(out[out.rindex("(y / N; < back) \n") + len("(y / N; < back) \n") :])
    assert [c["code"] for c in data["codes"]] == ["M54.2", "M54.59"]
    assert [c["problems"] for c in data["codes"]] == [[1], [2]]
    assert session.asked().count("red_flags") == 1


def test_back_goes_across_problems(run) -> None:
    session = run(
        "-a", "trauma=no", "-a", "fracture_cause=none", "-a", "attribution=none",
        "-a", "condition=none", "-a", "pain_course=acute", "-a", "red_flags=none",
    )  # fmt: skip
    session.answer("none")  # nerve
    session.answer("cervical")  # region
    _another(session, "y")
    session.sent = None
    session.answer("b")  # from problem 2's first question back to "another problem?"
    _another(session, "b")  # and back to problem 1's region
    session.sent = None
    shown = session.answer("thoracic")
    assert "(region)" in shown
    _another(session, "n")
    assert session.finish() == 0
    assert codes_in(session.transcript) == ["M54.6"]


# ------------------------------------------------------------------ defaults, keys, width


def test_enter_takes_the_default_the_prompt_shows(run) -> None:
    """red_flags defaults to none (the default a scripted run takes): Enter accepts it."""
    session = run(*LOW_BACK_FLAGS)
    session.child.expect(r"Enter: none; \? help, < back\) ")
    session.child.sendline("")
    session.sent = ""
    shown = session.answer("other")
    assert "(lumbar_cause)" in shown
    assert "Enter:" not in shown  # lumbar_cause has no default
    assert session.finish() == 0
    assert "red_flags = none  (prompt)" in session.transcript
    assert codes_in(session.transcript) == ["M54.59"]


def test_enter_without_a_default_is_refused_with_what_to_type(run) -> None:
    session = run(*LOW_BACK_FLAGS)
    session.answer("")  # red_flags: none, its default
    session.answer("")  # lumbar_cause: no default
    message = session.answer("other")
    assert message.strip() == "type a number from 1 to 5 or a choice id (? for help)"
    assert session.finish() == 0
    assert session.asked() == ["red_flags", "lumbar_cause"]


def test_going_back_offers_the_earlier_answer_as_the_default(run) -> None:
    session = run(*NO_REGION_FLAGS)
    session.answer("cervical,lumbar")  # region, several
    session.answer("<")  # at lumbar_cause: back to region
    session.child.expect(PROMPT)
    shown = session.child.before.replace("\r\n", "\n")
    assert "(region)" in shown
    # What was selected shows, marked, and Enter keeps it.
    assert "2) [x] Cervical (neck)" in flat(shown)
    assert "6) [x] Lumbar (low back)" in flat(shown)
    assert "4) [ ] Thoracic (mid back)" in flat(shown)
    assert "Selected: cervical, lumbar" in shown
    assert "Enter: cervical,lumbar;" in session.child.after
    session.child.sendline("")
    session.sent = ""
    session.answer("other")  # lumbar_cause
    assert session.finish() == 0
    assert codes_in(session.transcript) == ["M54.2", "M54.59"]


def test_b_at_side_is_bilateral_and_back_is_not_a_letter(run) -> None:
    """`b` is the prefix of `bilateral`: a choice always wins over a command key."""
    session = run(
        "-a", "red_flags=none", "-a", "trauma=no", "-a", "fracture_cause=none",
        "-a", "attribution=none", "-a", "nerve=sciatica", "-a", "cause=none", "-a", "lumbago=no",
        "-a", "pain_course=acute",
    )  # fmt: skip
    session.answer("<")  # side: back, with nothing to go back to
    shown = session.answer("b")
    assert "Nothing to go back to" in shown
    assert "(side)" in shown
    session.answer("<")  # region: back to side
    shown = session.answer("l")  # side again: left this time
    assert "Enter: bilateral;" in shown + session.child.after  # the earlier answer
    session.answer("lumbar")
    assert session.finish() == 0
    out = session.transcript
    assert session.asked() == ["side", "side", "region", "side", "region"]
    assert "side = left  (prompt)" in out
    assert codes_in(out) == ["M54.32"]  # sciatica, left side


def test_b_still_goes_back_where_no_choice_begins_with_it(run) -> None:
    session = run(*NO_REGION_FLAGS)
    session.answer("lumbar")
    shown = session.answer("b")  # lumbar_cause: no choice begins with b
    assert "(lumbar_cause)" in shown
    shown = session.answer("thoracic")
    assert "(region)" in shown
    assert session.finish() == 0
    assert codes_in(session.transcript) == ["M54.6"]


def test_the_whole_walk_fits_80_columns(sessions) -> None:
    """A walk through the longest questions (red flags, region) in an 80-column terminal."""
    replies = {
        "red_flags": "",
        "trauma": "no",
        "fracture_cause": "none",
        "attribution": "",
        "nerve": "sciatica",
        "cause": "none",
        "lumbago": "yes",
        "side": "left",
        "region": "lumbar",
        "pain_course": "chronic",
        "reason": "other",
    }
    session = Session(columns=80)
    sessions.append(session)
    for _ in range(len(replies) + 1):
        if session.child.expect([PROMPT, ANOTHER]) == 1:
            break
        question = HEADER.findall(session.transcript.replace("\r\n", "\n"))[-1][2]
        session.child.sendline(replies[question])
    session.child.sendline("")
    session.child.expect(pexpect.EOF)
    session.child.close()
    assert session.child.exitstatus == 0, session.transcript
    too_wide = [line for line in session.transcript.splitlines() if len(line.rstrip()) > 80]
    assert too_wide == []
    # A long choice label wraps inside its column, under itself.
    assert re.search(r"^ 4\) \[ \] Significant trauma in an older", session.transcript, re.M)
    assert re.search(r"^ {8}patient", session.transcript, re.M)
    assert codes_in(session.transcript)[0] == "M54.42"  # lumbago with sciatica, left side


def test_a_refused_answer_is_asked_again(run) -> None:
    session = run(
        "-a", "red_flags=none", "-a", "trauma=no", "-a", "fracture_cause=none",
        "-a", "attribution=none", "-a", "nerve=none", "-a", "condition=sacroiliitis",
        "-a", "pain_course=acute",
    )  # fmt: skip
    session.answer("lumbar")  # region: sacroiliitis cannot be there
    shown = session.answer("sacroiliac")
    assert "condition=sacroiliitis with region=lumbar: sacroiliitis is" in shown
    assert "(region)" in shown
    assert session.finish() == 0
    assert codes_in(session.transcript) == ["M46.1"]
