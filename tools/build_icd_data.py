#!/usr/bin/env python3
"""Build backcoder's generated ICD-10-CM data from the official releases themselves.

Validity by date of service must come from the releases, not from a hand-kept list, so this
script installs each release listed in `src/backcoder/icd/data/releases.toml` (the exact
package version named there) into a throwaway folder of its own, reads its code set there
with this Python run without its site-packages, and writes three generated files beside
that list:

- `releases-table.txt.gz`: for every code of any release, the releases in which it was a
  code and those in which it was billable, as two bitmasks (bit i is the i-th release).
  There are few distinct pairs of masks, so each code carries one character naming its
  pair, and the codes are one sorted line: loading is one `split`, look-ups bisect.
- `release-titles.txt.gz`: the official title of each code in each release where it differs
  from the title in the `[index]` release, or the code is not in that release (a code
  deleted since, S30.1XXA), so a claim shows a code's title on its date of service.
- `tabular-index.bin`: the whole tabular of the `[index]` release (titles, billable, parent,
  notes, 7th-character tables), in zlib-compressed JSON shards of consecutive categories
  behind a JSON header line, so a look-up decompresses one small shard and never parses the
  10 MB XML.
  Codes made of a base code and a 7th character are stored as that character on the base.

Standard library only: it runs before backcoder is installed. Usage:

    python tools/build_icd_data.py [--out DIR] [--only releases|index]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import tomllib
import unicodedata
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src" / "backcoder" / "icd" / "data"
RELEASES = DATA / "releases.toml"
TABLE_NAME = "releases-table.txt.gz"
TITLES_NAME = "release-titles.txt.gz"
TITLES_FORMAT = "backcoder-icd-titles 1"
INDEX_NAME = "tabular-index.bin"
TABLE_FORMAT = "backcoder-icd-releases 2"
PAIR_BASE = ord("A")
"""Pair n is written as the character chr(PAIR_BASE + n)."""
INDEX_FORMAT = "backcoder-icd-index 2"
SHARD_BYTES = 32_000
"""Uncompressed size at which a shard of consecutive categories is closed."""

# Runs with one installed version alone on the path. simple_icd_10_cm lists a block and a
# category of the same name (B20) once each under that name, and answers for the category:
# keeping categories and subcategories only (and each name once) yields exactly the codes of
# the CMS order file.
CODES_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import simple_icd_10_cm as cm
codes = {}
for code in cm.get_all_codes(with_dots=True):
    if code not in codes and (cm.is_category(code) or cm.is_subcategory(code)):
        codes[code] = [cm.is_leaf(code), cm.get_description(code)]
json.dump(codes, sys.stdout)
"""

# Runs with one installed version alone on the path: the same questions OfficialTabular
# asks, for every code, in tabular order. The parent of a category is a block (or, for B20,
# the block named B20): None.
TABULAR_SCRIPT = """
import json, sys, warnings
warnings.simplefilter("ignore")
import simple_icd_10_cm as cm
def is_code(code):
    return cm.is_category(code) or cm.is_subcategory(code)
records, seen = [], set()
for code in cm.get_all_codes(with_dots=True):
    if code in seen or not is_code(code):
        continue
    seen.add(code)
    parent = cm.get_parent(code)
    records.append([
        code,
        cm.get_description(code),
        cm.is_leaf(code),
        parent if parent and parent != code and is_code(parent) else None,
        list(cm.get_children(code)),
        list(cm.get_excludes1(code)),
        list(cm.get_excludes2(code)),
        list(cm.get_inclusion_term(code)),
        dict(cm.get_seven_chr_def(code, search_in_ancestors=True)),
    ])
json.dump(records, sys.stdout)
"""

# Runs with one installed version alone on the path: where a package's data file is,
# without importing the package (which may need dependencies that were not installed).
LOCATE_SCRIPT = """
import importlib.util, pathlib, sys
package, relative = sys.argv[1].split("/", 1)
spec = importlib.util.find_spec(package)
print(pathlib.Path(list(spec.submodule_search_locations)[0], relative))
"""


def load_config(path: Path = RELEASES) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class Installed:
    """One installed package version: this Python without its site-packages (`-S`), run
    with only that version's folder on its path, so the version installed beside backcoder
    never shadows it."""

    folder: Path

    def run(self, *arguments: str) -> str:
        command = [sys.executable, "-S", *arguments]
        return _run(command, {**os.environ, "PYTHONPATH": str(self.folder)})


class Installs:
    """Each package version in a folder of its own, installed on first need and reused, so
    the index and the releases table read the same installed release.

    The versions only need to be kept apart, which a folder each, put alone on the path of
    the reads (`-S` leaves site-packages out), does: no virtual environment is made (making
    one with pip cost seconds of CPU, most of a rebuild's time once a release)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._installed: dict[tuple[str, str], Installed] = {}

    def get(self, package: str, version: str) -> Installed:
        key = (package, version)
        if key not in self._installed:
            self._installed[key] = self._install(package, version)
        return self._installed[key]

    def _install(self, package: str, version: str) -> Installed:
        folder = self.root / f"{package}-{version}"
        pip = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, "--no-deps", "--target", str(folder), f"{package}=={version}"])
        return Installed(folder)


def _run(command: list[str], env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{done.stderr}")
    return done.stdout


def dotted(code: str) -> str:
    """CMS files write codes without the dot, which always follows the third character."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


Codes = dict[str, bool]
"""A release's codes: code -> billable."""
Titles = dict[str, str]


def read_tabular_release(installed: Installed) -> tuple[Codes, Titles]:
    found = json.loads(installed.run("-c", CODES_SCRIPT))
    return (
        {code: leaf for code, (leaf, _) in found.items()},
        {code: title for code, (_, title) in found.items()},
    )


def read_codes_file(installed: Installed, file: str) -> tuple[Codes, Titles]:
    """The billable codes of a CMS code descriptions file: the code, then its title."""
    path = Path(installed.run("-c", LOCATE_SCRIPT, file).strip())
    lines = [line.split(maxsplit=1) for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [(dotted(parts[0]), parts[1].strip()) for parts in lines if len(parts) == 2]
    return dict.fromkeys((code for code, _ in rows), True), dict(rows)


def derive_headers(billable: Iterable[str], known_headers: set[str]) -> set[str]:
    """Headers of a release that lists billable codes only: the codes that are headers in a
    release with a full tabular and have a billable code of this release beneath them."""
    found: set[str] = set()
    for code in billable:
        bare = code.replace(".", "")
        for length in range(3, len(bare)):
            prefix = dotted(bare[:length])
            if prefix in known_headers:
                found.add(prefix)
    return found


def read_releases(config: dict[str, Any], installs: Installs) -> tuple[list[Codes], list[Titles]]:
    """Each release's codes (code -> billable) and titles, in the order of the
    configuration. A release read from a codes file has titles for its billable codes only."""
    tables: list[Codes] = []
    titles: list[Titles] = []
    for release in config["release"]:
        source = release["source"]
        installed = installs.get(source["package"], source["version"])
        if source["reader"] == "tabular":
            codes, named = read_tabular_release(installed)
        else:
            codes, named = read_codes_file(installed, source["file"])
        tables.append(codes)
        titles.append(named)
    known = {code for table in tables for code, leaf in table.items() if not leaf}
    complete: list[dict[str, bool]] = []
    for release, table in zip(config["release"], tables, strict=True):
        if release["headers"] == "derived":
            table = {**dict.fromkeys(derive_headers(table, known), False), **table}
        complete.append(table)
    return complete, titles


def release_table_text(ids: list[str], tables: list[dict[str, bool]]) -> str:
    """The table: the release ids; the distinct pairs of masks (valid, billable) in hex;
    every code in sorted order (so a reader can bisect it instead of hashing 98,000 keys);
    then one character per code, the position of its pair among the pairs."""
    codes = sorted({code for table in tables for code in table})
    pairs: dict[str, int] = {}
    kinds: list[str] = []
    for code in codes:
        valid = sum(1 << bit for bit, table in enumerate(tables) if code in table)
        billable = sum(1 << bit for bit, table in enumerate(tables) if table.get(code))
        pair = f"{valid:x}:{billable:x}"
        kinds.append(chr(PAIR_BASE + pairs.setdefault(pair, len(pairs))))
    lines = [
        TABLE_FORMAT,
        "releases " + " ".join(ids),
        "pairs " + " ".join(pairs),
        "codes " + " ".join(codes),
        "kinds " + "".join(kinds),
    ]
    return "\n".join(lines) + "\n"


def write_gzip(path: Path, text: str) -> None:
    """gzip with no name and no time in its header, so a rebuild is byte-identical."""
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as z:
        z.write(text.encode("utf-8"))


def _folded(title: str | None) -> str | None:
    """A title without its accents: the CMS codes files are ASCII (Meniere's for the
    tabular's Ménière's), which is no change of title."""
    if title is None:
        return None
    return unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")


def titles_text(ids: list[str], titles: list[Titles], index_id: str) -> str:
    """One line per release and code whose title is not the index release's: the release
    id, the code and the title, tab-separated, sorted; most codes keep their title, so the
    file holds few lines."""
    newest = titles[ids.index(index_id)]
    lines = [TITLES_FORMAT]
    for release_id, named in zip(ids, titles, strict=True):
        if release_id == index_id:
            continue
        lines += [
            f"{release_id}\t{code}\t{title}"
            for code, title in sorted(named.items())
            if _folded(newest.get(code)) != _folded(title)
        ]
    return "\n".join(lines) + "\n"


def build_releases(config: dict[str, Any], installs: Installs, out: Path) -> list[Path]:
    tables, titles = read_releases(config, installs)
    ids = [release["id"] for release in config["release"]]
    path = out / TABLE_NAME
    write_gzip(path, release_table_text(ids, tables))
    named = out / TITLES_NAME
    write_gzip(named, titles_text(ids, titles, config["index"]["release"]))
    return [path, named]


# ------------------------------------------------------------------------------ index


def extension_name(base: str, character: str) -> str:
    """The code a 7th character makes of a base code, with placeholder X: S33.5 -> S33.5XXA."""
    name = base if len(base) > 3 else base + "."
    return name.ljust(7, "X") + character


class IndexEncoder:
    """Turns the tabular's records into shards: 7th-character tables stored once, and codes
    that are just a base code plus a 7th character kept as that character on the base."""

    def __init__(self, records: list[list[Any]]) -> None:
        self.by_code = {record[0]: record for record in records}
        self.tables: list[dict[str, str]] = []
        self._table_ids: dict[str, int] = {}
        self.order = [record[0] for record in records]

    def table_id(self, table: dict[str, str]) -> int:
        if not table:
            return -1
        key = json.dumps(table)
        if key not in self._table_ids:
            self._table_ids[key] = len(self.tables)
            self.tables.append(table)
        return self._table_ids[key]

    def is_extension(self, code: str) -> bool:
        """A code that adds nothing to its base but its 7th character."""
        _, title, leaf, parent, children, ex1, ex2, incl, table = self.by_code[code]
        base = self.by_code.get(parent or "")
        if base is None or children or ex1 or ex2 or incl or not leaf:
            return False
        character = code[-1]
        return (
            table == base[8]
            and code == extension_name(parent, character)
            and title == f"{base[1]}, {table.get(character)}"
        )

    def categories(self) -> Iterator[tuple[str, dict[str, list[Any]]]]:
        """Each category's entries, in tabular order (a category's codes are contiguous)."""
        current: dict[str, list[Any]] = {}
        category = ""
        done: set[str] = set()
        for code in self.order:
            if code[:3] != category:
                if current:
                    yield category, current
                assert code[:3] not in done, f"codes of {code[:3]} are not contiguous"
                done.add(category)
                category, current = code[:3], {}
            entry = self._entry(code)
            if entry is not None:
                current[code] = entry
        if current:
            yield category, current

    def shards(self) -> Iterator[tuple[list[str], str]]:
        """Consecutive categories grouped until their JSON reaches SHARD_BYTES: small enough
        to decode in a millisecond, large enough to compress well."""
        names: list[str] = []
        entries: dict[str, list[Any]] = {}
        for category, found in self.categories():
            names.append(category)
            entries.update(found)
            text = _compact(entries)
            if len(text) >= SHARD_BYTES:
                yield names, text
                names, entries = [], {}
        if entries:
            yield names, _compact(entries)

    def _entry(self, code: str) -> list[Any] | None:
        if self.is_extension(code):
            return None
        _, title, leaf, parent, children, ex1, ex2, incl, table = self.by_code[code]
        extensions = "".join(child[-1] for child in children if self.is_extension(child))
        assert not extensions or len(extensions) == len(children), code
        return [title, int(leaf), parent or "", self.table_id(table), extensions, ex1, ex2, incl]


def _compact(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def index_bytes(records: list[list[Any]], meta: dict[str, Any]) -> bytes:
    """The header line (with, per shard, its offset, length and categories), then the
    zlib-compressed shards."""
    encoder = IndexEncoder(records)
    blobs: list[bytes] = []
    shards: list[list[Any]] = []
    position = 0
    for categories, text in encoder.shards():
        blob = zlib.compress(text.encode("utf-8"), 9)
        shards.append([position, len(blob), " ".join(categories)])
        blobs.append(blob)
        position += len(blob)
    header = {
        "format": INDEX_FORMAT,
        **meta,
        "codes": len(records),
        "seventh": encoder.tables,
        "shards": shards,
    }
    return (_compact(header) + "\n").encode("utf-8") + b"".join(blobs)


def build_index(config: dict[str, Any], installs: Installs, out: Path) -> Path:
    release = next(r for r in config["release"] if r["id"] == config["index"]["release"])
    source = release["source"]
    installed = installs.get(source["package"], source["version"])
    records = json.loads(installed.run("-c", TABULAR_SCRIPT))
    meta = {
        "release": release["id"],
        "name": release["name"],
        "effective": release["effective"].isoformat(),
        "source": {"package": source["package"], "version": source["version"]},
    }
    path = out / INDEX_NAME
    path.write_bytes(index_bytes(records, meta))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DATA, help="where to write (default: %(default)s)"
    )
    parser.add_argument("--config", type=Path, default=RELEASES, help="the releases file")
    parser.add_argument("--only", choices=("releases", "index"), help="build one file only")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="icd-releases-") as temp:
        installs = Installs(Path(temp))
        if args.only in (None, "releases"):
            for path in build_releases(config, installs, args.out):
                print(path)
        if args.only in (None, "index"):
            print(build_index(config, installs, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
