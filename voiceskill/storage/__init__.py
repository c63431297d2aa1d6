"""Where carts are kept: one small backend per kind of database, under the one CartStore.

SQLite (a file: the default, and all a Raspberry Pi needs) or PostgreSQL (`--db
postgresql://...`, for many shoppers on several machines sharing one database). The SQL
for carts, orders and the log is written once, in voiceskill/cart.py and schema.py, in
the dialect both accept (`?` placeholders, `"user"` quoted, `INSERT ... ON CONFLICT`); a
backend supplies only connections, transactions, the per-user lock, the schema version
and the few words of DDL that differ.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..paths import db_path, is_url
from .base import Backend

__all__ = ["Backend", "open_backend"]


def open_backend(target: str | os.PathLike[str] | None = None) -> Backend:
    """The backend for ``target`` (a file path, `:memory:` or a postgresql:// URL; see paths.db_path)."""
    chosen: Path | str = db_path(target)
    if is_url(chosen):
        from .postgres import PostgresBackend

        return PostgresBackend(str(chosen))
    from .sqlite import SQLiteBackend

    return SQLiteBackend(chosen)
