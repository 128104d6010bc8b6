"""The shape of an ICD-10-CM code: how a typed code is read, and how a 7th character and
placeholder X complete one (guideline I.A.5)."""

from __future__ import annotations

import re

from backcoder.errors import CodeLookupError
from backcoder.icd.tabular import CodeInfo, undotted

CODE_LENGTH_BEFORE_SEVENTH = 6
"""Characters (without the dot) before the 7th character; placeholder X fills the gap."""

_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z]{1,5}$")


def normalize(text: str) -> str:
    """`m5450` and ` M54.50 ` are M54.50: upper case, the dot after the category."""
    typed = text.strip().upper()
    bare = typed.replace(".", "")
    misplaced_dot = typed.count(".") > 1 or ("." in typed and typed.index(".") != 3)
    if misplaced_dot or not _CODE_SHAPE.match(bare):
        raise CodeLookupError(
            f"{text.strip()!r} is not shaped like an ICD-10-CM code (a letter, two characters, "
            "then up to four more: M54.50, S39.012A)"
        )
    return dotted(bare)


def dotted(bare: str) -> str:
    return bare if len(bare) == 3 else f"{bare[:3]}.{bare[3:]}"


def with_seventh_character(stem: str, seventh: str) -> str:
    """`S33.5` + `A` is `S33.5XXA`: placeholder X holds the 7th character's place (I.A.5)."""
    category, _, rest = stem.partition(".")
    padded = (category + rest).ljust(CODE_LENGTH_BEFORE_SEVENTH, "X")
    return f"{padded[:3]}.{padded[3:]}{seventh}"


def needs_seventh_character(info: CodeInfo) -> bool:
    """S39.012 and S12.9: their only children add the 7th character (S39.012A ...)."""
    return (
        not info.billable
        and bool(info.children)
        and all(len(undotted(child)) == 7 for child in info.children)
    )
