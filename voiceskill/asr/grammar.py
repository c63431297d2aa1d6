"""What a shopper can say, as a phrase list that restricts vosk's decoding.

Vosk decodes far better when it only has to choose between the words a shopper
can use in this store: product names, numbers, units and the command sentences
of ``data/intents.yaml``. The list is built from the catalog and the language
data files and cached as ``grammars/nl-<hash>.json``; the hash covers both, so
a changed catalog gets a new grammar automatically.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path

from .. import data
from ..catalog import Catalog
from ..nlu.grammar import expand_template, spoken_part
from ..nlu.normalize import normalize
from ..paths import data_dir

GRAMMAR_VERSION = 2
"""Bump when build_phrases changes, so cached grammar files are rebuilt."""
GRAMMARS_DIR = Path(__file__).resolve().parents[2] / "grammars"
DATA_FILES = ("numbers", "units", "intents", "morphology", "replies")
UNK = "[unk]"
MAX_COMMAND_PHRASES = 8000
"""Cap on phrases from intents.yaml."""
MAX_PRODUCT_PHRASES = 8000
"""Whole product names and synonyms, best sellers first (catalog order); the rest of a large
store's products still have every one of their words, which vosk strings together. With the
commands, the grammar stays under 20k phrases at any catalog size."""
_LETTER_WORD = re.compile(r"^[^\W\d_]+(?:'[^\W\d_]+)*$")
_TEMPLATE_SYNTAX = re.compile(r"[\s()\[\]|]+")
_REFERENCE = re.compile(r"<[^>]*>|\{[^}]*\}")

def clean(text: str) -> str:
    """The spelling voiceskill's understanding uses (one normaliser for both)."""
    return normalize(text)


def _speakable(phrase: str) -> bool:
    """Only letter words can be in a recogniser's vocabulary (no digits, no `stuk(s)`)."""
    return bool(phrase) and all(_LETTER_WORD.match(word) for word in phrase.split())


def _spellings(text: str) -> Iterator[str]:
    """The accent-free form, then the accented one when it differs.

    Why: the NLU reads accent-free text, but a recogniser's vocabulary may only
    spell a word with its accent (``tweeëntwintig``); the engine drops whichever
    spelling its model does not know.
    """
    lowered = " ".join(text.lower().replace("-", " ").split())
    if _speakable(lowered):
        yield clean(lowered)
        yield lowered


def _catalog_words(catalog: Catalog) -> Iterator[str]:
    """Whole names and synonyms of the first products (MAX_PRODUCT_PHRASES), then single words
    of every name and synonym, and the family words."""
    whole = 0
    for product in catalog:
        names = (product.name, *product.synonyms)
        if whole < MAX_PRODUCT_PHRASES:
            whole += len(names)
            yield product.name
            yield from product.name.split()
            yield from product.synonyms
        else:
            yield from (word for name in names for word in name.replace("-", " ").split())
        if product.family:
            yield product.family
    yield from catalog.families


def _number_words() -> Iterator[str]:
    """Number words 0..100 (compounds like eenentwintig built from the data), phrases, ordinals."""
    raw = data.load("numbers")
    yield from raw["units"]
    yield from raw["teens"]
    yield from raw["tens"]
    by_value: dict[int, str] = {}
    for word, value in raw["units"].items():
        by_value.setdefault(value, word)
    for tens in raw["tens"]:
        for value in range(1, 10):
            unit = by_value[value]
            joiner = raw["tens_joiner_after_e"] if unit.endswith("e") else raw["tens_joiner"]
            yield f"{unit}{joiner}{tens}"
    yield raw["hundred"]
    yield from raw["phrases"]
    yield from raw["ordinals"]


def unit_words() -> Iterator[str]:
    """Sale units with plurals and spoken forms, and the spoken measure words."""
    units = data.load("units")
    for unit, spec in units["sale_units"].items():
        yield unit
        yield spec["plural"]
        yield from spec.get("spoken", [])
    yield from units["measures"]


def _morphology_words() -> Iterator[str]:
    """Glue words of an order: `en`, `keer`, `van`, `nee`, stopwords."""
    morph = data.load("morphology")
    for key in ("item_separators", "leading_words", "times_words", "linking_words",
                "repair_words", "stopwords"):
        yield from morph.get(key, [])
    for words in morph.get("superlatives", {}).values():
        yield from words


def _command_phrases() -> list[str]:
    """intents.yaml sentences expanded (capped), then every single word they use."""
    raw = spoken_part(data.load("intents"))
    rules = raw.get("rules", {})
    phrases: list[str] = []
    for group in raw["intents"]:
        for sentence in group["sentences"]:
            phrases.extend(expand_template(sentence, rules))
    templates = [*rules.values(), *(s for group in raw["intents"] for s in group["sentences"])]
    words = [w for t in templates for w in _TEMPLATE_SYNTAX.split(_REFERENCE.sub(" ", t)) if w]
    return list(dict.fromkeys(phrases))[:MAX_COMMAND_PHRASES] + words


def build_phrases(catalog: Catalog) -> list[str]:
    """Every phrase a shopper of this catalog can say, deduplicated in a stable order, plus ``[unk]``."""
    sources: Iterable[str] = (*_catalog_words(catalog), *_number_words(), *unit_words(),
                              *_morphology_words(), *_command_phrases())
    phrases: dict[str, None] = {}
    for text in sources:
        for spelling in _spellings(str(text)):
            if _speakable(spelling):
                phrases.setdefault(spelling)
    phrases.setdefault(UNK)
    return list(phrases)


def catalog_hash(catalog: Catalog) -> str:
    """sha256 of what the grammar depends on: the products' words and the language data files."""
    digest = hashlib.sha256(f"grammar v{GRAMMAR_VERSION}\n".encode())
    products = [[p.id, p.name, list(p.synonyms), p.family, p.unit] for p in catalog]
    digest.update(json.dumps(products, ensure_ascii=False).encode())
    package = resources.files(data.__name__)
    for name in DATA_FILES:
        digest.update(package.joinpath(f"{name}.yaml").read_bytes())
    return digest.hexdigest()


def grammar_file(catalog: Catalog, folder: Path | None = None) -> Path:
    """Where the grammar of this catalog is cached: ``<folder>/nl-<12 hex>.json``."""
    return (folder or GRAMMARS_DIR) / f"nl-{catalog_hash(catalog)[:12]}.json"


def _read_grammar(path: Path) -> list[str] | None:
    """A cached grammar, or None when absent, unreadable or of another version."""
    try:
        raw = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    phrases = raw.get("phrases") if isinstance(raw, dict) and raw.get("version") == GRAMMAR_VERSION else None
    if isinstance(phrases, list) and phrases and all(isinstance(p, str) for p in phrases):
        return phrases
    return None


def _write_grammar(path: Path, phrases: list[str], source: str) -> None:
    """Write atomically (temp file + os.replace), so readers never see half a grammar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"version": GRAMMAR_VERSION, "catalog": source, "phrases": phrases},
                      ensure_ascii=False, indent=0)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(body)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_grammar(catalog: Catalog, folder: Path | None = None) -> list[str]:
    """The catalog's phrases: from the cache when current, else built and cached.

    ``folder`` defaults to ``GRAMMARS_DIR``; when it is not writable the cache
    goes to ``data_dir()/grammars``; when neither is, the phrases are still returned.
    """
    name = grammar_file(catalog).name
    paths = [(folder or GRAMMARS_DIR) / name, data_dir() / "grammars" / name]
    for path in paths:
        cached = _read_grammar(path)
        if cached is not None:
            return cached
    phrases = build_phrases(catalog)
    for path in paths:
        try:
            _write_grammar(path, phrases, catalog.source)
            break
        except OSError:
            continue
    return phrases
