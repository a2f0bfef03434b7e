"""Rendered report files, kept by what they show: a report is rendered once, then served.

A PDF of the 55 Carcassonne fiches costs about a second of CPU (Typst), and a COPIL's
members all download the same file before the meeting. The key is a digest of the report model
(every figure, text and date it shows, the « produced on » day included), of the format and of
the renderers' own code and templates: new data, a correction or a new Pilotis version gives a
new key, never a stale file.

Files are rendered by a background task (reports.tasks), never in a web request. The store is
Django's file-based cache, which writes each file to a temporary file in the same folder and
renames it into place: a render that fails or is killed half-way leaves no partial file under the
key, and the next request starts it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

from django.core.cache import caches

CACHE_ALIAS = "reports"
# A week: long enough for a COPIL's preparation; files of the same report come back anyway.
TIMEOUT_SECONDS = 7 * 24 * 3600
_RENDERING_SUFFIXES = {".py", ".html", ".css", ".svg", ".typ"}


@cache
def renderers_digest() -> str:
    """A digest of the code and templates that turn a report model into files."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*")):
        if path.suffix in _RENDERING_SUFFIXES and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def key(report: object, fmt: str) -> str:
    """The cache key of `report` rendered as `fmt`: frozen dataclasses repr every field."""
    text = f"{renderers_digest()}\x1f{fmt}\x1f{report!r}"
    return f"pilotis-report:{hashlib.sha256(text.encode()).hexdigest()}"


def cached(report: object, fmt: str) -> bytes | None:
    """The file of `report` in `fmt` if it was rendered already, else None."""
    return caches[CACHE_ALIAS].get(key(report, fmt))


def stored(name: str) -> bytes | None:
    """The file kept under the key `name` (see `key`), if it is still kept."""
    return caches[CACHE_ALIAS].get(name)


def rendered(report: object, fmt: str, render: Callable[[object], bytes]) -> bytes:
    """The file of `report` in `fmt`: from the cache when this very report was rendered."""
    store = caches[CACHE_ALIAS]
    name = key(report, fmt)
    content = store.get(name)
    if content is None:
        content = render(report)
        store.set(name, content, TIMEOUT_SECONDS)
    return content
