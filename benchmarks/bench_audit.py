"""`backcoder audit` speed and memory, side by side with json.loads of the same lines.

    python benchmarks/bench_audit.py [--claims 1000000] [--pairs 3] [--backcoder PATH]

Generates a file of claims (fixed seed, streamed to a temporary folder): every claim has a
unique `_id`, a date of service spread over 2020-06 to 2026-11 (before the first shipped
release, in gaps, in releases, after the newest), and codes drawn from a pool of claim
shapes a payer sees (clean claims, unspecified codes, headers, invalid codes, missing 7th
characters, undotted codes, Excludes1 pairs, symptoms beside their diagnosis, G89 first,
codes outside the back-pain tree); about 1% of lines are not JSON. Then, alternating after
a warm-up of each: `backcoder audit FILE -o /dev/null` against a `python -c` that only
json.loads every line. Reports the median of the per-pair time ratios (target at most 3)
and the audit's peak memory (max RSS of the child) at a tenth of the claims and at all of
them: flat memory means the two are close.

Standard library only; POSIX `os.wait4`. Exit status: 0 when the targets pass, 1 when one
fails, 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

SEED = 20260401
MB = 1_000_000
TIME_LIMIT = 3.0
MEMORY_GROWTH_LIMIT_MB = 30.0
"""Peak memory over all claims may exceed the peak over a tenth by at most this."""

JSON_BASELINE = """\
import json, sys
with open(sys.argv[1], "rb") as lines:
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            pass
"""

SHAPES = [
    ["M54.50"],
    ["M54.51"],
    ["M54.59", "I10"],
    ["M5450"],
    ["M54.5"],
    ["M54.52"],
    ["M54.9"],
    ["M54.2"],
    ["M54.6"],
    ["M54.16"],
    ["M54.1"],
    ["M51.16"],
    ["M51.26"],
    ["M51.36"],
    ["M51.360"],
    ["M51.369", "E11.9"],
    ["M54.50", "S39.012A"],
    ["M54.50", "S33.5XXA"],
    ["S33.5XXA"],
    ["S335A"],
    ["S39.012"],
    ["S32.0"],
    ["S32.010A"],
    ["M80.08XA", "M54.9"],
    ["G89.29", "M54.50"],
    ["M54.50", "G89.29"],
    ["M51.16", "G89.29"],
    ["G89.4", "M54.50"],
    ["M54.41", "M51.16"],
    ["M54.30"],
    ["M47.816"],
    ["M54.6", "M51.16"],
    ["M54.50", "M54.50"],
    ["I10", "E78.5"],
    ["Z00.00"],
    ["XYZ"],
]
FIRST_DAY, LAST_DAY = date(2020, 6, 1), date(2026, 11, 30)


def write_claims(path: Path, count: int, rng: random.Random) -> None:
    span = (LAST_DAY - FIRST_DAY).days
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            if rng.random() < 0.01:
                out.write(f'{{"_id": "bad{number}", "codes": ["M54.50"\n')
                continue
            claim = {
                "_id": f"c{number}",
                "date_of_service": (FIRST_DAY + timedelta(rng.randrange(span))).isoformat(),
                "codes": rng.choice(SHAPES),
            }
            out.write(json.dumps(claim) + "\n")


def spawn(cmd: list[str]) -> tuple[float, int, float, str]:
    """Wall seconds, exit status, the child's peak memory (MB) and its standard error."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) / MB
    return seconds, os.waitstatus_to_exitcode(status), peak, text


def checked(cmd: list[str], ok: tuple[int, ...], what: str) -> tuple[float, float]:
    seconds, status, peak, err = spawn(cmd)
    if status not in ok:
        print(f"bench_audit: {what} exited {status}: {err.strip()[-300:]}", file=sys.stderr)
        sys.exit(2)
    return seconds, peak


def check_output(backcoder: str, claims: Path, tmp: Path) -> None:
    """One result line per claim, in order, errors exactly on the lines that are not JSON."""
    out = tmp / "out.jsonl"
    subprocess.run([backcoder, "audit", str(claims), "-o", str(out)], stderr=subprocess.DEVNULL)
    with claims.open("rb") as given, out.open("rb") as got:
        for number, (line, result) in enumerate(zip(given, got, strict=True), start=1):
            data = json.loads(result)
            bad = line.startswith(b'{"_id": "bad')
            if data["line"] != number or ("error" in data) != bad:
                print(
                    f"bench_audit: line {number} audited wrongly: {result[:200]!r}", file=sys.stderr
                )
                sys.exit(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--backcoder", default=str(Path(sys.executable).with_name("backcoder")))
    args = parser.parse_args()
    rng = random.Random(SEED)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        small, full = tmp / "small.jsonl", tmp / "claims.jsonl"
        write_claims(small, max(1, args.claims // 10), rng)
        write_claims(full, args.claims, rng)
        check_output(args.backcoder, small, tmp)
        audit = [args.backcoder, "audit", str(full), "-o", os.devnull]
        baseline = [sys.executable, "-c", JSON_BASELINE, str(full)]
        checked(baseline, (0,), "baseline warm-up")
        checked(audit, (0, 1), "audit warm-up")
        ratios, base_times, audit_times, peaks = [], [], [], []
        for _ in range(args.pairs):
            base, _ = checked(baseline, (0,), "baseline")
            seconds, peak = checked(audit, (0, 1), "audit")
            ratios.append(seconds / base)
            base_times.append(base)
            audit_times.append(seconds)
            peaks.append(peak)
        _, small_peak = checked(
            [args.backcoder, "audit", str(small), "-o", os.devnull], (0, 1), "audit"
        )
    ratio = statistics.median(ratios)
    peak = max(peaks)
    growth = peak - small_peak
    print(f"claims: {args.claims:,} ({args.pairs} pairs, alternating)")
    print(f"json.loads only:  median {statistics.median(base_times):.2f} s")
    print(
        f"backcoder audit:  median {statistics.median(audit_times):.2f} s "
        f"({args.claims / statistics.median(audit_times):,.0f} claims/s)"
    )
    print(
        f"ratio: {ratio:.2f}x (limit {TIME_LIMIT}x); per pair: "
        + ", ".join(f"{r:.2f}" for r in ratios)
    )
    print(
        f"peak memory: {small_peak:.1f} MB at {max(1, args.claims // 10):,} claims, "
        f"{peak:.1f} MB at {args.claims:,} (growth limit {MEMORY_GROWTH_LIMIT_MB} MB)"
    )
    return 0 if ratio <= TIME_LIMIT and growth <= MEMORY_GROWTH_LIMIT_MB else 1


if __name__ == "__main__":
    sys.exit(main())
