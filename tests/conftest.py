"""Shared fixtures: the small spec catalog and assistants on a real SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest

from voiceskill import Assistant, load_catalog
from voiceskill.catalog import Catalog
from voiceskill.nlu import Understander

HERE = Path(__file__).parent
SPEC_CATALOG = HERE / "catalogs" / "spec.csv"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(SPEC_CATALOG)


@pytest.fixture(scope="session")
def understander(catalog: Catalog) -> Understander:
    return Understander(catalog)


@pytest.fixture()
def assistant(catalog: Catalog, tmp_path: Path) -> Assistant:
    return Assistant(catalog, tmp_path / "carts.db")


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server for this test run (tests/pg.py); skipped only where none can run."""
    import pg

    reason = pg.missing()
    if reason:
        pytest.skip(reason)
    cluster = pg.Cluster().start()
    yield cluster
    cluster.close()


@pytest.fixture()
def pg_url(postgres) -> str:
    """The URL of a new, empty PostgreSQL database."""
    return postgres.database()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new cart database of each kind: a SQLite file's path, then a PostgreSQL database's URL."""
    if request.param == "sqlite":
        return str(tmp_path / "carts.db")
    return request.getfixturevalue("pg_url")
