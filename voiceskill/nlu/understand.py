"""From one utterance to an intent with its items: the understanding stage (no IO)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache

from rapidfuzz import fuzz, process

from .. import data
from ..catalog import Catalog

from .evidence import OFFER, REFERENCE, EvidenceReader, cues, hedged, is_thanks
from .grammar import HEAD, Template, compile_template, expand_intents, spoken_part
from .items import ItemReader, ItemRequest, Quantity, is_quantity_only
from .matcher import ACCEPT, ProductMatcher
from .morphology import phonetic_key, stopwords
from .normalize import normalize
from .numbers import parse_ordinal, word_value
from .spoken import clean, clean_spelling

STRICT_CONFIDENCE = 0.75
FUZZY_SCORE = 78
FUZZY_CHANGING = 86
FUZZY_QUESTION = 85
"""A question sounds like one of our questions only when nearly the same (`wat is het weer` is no total)."""
FUZZY_MIN_CHARS = 6
FUZZY_MAX_WORDS = 8
CHANGES_AT_ONCE = frozenset({"undo"})
MAX_ITEMS = int(data.load("spoken")["max_items"])
TOTAL_WORDS = frozenset({"alles", "samen", "allemaal", "totaal", "mandje", "lijst", "boodschappen", "elkaar", "mand"})
POINTING_WORDS = frozenset({"dat", "die", "deze", "dit"})


@dataclass(frozen=True)
class Understanding:
    """What one utterance means, before the dialogue puts it in context."""

    text: str
    """The normalised text."""
    intent: str
    """One of the intents of spec/conversation.md (or `greet`)."""
    items: tuple[ItemRequest, ...] = ()
    """Products named, in order, each with its quantity."""
    quantity: Quantity | None = None
    """A bare quantity (`maak er vier van`, `nee, vier`)."""
    repair: bool = False
    """The utterance corrects what was just done (`nee, vier`)."""
    ordinal: int | None = None
    """A position named (`de tweede`), for answers to a choice."""
    confidence: float = 1.0
    """How sure recognition and understanding are, 0..1."""
    words: tuple[str, ...] = field(default=(), repr=False)
    detail: str = ""
    """What kind of the intent: `price`, `available`, `kinds`, `cheapest` (ask_product),
    `except` or `no_need` (remove_item)."""
    replacement: tuple[ItemRequest, ...] = ()
    """replace_item: what the shopper wants instead (`halfvolle` in `vervang de volle melk door halfvolle`)."""
    problem: str = ""
    """Why nothing may change: `too_long`, `too_many`, `negative`, `off_topic`."""
    question: bool = False
    """Said as a question (a question word first, or a final `?`)."""

    @property
    def matched_items(self) -> tuple[ItemRequest, ...]:
        return tuple(i for i in self.items if i.match is not None)


@dataclass(frozen=True)
class _Group:
    intent: str
    templates: tuple[Template, ...]
    repair: bool
    strict: bool
    known: bool
    detail: str


@lru_cache(maxsize=1)
def _groups() -> tuple[_Group, ...]:
    raw = data.load("intents")
    rules = raw["rules"]
    return tuple(
        _Group(g["intent"], tuple(compile_template(s, rules) for s in g["sentences"]),
               bool(g.get("repair")), bool(g.get("strict")), bool(g.get("known")), str(g.get("detail", "")))
        for g in raw["intents"]
    )


@lru_cache(maxsize=1)
def _compile_in_background() -> threading.Thread:
    """Compile every template's expressions once per process, beside the first turns: a start
    does not wait for them, and later utterances find them compiled."""
    def compile_all() -> None:
        for group in _groups():
            for template in group.templates:
                _ = template.patterns, template.splits

    worker = threading.Thread(target=compile_all, name="voiceskill-templates", daemon=True)
    worker.start()
    return worker


class Understander:
    """Understands Dutch shopping utterances against one catalog."""

    def __init__(self, catalog: Catalog, examples: dict[str, str] | None = None) -> None:
        self.catalog = catalog
        self.examples = dict(examples or {})
        """Taught example sentences (nlu/teaching.py): normalised sentence -> intent, used when no
        template explains an utterance."""
        self.matcher = ProductMatcher.shared(catalog)
        self.reader = ItemReader(self.matcher)
        self.evidence = EvidenceReader(self.matcher, self.reader)
        _groups()
        _compile_in_background()

    def understand(self, text: str, confidence: float = 1.0,
                   word_confidence: dict[str, float] | None = None) -> Understanding:
        """The intent and slots of ``text``; anything not understood is `fallback`.

        Every reading of the spoken utterance (fillers dropped, self-corrections
        applied) is understood, and the one that explains most of its words wins.
        ``word_confidence`` (from speech recognition) marks spoken numbers as uncertain.
        """
        said = normalize(text or "").split()
        if is_thanks(said):
            return Understanding(" ".join(said), "thanks", confidence=confidence, words=tuple(said))
        spoken = clean(text)
        if spoken.problem:
            return Understanding(" ".join(spoken.words), "fallback", confidence=confidence,
                                 words=spoken.words, problem=spoken.problem)
        if self.evidence.other_domain(spoken.words):
            return Understanding(" ".join(spoken.words), "fallback", confidence=confidence,
                                 words=spoken.words, problem="other_domain", question=spoken.question)
        readings = [self._understand(" ".join(words), confidence) for words in spoken.readings]
        corrected = [r for r in readings[:-1] if r.intent != "fallback"] if spoken.corrected else []
        understood = max(corrected or readings, key=_explained)
        if understood.intent == "fallback" and spoken.clauses:
            clauses = [self._understand(" ".join(words), confidence) for words in spoken.clauses]
            understood = max([understood, *(c for c in clauses if _explained(c)[0] == 0)], key=_explained)
        understood = self._weigh(replace(understood, question=spoken.question), spoken.words,
                                 tuple(clean_spelling(said)))
        unknown_order = understood.intent == "add_item" and bool(understood.items) and \
            not any(i.match and i.match.confidence >= ACCEPT for i in understood.items)
        if understood.intent == "fallback" or unknown_order:
            understood = _sounds_like_command(understood, FUZZY_CHANGING if unknown_order else FUZZY_SCORE)
        understood = _judge(understood)
        if not word_confidence or not (understood.items or understood.quantity):
            return understood
        heard = {normalize(w): c for w, c in word_confidence.items()}
        items = tuple(replace(item, quantity=_number_confidence(item.quantity, item.said, heard))
                      for item in understood.items)
        quantity = understood.quantity and _number_confidence(understood.quantity, understood.text, heard)
        return replace(understood, items=items, quantity=quantity)

    def _weigh(self, u: Understanding, words: tuple[str, ...], said: tuple[str, ...] = ()) -> Understanding:
        """The cues' reading where templates explained too little: nothing, an order or a question whose
        `product` is not one (`gooi er ... in`, `iets met havermout, dacht ik`, `wat is in mandje`)."""
        if (self.evidence.identity(words) or self.evidence.identity(said)) and (u.intent == "fallback" or u.question):
            return replace(u, intent="identity", items=())
        if u.intent == "cart_total" and not set(words) & TOTAL_WORDS and set(words) & POINTING_WORDS:
            return replace(u, detail=REFERENCE)
        frames = [i for i in u.items if not i.clear and
                  {w for w in _content(i.words or i.said) if word_value(w) is None} <= cues().explained]
        frame_only = u.intent == "add_item" and bool(frames)
        if frame_only and len(frames) < len(u.items) and all(i.clear for i in u.items if i not in frames) \
                and not hedged(words):
            return replace(u, items=tuple(i for i in u.items if i not in frames))
        unclear_order = u.intent in ("add_item", "ask_product") and not any(i.clear for i in u.items)
        if u.intent != "fallback" and not frame_only and not unclear_order:
            return u
        reading = self.evidence.read(words, u.question)
        if reading is None:
            return u
        if reading.detail == OFFER and u.intent == "add_item" and not frame_only:
            return u
        return replace(u, intent=reading.intent, items=reading.items, detail=reading.detail,
                       quantity=reading.quantity, confidence=min(u.confidence, reading.confidence))

    def _understand(self, norm: str, confidence: float) -> Understanding:
        words = tuple(norm.split())
        ordinal = parse_ordinal(list(words))
        best: Understanding | None = None
        for group, template in _candidates(norm[:HEAD], norm[-HEAD:]):
            quick = template.matches(norm)
            for slots in quick + (template.matches(norm, every_split=True) if quick else []):
                result = self._fill(group, slots, norm, words, confidence, ordinal)
                if result is None:
                    continue
                if _explained(result)[0] == 0:
                    return result
                if best is None or _explained(result)[0] > _explained(best)[0]:
                    best = result
        if norm in self.examples:  # no template explains it all: what a colleague taught
            return Understanding(norm, self.examples[norm], (), None, False, ordinal, confidence, words)
        return best or Understanding(norm, "fallback", (), is_quantity_only(list(words)), False,
                                     ordinal, confidence, words)

    def _fill(self, group: _Group, slots: dict[str, str], norm: str, words: tuple[str, ...],
              confidence: float, ordinal: int | None) -> Understanding | None:
        """Check and read the slots of a matching template; None rejects the match."""
        quantity = None
        items: list[ItemRequest] = []
        new: list[ItemRequest] = []
        if "number" in slots:
            quantity = is_quantity_only(slots["number"].split())
            if quantity is None or not quantity.explicit:
                return None
        if "new" in slots:
            new = self.reader.read(slots["new"].split())
            named = "items" in slots
            if not new or not all(i.match and i.match.confidence >= ACCEPT or named and (i.match or i.unexplained)
                                  for i in new):
                return None
        if "items" in slots:
            items = self.reader.read(slots["items"].split())
            if not _acceptable(group, items):
                return None
        if quantity and len(items) == 1 and not items[0].quantity.explicit and group.intent == "add_item":
            items, quantity = [replace(items[0], quantity=quantity)], None
        return Understanding(norm, group.intent, tuple(items), quantity, group.repair,
                             ordinal, confidence, words, group.detail, tuple(new))


@lru_cache(maxsize=16384)
def _candidates(head: str, tail: str) -> tuple[tuple[_Group, Template], ...]:
    """The templates, in order, that a sentence opening with ``head`` and ending with ``tail`` can match."""
    return tuple((group, template) for group in _groups() for template in group.templates
                 if template.may_match(head, tail))


def _explained(u: Understanding) -> tuple[int, int, int]:
    """How well a reading accounts for its words: fewer loose ends first, then fewer
    items (a correction replaces, it does not add), then more of the words said."""
    if u.intent == "fallback":
        return (-1000, 0, len(u.words))
    loose = sum(len(i.unexplained) + (0 if i.match and i.match.confidence >= ACCEPT else 1 if i.match else 2)
                for i in (*u.items, *u.replacement))
    return (-loose, -len(u.items), len(u.words))


def _judge(u: Understanding) -> Understanding:
    """The contract's limits: too many items, or a question that is no shopping question."""
    if len(u.items) > MAX_ITEMS:
        return replace(u, intent="fallback", items=(), problem="too_many")
    if not u.question:
        return u
    if u.intent == "fallback" and not u.items:
        return replace(u, problem="off_topic")
    if u.intent == "add_item" and not all(i.clear for i in u.items):
        return replace(u, intent="fallback", items=(), problem="off_topic")
    return u


@lru_cache(maxsize=1)
def _fixed_phrases() -> tuple[list[str], list[str], list[str]]:
    """Every slot-free command sentence (phrases, their sound-alike keys, their intents)."""
    fixed = [(sentence, intent) for intent, sentence in expand_intents(spoken_part(data.load("intents")))
             if "{" not in sentence]
    phrases = [sentence for sentence, _ in fixed]
    return phrases, [phonetic_key(p) for p in phrases], [intent for _, intent in fixed]


def _sounds_like_command(u: Understanding, threshold: int) -> Understanding:
    """A misheard fixed command (`ongevan maken`, `dat maast het`) by spelling or sound.

    Only whole sentences close to a known command count, with lower confidence;
    commands that change the cart at once, and words that might be an order of
    something we do not sell (`ik wil een fiets`), need to be closer still.
    """
    if len(u.text) < FUZZY_MIN_CHARS or len(u.words) > FUZZY_MAX_WORDS:
        return u
    phrases, keys, intents = _fixed_phrases()
    by_spelling = process.extractOne(u.text, phrases, scorer=fuzz.ratio)
    by_sound = process.extractOne(phonetic_key(u.text), keys, scorer=fuzz.ratio)
    score, index = max((by_spelling[1], by_spelling[2]), (by_sound[1], by_sound[2]))
    intent = intents[index]
    needed = FUZZY_CHANGING if intent in CHANGES_AT_ONCE else threshold
    if u.question:
        if intent not in data.load("spoken")["question_intents"]:
            return u
        needed = max(needed, FUZZY_QUESTION)
    if score < needed:
        return u
    return replace(u, intent=intent, items=(), confidence=round(u.confidence * score / 100, 3))


def _number_confidence(quantity: Quantity, said: str, heard: dict[str, float]) -> Quantity:
    """The quantity as sure as the recogniser was of the number words in ``said``."""
    if not quantity.explicit:
        return quantity
    numbers = [heard[w] for w in said.split() if w in heard and word_value(w) is not None]
    return replace(quantity, confidence=min(numbers)) if numbers else quantity


def _content(words: str) -> list[str]:
    return [w for w in words.split() if w not in stopwords()]


def _acceptable(group: _Group, items: list[ItemRequest]) -> bool:
    """Whether the items make sense for this kind of template.

    With a carrier phrase (`ik wil graag een fiets`) an unknown product is still
    an order; without one, or for a repair, the words must name catalog products
    and little else, so `I want a cola` is not an order but `twee fietsen` is,
    and in a list beside a clear product (`bananen, een fiets`) an unknown one is named.
    """
    if not items:
        return False
    anchored = any(i.clear for i in items)
    for item in items:
        content = _content(item.words)
        if group.known and item.match is None and content:
            return False
        if not (group.strict or group.repair):
            continue
        if item.match is None:
            if not (group.strict and 1 <= len(content) <= 2 and (item.quantity.explicit or anchored and len(content) == 1)):
                return False
        elif len(item.unexplained) > 1 and not item.quantity.explicit or \
                (group.repair and item.match.confidence < STRICT_CONFIDENCE) or \
                (item.match.confidence < ACCEPT and len(content) > 1 and not item.quantity.explicit):
            return False
    return any(i.match or i.quantity.explicit or _content(i.words) for i in items)


__all__ = ["ACCEPT", "Understander", "Understanding"]
