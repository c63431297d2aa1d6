"""A store's assortment: loading and validating a catalog CSV (see spec/catalog.md)."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import data
from .errors import CatalogError

REQUIRED_COLUMNS = ("id", "name", "unit")
KNOWN_COLUMNS = ("id", "name", "synonyms", "family", "category", "unit", "size", "price")
ID_RE = re.compile(r"^[a-z0-9-]+$")
SIZE_RE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*([a-z]+)$")
PRICE_RE = re.compile(r"^\d+(?:\.\d{1,2})?$")
MAX_PRICE = 10_000.0
"""Euros per sale unit above which a price is taken for a mistake (spec: bad or absurd price)."""
MAX_FIELD = 1_000
"""Characters a field may hold; longer is a broken file, not a product."""
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "catalog" / "products.csv"


@dataclass(frozen=True)
class Size:
    """Amount in one sale unit, in a base measure (ml, g or pieces)."""

    amount: float
    unit: str
    dimension: str
    base: float

    def __str__(self) -> str:
        amount = int(self.amount) if self.amount == int(self.amount) else self.amount
        return f"{amount} {self.unit}"


@dataclass(frozen=True)
class Product:
    """One line of the catalog."""

    id: str
    name: str
    unit: str
    synonyms: tuple[str, ...] = ()
    family: str = ""
    category: str = ""
    size: Size | None = None
    price: float | None = None

    def units_for(self, dimension: str, base_amount: float) -> int:
        """Smallest whole number of sale units that covers a spoken measure."""
        if self.size is None or self.size.dimension != dimension:
            raise ValueError(f"{self.id} has no size in {dimension}")
        return max(1, math.ceil(round(base_amount / self.size.base, 6)))

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "name": self.name, "unit": self.unit,
            "synonyms": list(self.synonyms), "family": self.family,
            "category": self.category, "size": str(self.size) if self.size else "",
            "price": self.price,
        }


@dataclass
class Catalog:
    """All products of one store, by id, in file order."""

    products: dict[str, Product]
    source: str = "<memory>"
    digest: str = ""
    """SHA-1 of the CSV text it was read from: the key of indexes cached on disk ("" = none)."""
    families: dict[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        families: dict[str, list[str]] = {}
        for product in self.products.values():
            if product.family:
                families.setdefault(product.family, []).append(product.id)
        self.families = {word: tuple(ids) for word, ids in families.items()}

    def __getitem__(self, product_id: str) -> Product:
        return self.products[product_id]

    def __contains__(self, product_id: object) -> bool:
        return product_id in self.products

    def __iter__(self):
        return iter(self.products.values())

    def __len__(self) -> int:
        return len(self.products)


@lru_cache(maxsize=4096)
def parse_size(text: str) -> Size:
    """Parse ``1 l``, ``500 g``, ``6 stuks``; raise ValueError on anything else."""
    match = SIZE_RE.match(text.strip().lower())
    units = data.load("units")["size_units"]
    if not match or match.group(2) not in units:
        raise ValueError(f"bad size {text!r} (expected a number and one of {', '.join(units)}, e.g. '500 g')")
    amount = float(match.group(1).replace(",", "."))
    if amount <= 0:
        raise ValueError(f"bad size {text!r}: the amount must be positive")
    spec = units[match.group(2)]
    return Size(amount, match.group(2), spec["dimension"], amount * spec["factor"])


def _product_from_row(row: dict[str, str]) -> Product:
    """Validate one CSV row; raise ValueError naming the problem."""
    for column in REQUIRED_COLUMNS:
        if not (row.get(column) or "").strip():
            raise ValueError(f"empty required column '{column}'")
    product_id = row["id"].strip()
    if not ID_RE.match(product_id):
        raise ValueError(f"bad id {product_id!r} (use lowercase letters, digits and '-')")
    unit = row["unit"].strip().lower()
    sale_units = data.load("units")["sale_units"]
    if unit not in sale_units:
        raise ValueError(f"unknown unit {unit!r} (known: {', '.join(sale_units)})")
    for column, value in row.items():
        if value and len(value) > MAX_FIELD:
            raise ValueError(f"column '{column}' is {len(value):,} characters long (at most {MAX_FIELD:,})")
        if value and CONTROL_RE.search(value):
            raise ValueError(f"column '{column}' holds a control character (such as NUL or an escape)")
    price_text = (row.get("price") or "").strip()
    if price_text and not PRICE_RE.match(price_text):
        raise ValueError(f"bad price {price_text!r} (euros with a dot decimal, e.g. 1.19)")
    if price_text and not float(price_text) <= MAX_PRICE:
        raise ValueError(f"absurd price {price_text[:20]!r} (more than € {MAX_PRICE:,.0f} per sale unit)")
    size_text = (row.get("size") or "").strip()
    synonyms = tuple(s.strip().lower() for s in (row.get("synonyms") or "").split("|") if s.strip())
    return Product(
        id=product_id,
        name=row["name"].strip(),
        unit=unit,
        synonyms=synonyms,
        family=(row.get("family") or "").strip().lower(),
        category=(row.get("category") or "").strip().lower(),
        size=parse_size(size_text) if size_text else None,
        price=float(price_text) if price_text else None,
    )


def parse_catalog(text: str, source: str = "<text>") -> Catalog:
    """Parse catalog CSV text; all or nothing, errors name source and line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise CatalogError(source, 1, f"unreadable header: {exc}") from None
    repeated = sorted({h for h in header if header.count(h) > 1 and h})
    if repeated:
        raise CatalogError(source, 1, f"repeated column {', '.join(repeated)} (each column once)")
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        needed = ", ".join(REQUIRED_COLUMNS)
        raise CatalogError(source, 1, f"missing column {', '.join(missing)} (header needs {needed})")
    reader.fieldnames = header
    products: dict[str, Product] = {}
    for row in _rows(reader, source):
        line = reader.line_num
        if None in row:
            raise CatalogError(source, line, "more fields than the header has columns")
        if not any((v or "").strip() for v in row.values()):
            continue
        try:
            product = _product_from_row(row)
        except ValueError as exc:
            raise CatalogError(source, line, str(exc)) from None
        if product.id in products:
            raise CatalogError(source, line, f"duplicate id {product.id!r}")
        products[product.id] = product
    if not products:
        raise CatalogError(source, None, "no products (the file has only a header or is empty)")
    return Catalog(products, source, hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest())


def _rows(reader: csv.DictReader, source: str) -> Iterator[dict[str, str]]:
    """The rows, with the csv module's own errors (a field too large, a stray NUL) as CatalogError."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CatalogError(source, reader.line_num + 1, f"unreadable row: {exc}") from None
        yield row


CACHE_FROM_BYTES = 150_000
"""Catalogs from about 2,000 products are kept parsed on disk: a warm start of 30,000 takes 0.1 s, not 0.5."""
CATALOG_CODE = ("catalog.py", "data/units.yaml")


def load_catalog(path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load a catalog CSV; ``None`` means $VOICESKILL_CATALOG or the built-in one."""
    chosen = Path(path or os.environ.get("VOICESKILL_CATALOG") or DEFAULT_CATALOG)
    try:
        text = chosen.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(str(chosen), None, "file not found (a catalog is a CSV file; an example is "
                                              "catalog/examples/my-store.csv)") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(str(chosen), None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise CatalogError(str(chosen), None, f"cannot read: {exc.strerror}") from None
    if len(text) < CACHE_FROM_BYTES:
        return parse_catalog(text, str(chosen))
    from .disk_cache import cached

    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
    catalog = cached("catalog", digest, lambda: parse_catalog(text, str(chosen)), Catalog, CATALOG_CODE)
    catalog.source = str(chosen)
    return catalog
