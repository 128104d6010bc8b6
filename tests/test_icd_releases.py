"""Validity by date of service, from the shipped releases and the dated addenda entries.

The cases sit on both sides of the two changes the back-pain tree meets (M54.5 expanded on
2021-10-01, M51.36 and M51.37 on 2024-10-01), at every boundary of the shipped releases, and
on codes outside the tree that changed inside a gap no addenda entry dates (never guessed).
"""

from __future__ import annotations

import multiprocessing
import pickle
from datetime import date

import pytest

from backcoder.icd.releases import (
    ABSENT,
    BILLABLE,
    HEADER,
    Coverage,
    Releases,
    Status,
    default_releases,
)

V, NV, NC, NJ = Status.VALID, Status.NOT_VALID_ON_DATE, Status.NOT_A_CODE, Status.NOT_JUDGED


@pytest.fixture(scope="module")
def releases() -> Releases:
    return default_releases()


# code, date of service, status, billable, codes to suggest (None: not checked)
CASES = [
    # M54.5 became a header on 2021-10-01 (FY2022 addenda)
    ("M54.5", "2021-01-01", V, True, ()),
    ("M54.5", "2021-09-30", V, True, ()),
    ("M54.5", "2021-10-01", NV, False, ("M54.50", "M54.51", "M54.59")),
    ("M54.5", "2022-03-01", NV, False, ("M54.50", "M54.51", "M54.59")),
    ("M54.5", "2025-06-01", NV, False, ("M54.50", "M54.51", "M54.59")),
    ("M54.50", "2021-05-01", NV, False, ("M54.5",)),
    ("M54.50", "2021-09-30", NV, False, ("M54.5",)),
    ("M54.50", "2021-10-01", V, True, ()),
    ("M54.51", "2022-03-01", V, True, ()),
    ("M54.59", "2024-01-15", V, True, ()),
    # M51.36 and M51.37 became headers on 2024-10-01 (FY2025 addenda)
    ("M51.36", "2023-11-01", V, True, ()),
    ("M51.36", "2024-09-30", V, True, ()),
    ("M51.36", "2024-10-01", NV, False, ("M51.360", "M51.361", "M51.362", "M51.369")),
    ("M51.36", "2026-05-01", NV, False, ("M51.360", "M51.361", "M51.362", "M51.369")),
    ("M51.360", "2024-09-30", NV, False, ("M51.36",)),
    ("M51.360", "2024-10-01", V, True, ()),
    ("M51.37", "2024-06-01", V, True, ()),
    ("M51.37", "2024-10-01", NV, False, ("M51.370", "M51.371", "M51.372", "M51.379")),
    ("M51.379", "2024-09-30", NV, False, ("M51.37",)),
    ("M51.379", "2024-10-01", V, True, ()),
    # unchanged codes: judged in gaps too, where both releases around it agree
    ("M54.9", "2022-06-01", V, True, ()),
    ("S33.5XXA", "2025-01-01", V, True, ()),
    ("G89.29", "2021-10-01", V, True, ()),
    ("M54.1", "2023-10-01", V, False, None),  # a header in every release: not billable
    # not a code in any release, with the nearest real codes of the date
    ("M54.52", "2022-03-01", NC, False, ("M54.50", "M54.51", "M54.59")),
    ("M54.52", "2021-03-01", NC, False, ("M54.5",)),
    # outside the tree, changed inside a gap with no addenda entry: not judged
    ("R05", "2021-06-01", V, True, ()),
    ("R05", "2022-01-01", NJ, False, ()),
    ("R05", "2023-12-01", NV, False, ("R05.1", "R05.2", "R05.3", "R05.4", "R05.8", "R05.9")),
    ("U09.9", "2022-01-01", NJ, False, ()),
    ("U09.9", "2024-01-01", V, True, ()),
    ("G35", "2025-06-01", V, True, ()),
    ("G35", "2025-12-01", NJ, False, ()),
    # within the tree, but no addenda entry is certain of its fiscal year: not judged
    ("M51.A0", "2022-06-01", NJ, False, ()),
    ("M51.A0", "2023-12-01", V, True, ()),
    # before the first shipped release (January 1, 2021): never judged
    ("M54.5", "2020-12-31", NJ, False, ()),
]


@pytest.mark.parametrize(("code", "day", "status", "billable", "suggest"), CASES)
def test_judge(
    releases: Releases,
    code: str,
    day: str,
    status: Status,
    billable: bool,
    suggest: tuple[str, ...] | None,
) -> None:
    verdict = releases.judge(code, date.fromisoformat(day))
    assert (verdict.status, verdict.billable) == (status, billable), verdict.reason
    if suggest is not None:
        assert verdict.suggest == suggest


def test_a_change_dated_by_addenda_cites_it(releases: Releases) -> None:
    verdict = releases.judge("M54.5", date(2022, 3, 1))
    assert verdict.addenda is not None
    assert verdict.addenda.fiscal_year == 2022
    assert verdict.addenda.effective == date(2021, 10, 1)
    assert "FY2022 Addenda" in verdict.addenda.cite()
    assert verdict.judged_by == ("fy2024",)


def test_unchanged_code_in_a_gap_names_both_releases(releases: Releases) -> None:
    verdict = releases.judge("M54.9", date(2022, 6, 1))
    assert verdict.judged_by == ("fy2021-jan", "fy2024")
    assert verdict.addenda is None


def test_without_a_date_the_newest_release_judges(releases: Releases) -> None:
    verdict = releases.judge("M54.5")
    assert verdict.status is NV
    assert verdict.judged_by == ("fy2026-apr",)
    assert "no date of service" in verdict.reason


# date, coverage, the release that judges it (or the releases around the gap)
DATES = [
    ("2020-10-01", Coverage.BEFORE_FIRST, None),
    ("2020-12-31", Coverage.BEFORE_FIRST, None),
    ("2021-01-01", Coverage.RELEASE, "fy2021-jan"),
    ("2021-09-30", Coverage.RELEASE, "fy2021-jan"),
    ("2021-10-01", Coverage.GAP, "fy2021-jan..fy2024"),
    ("2023-09-30", Coverage.GAP, "fy2021-jan..fy2024"),
    ("2023-10-01", Coverage.RELEASE, "fy2024"),
    ("2024-03-31", Coverage.RELEASE, "fy2024"),
    ("2024-04-01", Coverage.GAP, "fy2024..fy2025-apr"),
    ("2024-10-01", Coverage.GAP, "fy2024..fy2025-apr"),
    ("2025-03-31", Coverage.GAP, "fy2024..fy2025-apr"),
    ("2025-04-01", Coverage.RELEASE, "fy2025-apr"),
    ("2025-09-30", Coverage.RELEASE, "fy2025-apr"),
    ("2025-10-01", Coverage.GAP, "fy2025-apr..fy2026-apr"),
    ("2026-03-31", Coverage.GAP, "fy2025-apr..fy2026-apr"),
    ("2026-04-01", Coverage.RELEASE, "fy2026-apr"),
    ("2026-09-30", Coverage.RELEASE, "fy2026-apr"),
    ("2026-10-01", Coverage.AFTER_NEWEST, "fy2026-apr"),
]


@pytest.mark.parametrize(("day", "coverage", "judge"), DATES)
def test_release_for(releases: Releases, day: str, coverage: Coverage, judge: str | None) -> None:
    found = releases.release_for(date.fromisoformat(day))
    assert found.coverage is coverage
    if coverage is Coverage.GAP:
        assert found.before and found.after
        assert f"{found.before.id}..{found.after.id}" == judge
    elif judge is None:
        assert found.release is None and found.after is not None
        assert "before" in found.text
    else:
        assert found.release is not None and found.release.id == judge


def test_no_date_is_the_newest_release(releases: Releases) -> None:
    found = releases.release_for(None)
    assert found.coverage is Coverage.NO_DATE
    assert found.release is releases.releases[-1]


def _fiscal_year(day: date) -> int:
    """FY2022 runs 2021-10-01 to 2022-09-30."""
    return day.year + 1 if day.month >= 10 else day.year


def test_releases_are_ordered_and_in_their_fiscal_years(releases: Releases) -> None:
    for release in releases.releases:
        assert release.effective <= release.until
        assert _fiscal_year(release.effective) == release.fiscal_year
        assert _fiscal_year(release.until) == release.fiscal_year
    for earlier, later in zip(releases.releases, releases.releases[1:], strict=False):
        assert earlier.until < later.effective


def test_every_addenda_entry_dates_a_real_change_inside_a_gap(releases: Releases) -> None:
    """Each listed code differs between the shipped releases around the entry's date, and
    the date lies in the gap between them, in the entry's fiscal year."""
    assert releases.addenda
    for entry in releases.addenda:
        assert _fiscal_year(entry.effective) == entry.fiscal_year
        assert f"FY{entry.fiscal_year} Addenda" in entry.source
        gap = releases.release_for(entry.effective)
        assert gap.coverage is Coverage.GAP, entry
        assert gap.before and gap.after
        for code in entry.codes:
            before = releases.state(code, gap.before)
            after = releases.state(code, gap.after)
            assert before != after, (code, entry.change)


def test_addenda_of_the_tree(releases: Releases) -> None:
    dated = {code: entry.effective for entry in releases.addenda for code in entry.codes}
    for code in ("M54.5", "M54.50", "M54.51", "M54.59"):
        assert dated[code] == date(2021, 10, 1)
    for code in ("M51.36", "M51.360", "M51.361", "M51.362", "M51.369"):
        assert dated[code] == date(2024, 10, 1)
    for code in ("M51.37", "M51.370", "M51.371", "M51.372", "M51.379"):
        assert dated[code] == date(2024, 10, 1)


def test_states_in_each_release(releases: Releases) -> None:
    first, fy2024, fy2025, newest = releases.releases
    assert [releases.state("M54.5", r) for r in releases.releases] == [BILLABLE] + [HEADER] * 3
    assert releases.state("M51.36", fy2024) == BILLABLE
    assert releases.state("M51.36", fy2025) == HEADER
    assert releases.state("M51.360", fy2024) == ABSENT
    assert releases.state("M54.50", first) == ABSENT
    # headers of the codes-only release are derived: the tree's own headers are there
    assert releases.state("M54", fy2024) == HEADER
    assert releases.state("S32.01", fy2024) == HEADER
    assert releases.state("S32.010A", newest) == BILLABLE


# Billable codes per release: FY2021 as the CMS order file of January 2021 counts them, FY2024
# the 74,044 announced for October 1, 2023; the April updates as read from their tabulars.
COUNTS = {"fy2021-jan": 72_621, "fy2024": 74_044, "fy2025-apr": 74_260, "fy2026-apr": 74_719}


@pytest.mark.parametrize(("release_id", "count"), COUNTS.items())
def test_billable_counts(releases: Releases, release_id: str, count: int) -> None:
    assert releases.billable_count(releases.release(release_id)) == count


def test_category_named_like_its_block_is_a_code(releases: Releases) -> None:
    """R99 and B20 share their name with a block; they are still billable codes."""
    for code in ("R99", "B20", "Z66"):
        assert releases.judge(code, date(2025, 5, 1)).status is V


def test_pickles_as_a_recipe(releases: Releases) -> None:
    data = pickle.dumps(releases)
    assert len(data) < 1000 and b"/" not in data  # no table, no path of this machine
    assert pickle.loads(data) is releases


def _judge_there(payload: bytes) -> list[str]:
    there = pickle.loads(payload)
    return [there.judge(code, date(2022, 3, 1)).status.value for code in ("M54.5", "M54.50")]


def test_judges_alike_in_another_process(releases: Releases) -> None:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_judge_there, (pickle.dumps(releases),))
    assert there == ["not-valid-on-date", "valid"]
