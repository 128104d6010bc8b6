"""The committed ICD-10-CM data is what the build makes from the official releases.

`tools/build_icd_data.py` installs every release again and derives the releases table, the
titles and the tabular index from them. One build serves both comparisons (installing and
reading the releases is most of its time), and the files are compared by content: gzip and
zlib output may differ between builds of zlib, the data may not.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from backcoder.icd.index import INDEX
from backcoder.icd.releases import DATA

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "tools" / "build_icd_data.py"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("icd-data")
    subprocess.run([sys.executable, str(BUILD), "--out", str(out)], check=True, capture_output=True)
    return out


def _text(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes())


def _contents(path: Path) -> list[bytes]:
    """The header line, then each shard uncompressed."""
    data = path.read_bytes()
    line, _, rest = data.partition(b"\n")
    header = json.loads(line)
    shards = [
        zlib.decompress(rest[offset : offset + length]) for offset, length, _ in header["shards"]
    ]
    header["shards"] = [categories for _, _, categories in header["shards"]]
    return [json.dumps(header).encode(), *shards]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["releases-table.txt.gz", "release-titles.txt.gz"])
def test_committed_release_table_is_what_the_build_makes(built: Path, name: str) -> None:
    assert _text(built / name) == _text(DATA / name), "run tools/build_icd_data.py"


@pytest.mark.slow
def test_committed_index_is_what_the_build_makes(built: Path) -> None:
    assert _contents(built / INDEX.name) == _contents(INDEX), "run tools/build_icd_data.py"
