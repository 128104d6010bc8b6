"""backcoder: choose the right ICD-10-CM code for back pain, and say why.

For programs: `from backcoder import code` (see `backcoder.api`).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API = frozenset({"code", "result_json"})


def __getattr__(name: str) -> Any:
    """The API is imported on first use, so `import backcoder` (which every run does for its
    version) stays cheap."""
    if name in _API:
        from backcoder import api

        return getattr(api, name)
    raise AttributeError(f"module 'backcoder' has no attribute {name!r}")
