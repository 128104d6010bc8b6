"""Importing spaCy and medspaCy without running the code of packages they import but the
reader never uses.

medspaCy's package imports all of its components, and through `medspacy.util` QuickUMLS,
whose module imports NLTK at its top: a third of a second of a one-note run, for a concept
mapper the reader never builds (it uses ConText and the Sectionizer only). spaCy's `util`
imports langcodes, which reads its tables of every language at import (60 ms), to match a
language code such as "en-US" that spaCy has no package for; the reader asks for "en".
While they are imported, `deferred(...)` has the standard library's
`importlib.util.LazyLoader` load such a package: the module is created and bound as usual,
and its code runs the first time anything uses one of its attributes (or imports it again),
so whatever does use it gets the real package, only later.

It fails safe: a package already imported, one that cannot be found, or one not loaded from
a Python file is imported the ordinary way, and so is everything else.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

UNUSED_BY_THE_READER = ("nltk", "langcodes", "pysbd")
"""Packages spaCy and medspaCy import with a plain `import` (which a lazy module satisfies)
and the reader never uses: NLTK for QuickUMLS's stop words (QuickUMLS itself is imported with
`from ... import`, which needs its code), langcodes for language codes spaCy has no package
for, pysbd for medspaCy's `medspacy_pysbd` sentence splitter."""

_PYTHON_FILE_LOADERS = (
    importlib.machinery.SourceFileLoader,
    importlib.machinery.SourcelessFileLoader,
)


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds the named top-level packages as the rest of the import system would, and hands
    them to a LazyLoader; finds nothing (the import goes on as usual) in any other case."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self.names:
            return None
        try:
            spec = self._ordinary_spec(fullname, path, target)
        except Exception:  # a finder that fails here fails again, and is reported, normally
            return None
        if spec is None or not isinstance(spec.loader, _PYTHON_FILE_LOADERS):
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec

    def _ordinary_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None
    ) -> importlib.machinery.ModuleSpec | None:
        """The spec the other finders give, in their order (what `import` would load)."""
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, "find_spec", None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None


@contextmanager
def deferred(names: Sequence[str] = UNUSED_BY_THE_READER) -> Iterator[None]:
    """While the block runs, the named top-level packages not imported yet are imported lazily
    (see the module docstring); the import system is as before once it ends."""
    waiting = frozenset(name for name in names if name not in sys.modules)
    if not waiting:
        yield
        return
    finder = _LazyFinder(waiting)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
