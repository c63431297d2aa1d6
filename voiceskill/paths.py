"""Where voiceskill keeps its files: the one documented place for default paths.

Database: `--db PATH` (a SQLite file) or `--db postgresql://user:password@host/dbname`,
else `$VOICESKILL_DB`, else `$XDG_DATA_HOME/voiceskill/voiceskill.db`
(`~/.local/share/voiceskill/voiceskill.db`).
Catalog: `--catalog PATH`, else `$VOICESKILL_CATALOG`, else the built-in `catalog/products.csv`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import StorageError

POSTGRES_SCHEMES = ("postgresql", "postgres")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://")


def data_dir() -> Path:
    """The per-user data folder (models, database)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "voiceskill"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path | str:
    """The cart database to use: a file Path, or as given `:memory:` or a PostgreSQL URL.

    Any other URL is refused here, before anything is created, with what is supported.
    """
    chosen = explicit or os.environ.get("VOICESKILL_DB")
    if chosen == ":memory:":
        return ":memory:"
    scheme = _SCHEME.match(str(chosen or ""))
    if scheme and scheme.group(1).lower() in POSTGRES_SCHEMES:
        return str(chosen)
    if scheme:
        raise StorageError(f"--db {safe_url(str(chosen))}: voiceskill keeps carts in a SQLite file "
                           "(--db carts.db) or in PostgreSQL (--db postgresql://user@host/dbname), "
                           f"not at a {scheme.group(1)}:// URL")
    return Path(chosen) if chosen else data_dir() / "voiceskill.db"


def is_url(target: Path | str) -> bool:
    return isinstance(target, str) and bool(_SCHEME.match(target))


def safe_url(url: str) -> str:
    """``url`` with any password replaced by `***`, for messages and logs (never print a password)."""
    hidden = _LOGIN_PASSWORD.sub(r"\1:***@", url)
    return _QUERY_PASSWORD.sub(r"\1***", hidden)


_LOGIN_PASSWORD = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@?#]*):[^@/?#]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)
