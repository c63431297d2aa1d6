"""Results that are slow to build at a store's size (a parsed catalog, its index), kept on disk.

A cached value is found by what it was built from: the catalog's digest and the digest of
the code and data that build it, so a changed CSV, rule or module never reads a stale one.
The folder is `$VOICESKILL_CACHE`, else the data dir's `cache/`; `VOICESKILL_CACHE=off`
turns caching off. A cache that cannot be read or written only costs time, never a failure.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from .paths import data_dir

log = logging.getLogger(__name__)
T = TypeVar("T")
PACKAGE = Path(__file__).parent
KEEP = 8
"""Files of one kind kept; older ones (other catalogs, older code) are removed."""


def folder() -> Path | None:
    chosen = os.environ.get("VOICESKILL_CACHE")
    if chosen == "off":
        return None
    return Path(chosen) if chosen else data_dir() / "cache"


@lru_cache(maxsize=None)
def code_digest(*files: str) -> str:
    """Digest of package files (relative to voiceskill/) that decide what a cached value holds."""
    digest = hashlib.sha1()
    for name in files:
        digest.update((PACKAGE / name).read_bytes())
    return digest.hexdigest()[:12]


def cached(kind: str, key: str, build: Callable[[], T], expected: type, code: Iterable[str]) -> T:
    """``build()``'s value, from disk when the same ``key`` and ``code`` made it before."""
    where = folder()
    if not key or where is None:
        return build()
    path = where / f"{kind}-{key[:16]}-{code_digest(*code)}.pickle"
    try:
        with path.open("rb", buffering=1 << 20) as handle, _no_gc():
            value = pickle.load(handle)
        if isinstance(value, expected):
            return value
    except FileNotFoundError:
        pass
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError, TypeError) as exc:
        log.warning("ignoring the unreadable cache file %s (%s); rebuilding it", path, exc)
    value = build()
    _store(value, path, kind)
    return value


@contextmanager
def _no_gc() -> Iterator[None]:
    """Unpickling a store's index makes a million small objects; the cycle collector, run
    on every few hundred of them, would take more time than the loading itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _store(value: object, path: Path, kind: str) -> None:
    """Write atomically, then keep only the newest few files of this kind."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{kind}-", delete=False) as handle:
            try:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                os.unlink(handle.name)
                raise
        os.replace(handle.name, path)
        older = sorted(path.parent.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[KEEP:]:
            stale.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as exc:
        log.warning("cannot write the cache file %s (%s); the next start builds it again", path, exc)
