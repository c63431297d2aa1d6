"""Realistic Dutch store catalogs of any size, and shopper utterances whose right answer holds at every size.

    python bench/catalogs.py N OUT.csv [--utterances OUT.yaml]

A real supermarket sells 15,000-35,000 products; the spec allows up to 50,000. This writes a
catalog in the spec's format (spec/catalog.md) with N products built from the word lists in
bench/data/catalog_words.yaml: product lines (`melk`, `yoghurt`, `chips` ...) whose products are
brand x variant x flavour x size (`Campina halfvolle melk`, `Lay's chips paprika`), with
synonyms, families and plausible prices.

- Deterministic: the same N gives a byte-identical file; no randomness at all.
- Prefix-stable: the catalog of size N is exactly the first N rows of any larger one, so ids,
  and the right answer to an utterance, are the same at every size. Products are ordered by
  line popularity (a line's weight) and, within a line, best sellers first; lines are
  interleaved across departments, so any prefix is a plausible store.
- Unique: names differ case-insensitively, also without spaces, hyphens and punctuation and in
  another word order; no name or synonym equals another product's name or synonym, nor a
  family word. A candidate that would clash is left out (a decision that looks only at the
  products before it, so prefixes stay prefixes).

The fixed utterances (bench/data/scale_utterances.yaml) name products within the first 580
rows, or a family word that is ambiguous at every size; `utterances()` checks them against the
largest catalog (exact names and synonyms stay unique, a misspelt word stays closest to the
product it means) and `--utterances OUT.yaml` writes the checked set.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import itertools
import re
import sys
import time
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
WORDS = DATA / "catalog_words.yaml"
UTTERANCES = DATA / "scale_utterances.yaml"
UNITS = ROOT / "voiceskill" / "data" / "units.yaml"
BASE_SIZE = 580
"""Utterances name only products within this many rows: the smallest benchmarked catalog."""
MAX_SIZE = 50_000
"""The largest catalog the spec allows; utterances are checked against it."""
HEADER = ("id", "name", "synonyms", "family", "category", "unit", "size", "price")
MAX_SYNONYMS = 4
KINDS = ("exact", "number", "measure", "synonym", "fuzzy", "family", "multi")
FUZZY_MARGIN = 4
"""Points (rapidfuzz ratio, 0-100) by which the meant product must beat every other one."""
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?) (l|ml|kg|g|stuks)$")
_BASE = {"l": ("volume", 1000), "ml": ("volume", 1), "kg": ("mass", 1000), "g": ("mass", 1),
         "stuks": ("count", 1)}

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Row:
    """One product line of the CSV."""

    id: str
    name: str
    synonyms: tuple[str, ...]
    family: str
    category: str
    unit: str
    size: str
    price: str

    def fields(self) -> tuple[str, ...]:
        return (self.id, self.name, "|".join(self.synonyms), self.family, self.category,
                self.unit, self.size, self.price)


@dataclass(frozen=True)
class Option:
    """One choice in a dimension of a line: a brand, a variant, a flavour or a size."""

    text: str
    forms: tuple[str, ...] = ()
    """Other ways to say it (synonyms); the brand's spoken forms for a brand."""
    price: float = 1.0
    family: str | None = None
    unit: str | None = None
    size: str | None = None
    brands: tuple[Option, ...] | None = None
    flavours: tuple[Option, ...] | None = None
    sizes: tuple[Option, ...] | None = None


@dataclass(frozen=True)
class Line:
    """A kind of product and everything it comes in."""

    key: str
    category: str
    family: str
    unit: str
    price: float
    weight: float
    template: str
    steps: dict[str, float]
    variants: tuple[Option, ...]
    brands: tuple[Option, ...]
    flavours: tuple[Option, ...]
    sizes: tuple[Option, ...]


# --- words ------------------------------------------------------------------------------


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_WORD = re.compile(r"[a-z0-9]+")


def ascii_fold(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def compact_key(text: str) -> str:
    """`Lay's Chips-paprika` and `lays chipspaprika` are one key."""
    return _NOT_ALNUM.sub("", ascii_fold(text).lower())


def words_key(text: str) -> str:
    """The same words in another order are one key: `chips paprika` = `paprika chips`."""
    return " ".join(sorted(_WORD.findall(ascii_fold(text).lower().replace("'", ""))))


def slug(text: str) -> str:
    text = ascii_fold(text).lower().replace("'", "").replace("&", " en ").replace("+", " plus ")
    return _NOT_ALNUM.sub("-", text).strip("-")


def capitalize(name: str) -> str:
    """First letter up, Dutch style (`ijsbergsla` -> `IJsbergsla`); brands keep their capitals."""
    if name[:2] == "ij":
        return "IJ" + name[2:]
    return name[:1].upper() + name[1:]


def _size_option(spec: object, where: str, units: dict) -> Option:
    """`6 stuks, 6 blikjes, pak, 2.8` (size, words in the name, sale unit if not the line's, price
    factor if not by the amount) or a mapping."""
    if isinstance(spec, str):
        size, label, unit, price = ([p.strip() for p in spec.split(",")] + ["", "", ""])[:4]
        spec = {"size": size or None, "label": label, **({"unit": unit} if unit else {}),
                **({"price": float(price)} if price else {})}
    return _option(spec, where, units)


def _option(spec: object, where: str, units: dict) -> Option:
    """`halfvolle melk | halfvol | melk halfvol` or a mapping with text, syn, price, ..."""
    if isinstance(spec, str):
        text, *forms = [p.strip() for p in spec.split("|")]
        return Option(text, tuple(forms))
    if not isinstance(spec, dict):
        raise ValueError(f"{where}: an option is a string or a mapping, not {spec!r}")
    known = {"text", "syn", "price", "family", "unit", "size", "brands", "flavours", "sizes", "label"}
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    text = spec.get("text", spec.get("label", ""))
    syn = spec.get("syn", [])
    forms = tuple(p.strip() for p in (syn.split("|") if isinstance(syn, str) else syn))
    unit = spec.get("unit")
    if unit is not None and unit not in units:
        raise ValueError(f"{where}: unknown unit {unit!r}")
    size = spec.get("size")
    if size and not _SIZE_RE.match(size):
        raise ValueError(f"{where}: bad size {size!r}")
    return Option(
        text=str(text), forms=forms, price=float(spec.get("price", 1.0)), family=spec.get("family"),
        unit=unit, size=size,
        brands=None if "brands" not in spec else tuple(_option(b, where, units) for b in spec["brands"]),
        flavours=(None if "flavours" not in spec
                  else tuple(_option(f, where, units) for f in spec["flavours"])),
        sizes=None if "sizes" not in spec else _sizes(spec["sizes"], where, units),
    )


def _sizes(spec: object, where: str, units: dict) -> tuple[Option, ...]:
    if isinstance(spec, str):
        spec = words()["size_sets"][spec]
    return tuple(_size_option(s, where, units) for s in spec)


@lru_cache(maxsize=1)
def sale_units() -> dict:
    return yaml.load(UNITS.read_text(encoding="utf-8"), Loader=_Loader)["sale_units"]


@lru_cache(maxsize=1)
def words() -> dict:
    return yaml.load(WORDS.read_text(encoding="utf-8"), Loader=_Loader)


@lru_cache(maxsize=1)
def lines() -> tuple[Line, ...]:
    """The product lines of the word lists, in the interleaved store order."""
    data = words()
    units = sale_units()
    brand_table = data["brands"]
    default_steps = data["steps"]
    order = data["departments"]

    def brand(name: str, where: str) -> Option:
        if name == "":
            return Option("", (data["house_brand"],), 1.0)
        spec = brand_table.get(name)
        if spec is None:
            raise ValueError(f"{where}: brand {name!r} is not in the brands table")
        return Option(spec.get("name", name), tuple(spec.get("say", [])),
                      float(spec.get("price", data["brand_price"])))

    def brands(names: list, where: str) -> tuple[Option, ...]:
        return tuple(brand(n, where) for n in names)

    built: list[tuple[int, int, Line]] = []
    per_department: Counter[str] = Counter()
    for spec in data["lines"]:
        key = spec["key"]
        where = f"line {key}"
        category = spec["category"]
        if category not in order:
            raise ValueError(f"{where}: department {category!r} is not in departments")
        if spec["unit"] not in units:
            raise ValueError(f"{where}: unknown unit {spec['unit']!r}")
        variants = []
        for v in spec["variants"]:
            option = _option(v, where, units)
            if option.brands is not None:
                option = dataclasses.replace(option, brands=brands([b.text for b in option.brands], where))
            variants.append(option)
        line = Line(
            key=key, category=category, family=spec.get("family", ""), unit=spec["unit"],
            price=float(spec["price"]), weight=float(spec.get("weight", 1.0)),
            template=spec.get("template", "{brand} {variant} {flavour} {size}"),
            steps={**default_steps, **spec.get("steps", {})},
            variants=tuple(variants),
            brands=brands(spec.get("brands", [""]), where),
            flavours=tuple(_option(f, where, units) for f in spec.get("flavours", [""])),
            sizes=_sizes(spec["sizes"], where, units) if "sizes" in spec else (Option(""),),
        )
        built.append((per_department[category], order.index(category), line))
        per_department[category] += 1
    built.sort(key=lambda t: (t[0], t[1]))
    return tuple(line for _, _, line in built)


@lru_cache(maxsize=1)
def family_words() -> frozenset[str]:
    """Every family word some product carries: no product may be named or nicknamed so."""
    found = {v.family if v.family is not None else line.family for line in lines() for v in line.variants}
    return frozenset(compact_key(f) for f in found if f)


# --- products ---------------------------------------------------------------------------


def _combos(line: Line) -> list[tuple[float, tuple[int, ...], tuple[Option, ...]]]:
    """Every product of a line, best sellers first: cheapest by the steps of each dimension."""
    combos = []
    for vi, variant in enumerate(line.variants):
        brand_options = variant.brands if variant.brands is not None else line.brands
        flavour_options = variant.flavours if variant.flavours is not None else line.flavours
        size_options = _variant_sizes(line, variant)
        for bi, fi, si in itertools.product(range(len(brand_options)), range(len(flavour_options)),
                                            range(len(size_options))):
            cost = (vi * line.steps["variant"] + bi * line.steps["brand"] + fi * line.steps["flavour"]
                    + si * line.steps["size"])
            combos.append((cost, (vi, bi, fi, si),
                           (variant, brand_options[bi], flavour_options[fi], size_options[si])))
    combos.sort(key=lambda c: (c[0], c[1]))
    return combos


def _variant_sizes(line: Line, variant: Option) -> tuple[Option, ...]:
    """A variant's own sizes, its one size (`size: 1.3 kg`), or the line's."""
    if variant.sizes is not None:
        return variant.sizes
    if variant.size:
        return (Option("", size=variant.size),)
    return line.sizes


def _fill(template: str, parts: dict[str, str]) -> str:
    return " ".join(template.format(**parts).split())


def _size_base(size: str) -> tuple[str, float] | None:
    match = _SIZE_RE.match(size or "")
    if not match:
        return None
    dimension, factor = _BASE[match.group(2)]
    return dimension, float(match.group(1)) * factor


def _price(line: Line, variant: Option, brand: Option, flavour: Option, size: Option,
           first_size: str, product_id: str) -> str:
    value = line.price * variant.price * brand.price * flavour.price * size.price
    here, first = _size_base(size.size or ""), _size_base(first_size)
    if size.price == 1.0 and here and first and here[0] == first[0] and here[1] != first[1]:
        value *= (here[1] / first[1]) ** 0.85
    jitter = (zlib.crc32(product_id.encode()) % 13 - 6) / 100
    value *= 1 + jitter
    cents = max(19, round(value * 10) * 10 - 1) if value < 50 else round(value) * 100 - 1
    return f"{cents // 100}.{cents % 100:02d}"


def _candidates():
    """Every product every line can make, in store order (not yet checked for clashes)."""
    keyed = []
    for line_index, line in enumerate(lines()):
        for ordinal, (_, _, combo) in enumerate(_combos(line)):
            keyed.append((ordinal / line.weight, line_index, ordinal, combo))
    keyed.sort(key=lambda k: k[:3])
    all_lines = lines()
    for _, line_index, _, combo in keyed:
        yield all_lines[line_index], combo


def _name(line: Line, combo: tuple[Option, ...]) -> str:
    variant, brand, flavour, size = combo
    return capitalize(_fill(line.template, {"variant": variant.text, "brand": brand.text,
                                            "flavour": flavour.text, "size": size.text}))


def _synonyms(line: Line, combo: tuple[Option, ...]) -> list[str]:
    """Other ways to say a product: one part said another way (`halfvol`, `huismerk ...`, `lays`)."""
    variant, brand, flavour, size = combo
    main = {"variant": variant.text, "brand": brand.text, "flavour": flavour.text, "size": size.text}
    alternatives = {"variant": variant.forms, "flavour": flavour.forms, "brand": brand.forms,
                    "size": size.forms}
    synonyms = []
    for dimension in ("variant", "flavour", "brand", "size"):
        for form in alternatives[dimension]:
            text = _fill(line.template, {**main, dimension: form}).lower()
            if text and text not in synonyms:
                synonyms.append(text)
    return synonyms


def _row(line: Line, combo: tuple[Option, ...], name: str, product_id: str,
         synonyms: tuple[str, ...]) -> Row:
    variant, brand, flavour, size = combo
    sizes = _variant_sizes(line, variant)
    return Row(
        id=product_id, name=name, synonyms=synonyms,
        family=variant.family if variant.family is not None else line.family,
        category=line.category, unit=size.unit or variant.unit or line.unit, size=size.size or "",
        price=_price(line, variant, brand, flavour, size, sizes[0].size or "", product_id),
    )


_generated: list[Row] = []
"""The longest catalog made so far in this process: any shorter one is its prefix."""


def generate(n: int) -> list[Row]:
    """The first ``n`` products of the store, in order; the same ``n`` always gives the same list."""
    if n < 1:
        raise ValueError("a catalog needs at least one product")
    if n <= len(_generated):
        return _generated[:n]
    rows = _generate(n)
    _generated[:] = rows
    return list(rows)


def _generate(n: int) -> list[Row]:
    taken_keys: set[str] = set(family_words())
    taken_words: set[str] = set()
    ids: set[str] = set()
    rows: list[Row] = []
    for line, combo in _candidates():
        name = _name(line, combo)
        product_id = slug(name)
        key, order_key = compact_key(name), words_key(name)
        if not product_id or key in taken_keys or order_key in taken_words or product_id in ids:
            continue
        taken_keys.add(key)
        taken_words.add(order_key)
        ids.add(product_id)
        kept = []
        for synonym in _synonyms(line, combo):
            s_key, s_order = compact_key(synonym), words_key(synonym)
            if s_key and s_key not in taken_keys and s_order not in taken_words and len(kept) < MAX_SYNONYMS:
                taken_keys.add(s_key)
                taken_words.add(s_order)
                kept.append(synonym)
        rows.append(_row(line, combo, name, product_id, tuple(kept)))
        if len(rows) == n:
            return rows
    raise ValueError(f"the word lists make only {len(rows):,} distinct products, fewer than {n:,}")


def csv_text(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(row.fields() for row in rows)
    return out.getvalue()


def write_catalog(n: int, path: str | Path) -> list[Row]:
    rows = generate(n)
    Path(path).write_text(csv_text(rows), encoding="utf-8")
    return rows


def family_sizes(rows: list[Row]) -> Counter[str]:
    return Counter(row.family for row in rows if row.family)


# --- utterances -------------------------------------------------------------------------


def _says(text: str, phrase: str) -> bool:
    """Whether ``phrase`` occurs in ``text`` as whole words (case- and accent-free)."""
    return f" {_spaced(phrase)} " in f" {_spaced(text)} "


def _spaced(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", ascii_fold(text).lower()))


def _fuzzy_problems(wanted: list[tuple[str, str]], rows: list[Row]) -> list[str | None]:
    """For each (misspelt words, meant product id): why the words might not mean that product in
    ``rows`` (they are a name, a synonym or a family word, or another product is about as close
    by rapidfuzz's ratio, with and without spaces), or None when they clearly mean it."""
    from rapidfuzz import fuzz, process

    owners, spaced, compact = [], [], []
    exact: dict[str, str] = {}
    for row in rows:
        for phrase in (row.name, *row.synonyms):
            owners.append(row.id)
            spaced.append(_spaced(phrase))
            compact.append(compact_key(phrase))
            exact.setdefault(compact[-1], f"{row.id}'s {phrase!r}")
    mine_mask = {meant: [o == meant for o in owners] for _, meant in wanted}
    problems: list[str | None] = [None] * len(wanted)
    for i, (said, _) in enumerate(wanted):
        if compact_key(said) in family_words():
            problems[i] = f"{said!r} is a family word"
        elif compact_key(said) in exact:
            problems[i] = f"{said!r} is exactly {exact[compact_key(said)]}"
    for queries, choices in (([_spaced(s) for s, _ in wanted], spaced),
                             ([compact_key(s) for s, _ in wanted], compact)):
        matrix = process.cdist(queries, choices, scorer=fuzz.ratio, score_cutoff=50, workers=1)
        for i, (said, meant) in enumerate(wanted):
            if problems[i]:
                continue
            mask = mine_mask[meant]
            scores = matrix[i]
            mine = max(float(s) for s, m in zip(scores, mask) if m)
            rival, rival_id = 0.0, ""
            for j in scores.argsort()[::-1][:50]:
                if not mask[j]:
                    rival, rival_id = float(scores[j]), owners[j]
                    break
            if mine < 75:
                problems[i] = f"{said!r} is only {mine:.0f} like {meant}"
            elif rival > mine - FUZZY_MARGIN:
                problems[i] = f"{said!r} is {rival:.0f} like {rival_id}, {mine:.0f} like {meant}"
    return problems


def _other_names(text: str, meant: list[Row], phrases: dict[str, str]) -> list[str]:
    """Names and synonyms of other products that ``text`` says, outside the meant products' own words."""
    spaced = f" {_spaced(text)} "
    for row in meant:
        for phrase in sorted((row.name, *row.synonyms), key=len, reverse=True):
            if f" {_spaced(phrase)} " in spaced:
                spaced = spaced.replace(f" {_spaced(phrase)} ", " | ", 1)
                break
    found = []
    for part in spaced.split("|"):
        words = part.split()
        for length in range(1, min(len(words), 8) + 1):
            for start in range(len(words) - length + 1):
                owner = phrases.get(" ".join(words[start:start + length]))
                if owner and owner not in {r.id for r in meant}:
                    found.append(f"{' '.join(words[start:start + length])!r} ({owner})")
    return found


def check_utterances(items: list[dict], base: list[Row], largest: list[Row]) -> list[str]:
    """Problems with the fixed utterances: ids outside ``base``, names not said, other products'
    names said, fuzzy forms closer to another product of ``largest``, family words not
    ambiguous in ``base``."""
    by_id = {row.id: row for row in base}
    phrases: dict[str, str] = {}
    for row in largest:
        for phrase in (row.name, *row.synonyms):
            phrases.setdefault(_spaced(phrase), row.id)
    base_families = family_sizes(base)
    problems = []
    fuzzy: list[tuple[str, str, str]] = []
    texts: set[str] = set()
    for number, item in enumerate(items, 1):
        where = f"utterance {number} ({item.get('text')!r})"
        text, kind = item.get("text", ""), item.get("kind")
        if not text or kind not in KINDS:
            problems.append(f"{where}: needs text and a kind in {KINDS}")
            continue
        if text in texts:
            problems.append(f"{where}: repeated")
        texts.add(text)
        if kind == "family":
            family = item.get("family", "")
            if item.get("asks") is not True or item.get("cart"):
                problems.append(f"{where}: a family word expects asks: true and no cart")
            if base_families.get(family, 0) < 2:
                problems.append(f"{where}: family {family!r} has {base_families.get(family, 0)} products "
                                f"in the first {len(base)}")
            if not _says(text, family):
                problems.append(f"{where}: does not say {family!r}")
            if others := _other_names(text, [], phrases):
                problems.append(f"{where}: also names {', '.join(others)}")
            continue
        cart = item.get("cart") or {}
        if not cart or item.get("asks"):
            problems.append(f"{where}: needs a cart and no asks")
        for product_id, quantity in cart.items():
            if product_id not in by_id:
                problems.append(f"{where}: {product_id} is not in the first {len(base)} products")
                continue
            if not isinstance(quantity, int) or not 1 <= quantity <= 99:
                problems.append(f"{where}: quantity {quantity!r} of {product_id}")
            row = by_id[product_id]
            if kind == "synonym":
                if not any(_says(text, s) for s in row.synonyms):
                    problems.append(f"{where}: says none of {product_id}'s synonyms")
            elif kind == "fuzzy":
                said = item.get("said", "")
                if _says(text, said):
                    fuzzy.append((where, said, product_id))
                else:
                    problems.append(f"{where}: does not say {said!r}")
            elif not _says(text, row.name):
                problems.append(f"{where}: does not say the name {row.name!r}")
        meant = [by_id[p] for p in cart if p in by_id]
        if kind != "fuzzy" and (others := _other_names(text, meant, phrases)):
            problems.append(f"{where}: also names {', '.join(others)}")
    if fuzzy:
        found = _fuzzy_problems([(said, meant) for _, said, meant in fuzzy], largest)
        problems.extend(f"{where}: {problem}" for (where, _, _), problem in zip(fuzzy, found) if problem)
    return problems


def load_utterances(path: str | Path = UTTERANCES) -> list[dict]:
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)["utterances"]


_checked: list[bool] = []
"""Whether the fixed utterances passed their check in this process (the file does not change)."""


def utterances(check: bool = True) -> list[dict]:
    """The fixed shopper utterances with their right answers, the same at every size >= 580.

    Each has `text`, `kind` and either `cart` ({product_id: quantity}, the cart after the turn
    from an empty one) or `asks: true` (a family word: nothing changes, the assistant asks).
    """
    items = load_utterances()
    if check and not _checked:
        largest = generate(MAX_SIZE)
        problems = check_utterances(items, largest[:BASE_SIZE], largest)
        if problems:
            raise ValueError("bad fixed utterances:\n  " + "\n  ".join(problems))
        _checked.append(True)
    return items


def utterances_yaml(items: list[dict]) -> str:
    return yaml.safe_dump({"utterances": items}, allow_unicode=True, sort_keys=False, width=200)


# --- command line -----------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a realistic Dutch store catalog of N products (prefix-stable, deterministic).")
    parser.add_argument("n", type=int, metavar="N",
                        help=f"number of products (the spec allows up to {MAX_SIZE:,})")
    parser.add_argument("out", metavar="OUT.csv", help="catalog CSV to write")
    parser.add_argument("--utterances", metavar="OUT.yaml",
                        help="also write the fixed shopper utterances with their right answers")
    parser.add_argument("--top", type=int, default=10, help="how many of the largest families to print")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        rows = write_catalog(args.n, args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    families = family_sizes(rows)
    print(f"wrote {len(rows):,} products to {args.out} ({len({r.category for r in rows})} departments, "
          f"{len(families)} families, {time.perf_counter() - started:.1f} s)")
    print("largest families: " + ", ".join(f"{f} {c}" for f, c in families.most_common(args.top)))
    if args.utterances:
        try:
            items = utterances()
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        Path(args.utterances).write_text(utterances_yaml(items), encoding="utf-8")
        kinds = Counter(item["kind"] for item in items)
        print(f"wrote {len(items)} utterances to {args.utterances} (" +
              ", ".join(f"{k} {kinds[k]}" for k in KINDS if kinds[k]) + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
