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
