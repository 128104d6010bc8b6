"""The generated tabular index answers as the official tabular does, without parsing it."""

from __future__ import annotations

import pickle
import random
from importlib.metadata import version

import pytest

from backcoder.icd.conventions import excludes1_conflict
from backcoder.icd.index import TabularIndex, extension_name
from backcoder.icd.releases import DATA, read_config
from backcoder.icd.tabular import OfficialTabular

# Categories that share their name with a block (R99 is category R99 in block R99-R99):
# simple_icd_10_cm answers is_chapter_or_block() for them, so OfficialTabular returns None
# for these billable codes and no parent for their children. The index has them.
NAMED_LIKE_A_BLOCK = ("B20", "B10", "C50", "R99", "Z66", "M99")

SAMPLE = [
    "M54",
    "M54.5",
    "M54.50",
    "M54.9",
    "M54.1",
    "M51.36",
    "M51.360",
    "M48.56XA",
    "M80.08XA",
    "M84.58XA",
    "S32",
    "S32.0",
    "S32.01",
    "S32.010",
    "S32.010A",
    "S32.010S",
    "S33.5",
    "S33.5XXA",
    "S39.012A",
    "S13.4XXA",
    "S22.080A",
    "G89",
    "G89.29",
    "G89.3",
    "R52",
    "T71.20XA",
    "H21.1X",
    "F45.41",
    "Z79.891",
    "U07.1",
]


@pytest.fixture(scope="module")
def index() -> TabularIndex:
    return TabularIndex()


@pytest.fixture(scope="module")
def official() -> OfficialTabular:
    return OfficialTabular()


def _comparable(index: TabularIndex, official: OfficialTabular) -> list[str]:
    """Codes OfficialTabular answers for alike: none in a category named like a block."""
    named = _named(index, official)
    return [code for code in index.all_codes() if code[:3] not in named]


def _named(index: TabularIndex, official: OfficialTabular) -> set[str]:
    """The categories named like a block (see NAMED_LIKE_A_BLOCK)."""
    codes = index.all_codes()
    named = {code for code in codes if len(code) == 3 and official.info(code) is None}
    assert set(NAMED_LIKE_A_BLOCK) <= named
    return named


@pytest.mark.parametrize("code", SAMPLE)
def test_agrees_with_the_official_tabular(
    index: TabularIndex, official: OfficialTabular, code: str
) -> None:
    assert official.info(code) is not None
    assert index.info(code) == official.info(code)


def test_agrees_on_a_random_sample(index: TabularIndex, official: OfficialTabular) -> None:
    codes = _comparable(index, official)
    for code in random.Random(20260401).sample(codes, 400):
        assert index.info(code) == official.info(code), code


def test_excludes1_of_m54(index: TabularIndex, official: OfficialTabular) -> None:
    info = index.info("M54")
    assert info is not None
    assert info.excludes1 == ("psychogenic dorsalgia (F45.41)",)
    assert excludes1_conflict(index, "M54.50", "F45.41") == excludes1_conflict(
        official, "M54.50", "F45.41"
    )
    assert excludes1_conflict(index, "M54.50", "F45.41") is not None


def test_seventh_character_codes(index: TabularIndex) -> None:
    info = index.info("S32.010A")
    assert info is not None
    assert info.title.endswith(", initial encounter for closed fracture")
    assert info.parent == "S32.010" and info.billable
    base = index.info("S32.010")
    assert base is not None and not base.billable
    assert base.children == tuple(f"S32.010{c}" for c in "ABDGKS")
    assert set(base.seventh) == set("ABDGKS")
    assert extension_name("S33.5", "A") == "S33.5XXA"
    assert extension_name("T71", "A") == "T71.XXXA"


@pytest.mark.parametrize(
    "code", ["M54.52", "S32.010", "S32.010Z", "S33.5XXZ", "S33.5XA", "ZZZ", "Q", "", "M54.5X"]
)
def test_what_is_not_a_code(index: TabularIndex, code: str) -> None:
    info = index.info(code)
    assert info is None or code == "S32.010"  # S32.010 is a code: a header needing a 7th


@pytest.mark.parametrize("code", NAMED_LIKE_A_BLOCK)
def test_categories_named_like_their_block(index: TabularIndex, code: str) -> None:
    info = index.info(code)
    assert info is not None and info.parent is None
    for child in info.children:
        child_info = index.info(child)
        assert child_info is not None and child_info.parent == code
    assert index.info("R99") is not None and index.info("R99").billable  # type: ignore[union-attr]


def test_release_is_data(index: TabularIndex) -> None:
    """The index says which release it holds and which package version shipped it; that
    version is the one backcoder depends on, and the release the one releases.toml names."""
    release = index.source
    assert index.release == OfficialTabular().release == "2026-04-01"
    assert release["source"] == {
        "package": "simple-icd-10-cm",
        "version": version("simple-icd-10-cm"),
    }
    releases, _ = read_config(DATA / "releases.toml")
    named = next(r for r in releases if r.id == release["release"])
    assert release["effective"] == named.effective.isoformat() == "2026-04-01"


def test_all_codes_are_unique_and_known(index: TabularIndex) -> None:
    codes = index.all_codes()
    assert len(codes) == len(set(codes)) == index.header["codes"]
    assert codes[:3] == ["A00", "A00.0", "A00.1"]
    assert "S32.010A" in codes and "1" not in codes and "A00-A09" not in codes


def test_pickles_as_its_path(index: TabularIndex) -> None:
    copy = pickle.loads(pickle.dumps(index))
    assert copy.path == index.path
    assert copy.info("R52") == index.info("R52")


@pytest.mark.slow
def test_agrees_on_every_code(index: TabularIndex, official: OfficialTabular) -> None:
    """Every code, in the same order; the categories named like a block aside."""
    named = _named(index, official)
    comparable = _comparable(index, official)
    listed = list(dict.fromkeys(c for c in official.all_codes() if official.info(c)))
    assert [code for code in listed if code[:3] not in named] == comparable
    for code in comparable:
        assert index.info(code) == official.info(code), code
