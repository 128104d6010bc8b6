"""spaCy's and medspaCy's import leave the code of packages the reader never uses unrun (NLTK,
langcodes, pysbd), and what is deferred still loads when used."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backcoder.notes.deferred import _LazyFinder, deferred


def test_loading_the_libraries_runs_none_of_the_deferred_packages_and_each_still_works() -> None:
    code = (
        "import sys\n"
        "from backcoder.notes.pipeline import import_libraries\n"
        "import_libraries()\n"
        "assert 'nltk' in sys.modules, 'medspaCy no longer imports NLTK: drop the deferral'\n"
        "assert 'nltk.tokenize' not in sys.modules, 'NLTK ran at import'\n"
        "import nltk\n"
        "assert nltk.wordpunct_tokenize('two words') == ['two', 'words']\n"
        "assert 'nltk.tokenize' in sys.modules\n"
        "from quickumls import QuickUMLS\n"  # what imported it still gets the real package
        "assert callable(QuickUMLS)\n"
        "assert 'langcodes' in sys.modules, 'spaCy no longer imports langcodes: drop it'\n"
        "assert 'langcodes.data_dicts' not in sys.modules, 'langcodes ran at import'\n"
        "from spacy.util import find_matching_language\n"
        "assert find_matching_language('en-US') == 'en'\n"  # spaCy's use of it
        "assert 'langcodes.data_dicts' in sys.modules\n"
        "assert 'pysbd' in sys.modules and 'pysbd.segmenter' not in sys.modules\n"
        "import pysbd\n"
        "assert pysbd.Segmenter(language='en').segment('One. Two.') == ['One. ', 'Two.']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package `deferral_probe` that records in `sys` that its code ran."""
    package = tmp_path / "deferral_probe"
    package.mkdir()
    (package / "__init__.py").write_text(
        "import sys\nsys.deferral_probe_ran = True\nVALUE = 42\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "deferral_probe"
    sys.modules.pop("deferral_probe", None)
    if hasattr(sys, "deferral_probe_ran"):
        del sys.deferral_probe_ran


def test_a_deferred_package_runs_on_first_use(probe: str) -> None:
    with deferred([probe]):
        import deferral_probe  # type: ignore[import-not-found]
    assert not hasattr(sys, "deferral_probe_ran")
    assert deferral_probe.VALUE == 42
    assert sys.deferral_probe_ran is True  # type: ignore[attr-defined]


def test_the_import_system_is_restored_even_when_the_block_fails(probe: str) -> None:
    before = list(sys.meta_path)
    with pytest.raises(RuntimeError), deferred([probe]):
        assert len(sys.meta_path) == len(before) + 1
        raise RuntimeError
    assert sys.meta_path == before
    import deferral_probe  # type: ignore[import-not-found]  # noqa: F401

    assert sys.deferral_probe_ran is True  # type: ignore[attr-defined]


def test_a_package_already_imported_is_left_alone() -> None:
    before = list(sys.meta_path)
    with deferred(["json"]):
        assert sys.meta_path == before


def test_a_missing_package_fails_as_usual() -> None:
    with (
        pytest.raises(ModuleNotFoundError, match="no_such_package_here"),
        deferred(["no_such_package_here"]),
    ):
        import no_such_package_here  # type: ignore[import-not-found]  # noqa: F401


def test_the_finder_hands_anything_else_back_to_the_usual_path(
    probe: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    finder = _LazyFinder(frozenset({probe, "_abc", "_no_such_module"}))
    assert finder.find_spec("json", None) is None  # not named
    assert finder.find_spec("_no_such_module", None) is None  # not found
    assert finder.find_spec("_abc", None) is None  # built in, not a Python file
    spec = finder.find_spec(probe, None)
    assert spec is not None and type(spec.loader).__name__ == "LazyLoader"

    class Broken:
        def find_spec(self, *args: object) -> None:
            raise OSError("unreadable")

    monkeypatch.setattr(sys, "meta_path", [Broken(), *sys.meta_path])
    assert finder.find_spec(probe, None) is None
