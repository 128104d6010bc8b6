"""The Dask recipe: on a local cluster of two worker processes, the same result lines as
`backcoder audit` on one machine, line for line."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

from backcoder.audit.dask import audit_folder, byte_ranges, read_range  # noqa: E402

pytestmark = pytest.mark.slow

SHAPES = [
    ["M54.50"],
    ["M5450", "I10"],
    ["M54.5"],
    ["M54.52"],
    ["S39.012"],
    ["M54.50", "S33.5XXA"],
    ["G89.29", "M51.16"],
    ["M51.36"],
    ["M54.2", "M54.2"],
    ["U09.9"],
]
DAYS = ["2020-12-01", "2021-09-30", "2021-10-01", "2022-06-01", "2024-10-01", "2025-06-01", None]


def claims(count: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(7)
    for number in range(count):
        claim: dict[str, Any] = {"_id": f"c{number}", "codes": rng.choice(SHAPES)}
        day = rng.choice(DAYS)
        if day is not None:
            claim["date_of_service"] = day
        yield claim


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


def _single(cli: Callable[..., Any], text: str) -> list[str]:
    return cli("audit", "-", input=text).stdout.splitlines()


def _parts(folder: Path) -> list[str]:
    return [
        line
        for part in sorted(folder.glob("part-*.jsonl"))
        for line in part.read_text().splitlines()
    ]


def test_jsonl_folder_on_a_local_cluster(
    client: Any, cli: Callable[..., Any], tmp_path: Path
) -> None:
    source = tmp_path / "claims"
    source.mkdir()
    lines = [json.dumps(claim) + "\n" for claim in claims(3000)]
    lines[10] = "not json\n"
    lines[20] = '{"_id": "cr", "codes": ["M54.50"]}\r{"codes": ["M54.2"]}\n'  # one line
    lines[30] = '{"_id": "crlf", "codes": ["M54.50"]}\r\n'
    lines[40] = '{"_id": "cut", "codes": ["M54.50"]\n'  # its error names line 1, column 37
    lines[2500] = '{"_id": "bad date", "codes": ["M54.50"], "date_of_service": "2025-02-30"}\n'
    for n, chunk in enumerate((lines[:1000], lines[1000:1100], lines[1100:])):
        (source / f"part{n}.jsonl").write_text("".join(chunk), encoding="utf-8")
    parts = audit_folder(source, tmp_path / "out", block=20_000)
    assert parts > 3  # the files were split into blocks too
    assert _parts(tmp_path / "out") == _single(cli, "".join(lines))


def test_parquet_folder_on_a_local_cluster(
    client: Any, cli: Callable[..., Any], tmp_path: Path
) -> None:
    import pandas as pd

    rows = list(claims(1500))
    source = tmp_path / "claims"
    source.mkdir()
    for n, chunk in enumerate((rows[:700], rows[700:])):
        frame = pd.DataFrame(
            {
                "_id": [row["_id"] for row in chunk],
                "date_of_service": [row.get("date_of_service") for row in chunk],
                "codes": [row["codes"] for row in chunk],
            }
        )
        frame.to_parquet(source / f"part{n}.parquet")
    audit_folder(source, tmp_path / "out")
    single = _single(cli, "".join(json.dumps(row) + "\n" for row in rows))
    assert _parts(tmp_path / "out") == single


def test_byte_ranges_end_at_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    lines = [f'{{"n": {n}}}\n'.encode() * (n % 5 + 1) for n in range(200)]
    path.write_bytes(b"".join(lines))
    ranges = byte_ranges(path, 97)
    data = path.read_bytes()
    assert b"".join(line + b"\n" for part in ranges for line in read_range(part)) == data
    assert all(data[end - 1 : end] == b"\n" for _, _, end in ranges)
