"""What backcoder knows of the ICD-10-CM tabular: titles, notes, billability.

Two sources answer the same questions. `OfficialTabular` reads the April 1, 2026 tabular
through simple-icd-10-cm: it is the authority, and parsing it costs about two seconds, so
only `rules check`, `rules build` and look-ups of codes outside the rules use it. `CodeIndex`
is the small extract of it that `rules build` writes beside a rule file, which every normal
run reads instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Protocol

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_RELEASE_FILE = re.compile(r"tabular-([A-Za-z]+)-(\d{1,2})-(\d{4})\.xml$")
NOTE_FIELDS = ("excludes1", "excludes2", "inclusion")
_CODE_REFERENCE = re.compile(r"\b([A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{0,4})?)(?:\.?-)?")
_PARENTHESES = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str
    title: str
    billable: bool
    parent: str | None = None
    children: tuple[str, ...] = ()
    excludes1: tuple[str, ...] = ()
    excludes2: tuple[str, ...] = ()
    inclusion: tuple[str, ...] = ()
    seventh: dict[str, str] = field(default_factory=dict)
    """The 7th-character table that applies to this code (its own or inherited)."""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in data.items()
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeInfo:
        tuples = {key: tuple(data.get(key, ())) for key in ("children", *NOTE_FIELDS)}
        return cls(
            code=data["code"],
            title=data["title"],
            billable=data["billable"],
            parent=data.get("parent"),
            seventh=dict(data.get("seventh", {})),
            **tuples,
        )


class Tabular(Protocol):
    def info(self, code: str) -> CodeInfo | None: ...


def fiscal_year(release: str) -> int:
    """The fiscal year of a release date (`2026-04-01` is FY2026, `2025-10-01` too): the
    year of the guidelines that go with it. Fiscal years start on October 1."""
    year, month, _ = (int(part) for part in release.split("-"))
    return year + 1 if month >= 10 else year


def release_label(release: str) -> str:
    """`2026-04-01` as people write it: April 1, 2026."""
    year, month, day = (int(part) for part in release.split("-"))
    return f"{_MONTHS[month - 1]} {day}, {year}"


def undotted(code: str) -> str:
    return code.replace(".", "").upper()


def referenced_codes(note: str) -> list[str]:
    """The codes a note points at: `... disc disorder (M51.1-)` gives `M51.1`."""
    found: list[str] = []
    for group in _PARENTHESES.findall(note):
        found.extend(match.group(1).rstrip(".") for match in _CODE_REFERENCE.finditer(group))
    return found


def ancestry(tabular: Tabular, code: str) -> Iterator[CodeInfo]:
    current = tabular.info(code)
    while current is not None:
        yield current
        current = tabular.info(current.parent) if current.parent else None


class CodeIndex:
    """The extract of the tabular that `rules build` ships beside a rule file."""

    def __init__(self, codes: Mapping[str, CodeInfo]) -> None:
        self._codes = dict(codes)

    def info(self, code: str) -> CodeInfo | None:
        return self._codes.get(code)

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def as_json(self) -> dict[str, Any]:
        return {code: info.as_json() for code, info in sorted(self._codes.items())}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CodeIndex:
        return cls({code: CodeInfo.from_json(entry) for code, entry in data.items()})


class OfficialTabular:
    """The tabular read through simple-icd-10-cm (imported on first use: it is slow)."""

    def __init__(self) -> None:
        import simple_icd_10_cm as cm

        self._cm = cm
        self._cache: dict[str, CodeInfo | None] = {}

    def info(self, code: str) -> CodeInfo | None:
        if code not in self._cache:
            self._cache[code] = self._read(code)
        return self._cache[code]

    def _read(self, code: str) -> CodeInfo | None:
        cm = self._cm
        if not cm.is_valid_item(code) or cm.is_chapter_or_block(code):
            return None
        parent = cm.get_parent(code)
        return CodeInfo(
            code=cm.add_dot(code) if "." not in code and len(code) > 3 else code,
            title=cm.get_description(code),
            billable=cm.is_leaf(code),
            parent=parent if parent and not cm.is_chapter_or_block(parent) else None,
            children=tuple(cm.get_children(code)),
            excludes1=tuple(cm.get_excludes1(code)),
            excludes2=tuple(cm.get_excludes2(code)),
            inclusion=tuple(cm.get_inclusion_term(code)),
            seventh=dict(cm.get_seven_chr_def(code, search_in_ancestors=True)),
        )

    @cached_property
    def release(self) -> str:
        """The release the installed package ships, read from its tabular file's name
        (`icd10c-tabular-April-1-2026.xml` is 2026-04-01), so it is never typed in code."""
        from importlib.resources import files

        for entry in files("simple_icd_10_cm.data").iterdir():
            found = _RELEASE_FILE.search(entry.name)
            if found:
                month, day, year = found.groups()
                number = _MONTHS.index(month.capitalize()) + 1
                return f"{int(year):04d}-{number:02d}-{int(day):02d}"
        raise LookupError("simple-icd-10-cm ships no tabular file")

    def all_codes(self) -> list[str]:
        return list(self._cm.get_all_codes(with_dots=True))


def extract(tabular: Tabular, codes: Iterable[str]) -> CodeIndex:
    """The index entries for `codes` and every ancestor, which Excludes1 checks need."""
    picked: dict[str, CodeInfo] = {}
    for code in codes:
        for info in ancestry(tabular, code):
            picked.setdefault(info.code, info)
    return CodeIndex(picked)
