"""The whole ICD-10-CM tabular of one release, from a compact generated index.

`OfficialTabular` parses the 10 MB XML of simple-icd-10-cm (about two seconds) before it can
answer anything; `explain`, `compare` and `audit` must answer for any code in a fraction of
that. `tools/build_icd_data.py` reads the same tabular once, through the same library calls,
and writes `data/tabular-index.bin`: a JSON header line (the release and the package version
it came from, the 7th-character tables, where each shard lies and which categories it holds),
then the zlib-compressed JSON shards, each a few consecutive categories (about 32 kB of
JSON). A look-up reads the header and decompresses the one shard of the code's category.

Within a shard each code maps to `[title, billable, parent, table, extensions, excludes1,
excludes2, inclusion]`: `table` indexes the header's 7th-character tables (-1: none), and
`extensions` lists the 7th characters whose codes add nothing to the base code but that
character (S32.010 has A B D G K S: S32.010A, ...), so those codes are not stored.
Children are the codes whose parent is the code, in tabular order.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from backcoder.icd.tabular import CodeInfo

INDEX = Path(__file__).resolve().parent / "data" / "tabular-index.bin"
INDEX_FORMAT = "backcoder-icd-index 2"


def extension_name(base: str, character: str) -> str:
    """The code a 7th character makes of a base code, with placeholder X: S33.5 -> S33.5XXA."""
    name = base if len(base) > 3 else base + "."
    return name.ljust(7, "X") + character


class _Shard:
    """The codes of a few consecutive categories: raw entries, decoded on demand."""

    __slots__ = ("entries", "_children", "_tables")

    def __init__(self, entries: dict[str, list[Any]], tables: list[dict[str, str]]) -> None:
        self.entries = entries
        self._tables = tables
        self._children: dict[str, list[str]] | None = None

    def children(self, code: str) -> tuple[str, ...]:
        if self._children is None:
            found: dict[str, list[str]] = {}
            for child, entry in self.entries.items():
                if entry[2]:
                    found.setdefault(entry[2], []).append(child)
            self._children = found
        return tuple(self._children.get(code, ()))

    def table(self, entry: list[Any]) -> dict[str, str]:
        return dict(self._tables[entry[3]]) if entry[3] >= 0 else {}

    def info(self, code: str) -> CodeInfo | None:
        entry = self.entries.get(code)
        if entry is not None:
            return self._stored(code, entry)
        return self._extension(code)

    def _stored(self, code: str, entry: list[Any]) -> CodeInfo:
        title, billable, parent, _, extensions, excludes1, excludes2, inclusion = entry
        children = (
            tuple(extension_name(code, char) for char in extensions)
            if extensions
            else self.children(code)
        )
        return CodeInfo(
            code=code,
            title=title,
            billable=bool(billable),
            parent=parent or None,
            children=children,
            excludes1=tuple(excludes1),
            excludes2=tuple(excludes2),
            inclusion=tuple(inclusion),
            seventh=self.table(entry),
        )

    def _extension(self, code: str) -> CodeInfo | None:
        """A base code plus its 7th character: S32.010A, or S33.5XXA with placeholders."""
        if len(code) != 8:
            return None
        base = code[:-1]
        while base not in self.entries and base[-1:] in ("X", "."):
            base = base[:-1]
        entry = self.entries.get(base)
        character = code[-1]
        if entry is None or character not in entry[4] or extension_name(base, character) != code:
            return None
        table = self.table(entry)
        return CodeInfo(
            code=code,
            title=f"{entry[0]}, {table[character]}",
            billable=True,
            parent=base,
            seventh=table,
        )

    def codes(self) -> Iterator[str]:
        for code, entry in self.entries.items():
            yield code
            for character in entry[4]:
                yield extension_name(code, character)


class TabularIndex:
    """The tabular of one release, read from the generated index (same protocol as
    OfficialTabular). Nothing is read until the first look-up; a shard once read is kept."""

    def __init__(self, path: Path = INDEX) -> None:
        self.path = path
        self._header: dict[str, Any] | None = None
        self._start = 0
        self._where: dict[str, int] = {}
        """Category -> the number of its shard."""
        self._shards: dict[int, _Shard] = {}
        self._infos: dict[str, CodeInfo | None] = {}
        """Answers given, as OfficialTabular keeps them: audits ask for the same codes and
        their ancestors again and again."""

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickles as its path (none for the shipped index, whose path may differ in the
        receiving process): a worker reads what it needs itself."""
        return (TabularIndex, () if self.path == INDEX else (self.path,))

    @property
    def header(self) -> dict[str, Any]:
        if self._header is None:
            with self.path.open("rb") as handle:
                line = handle.readline()
            header = json.loads(line)
            if header.get("format") != INDEX_FORMAT:
                raise ValueError(f"{self.path}: not a {INDEX_FORMAT} file")
            self._header, self._start = header, len(line)
            for number, (_, _, categories) in enumerate(header["shards"]):
                self._where.update(dict.fromkeys(categories.split(), number))
        return self._header

    def _category_map(self) -> dict[str, int]:
        self.header  # noqa: B018 - reading the header fills the map
        return self._where

    @property
    def release(self) -> str:
        """The date of the release the index holds (`2026-04-01`), as OfficialTabular.release."""
        return str(self.header["effective"])

    @property
    def source(self) -> dict[str, Any]:
        """Which release the index holds and where it came from: the release id and name of
        releases.toml, its effective date, and the package version that shipped it."""
        header = self.header
        return {key: header[key] for key in ("release", "name", "effective", "source")}

    def _shard(self, number: int) -> _Shard:
        if number not in self._shards:
            offset, length, _ = self.header["shards"][number]
            with self.path.open("rb") as handle:
                handle.seek(self._start + offset)
                blob = handle.read(length)
            entries = json.loads(zlib.decompress(blob))
            self._shards[number] = _Shard(entries, self.header["seventh"])
        return self._shards[number]

    def info(self, code: str) -> CodeInfo | None:
        """The code's tabular entry (dotted, upper case), or None if it is not a code."""
        if code not in self._infos:
            number = self._category_map().get(code[:3])
            self._infos[code] = None if number is None else self._shard(number).info(code)
        return self._infos[code]

    def all_codes(self) -> list[str]:
        """Every code (categories, subcategories, codes; no chapters or blocks), in tabular
        order."""
        found: list[str] = []
        for number in range(len(self.header["shards"])):
            found.extend(self._shard(number).codes())
        return found
