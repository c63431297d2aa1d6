"""Where voiceskill keeps its files: the one documented place for default paths.

Database: `--db PATH`, else `$VOICESKILL_DB`, else
`$XDG_DATA_HOME/voiceskill/voiceskill.db` (`~/.local/share/voiceskill/voiceskill.db`).
Catalog: `--catalog PATH`, else `$VOICESKILL_CATALOG`, else the built-in `catalog/products.csv`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .errors import StorageError


def data_dir() -> Path:
    """The per-user data folder (models, database)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "voiceskill"


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path | str:
    """The cart database to use; `:memory:` is kept as is."""
    chosen = explicit or os.environ.get("VOICESKILL_DB")
    if chosen == ":memory:":
        return ":memory:"
    if chosen and re.match(r"^[a-z][a-z0-9+.-]*://", str(chosen)):
        raise StorageError(f"--db {chosen}: this voiceskill stores carts in SQLite only, not at a URL; "
                           "pass a file path such as --db carts.db")
    return Path(chosen) if chosen else data_dir() / "voiceskill.db"
