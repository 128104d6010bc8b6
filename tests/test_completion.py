"""Shell completion for bash: commands, question ids, answer values and codes, asked the
way bash's completion function asks (environment variables, one candidate a line)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def complete(words: str) -> list[str]:
    parts = words.split(" ")
    env = {
        **os.environ,
        "_BACKCODER_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
    }
    script = "import sys; from backcoder.cli import main; sys.argv[0] = 'backcoder'; main()"
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("backcoder ex", ["explain"]),
        ("backcoder rules c", ["check"]),
        ("backcoder code -a reg", ["region="]),
        ("backcoder code -a region=lu", ["region=lumbar", "region=lumbosacral"]),
        ("backcoder code -a side=b", ["side=bilateral"]),
        ("backcoder explain M54.5", ["M54.5", "M54.50", "M54.51", "M54.59"]),
        ("backcoder compare M54.9 m545", ["m545", "m5450", "m5451", "m5459"]),
    ],
)
def test_bash_completion(words: str, expected: list[str]) -> None:
    assert complete(words) == expected


def test_multi_select_completes_the_next_value() -> None:
    found = complete("backcoder code -a region=lumbar,c")
    assert found == [
        "region=lumbar,cervical",
        "region=lumbar,cervicothoracic",
        "region=lumbar,coccygeal",
    ]


def test_codes_complete_with_seventh_characters() -> None:
    assert "S32.010A" in complete("backcoder template S32.010")
