"""How log lines are read: channels from storage keys, the assistant's replies recognised by
their templates, utterances grouped when they differ only in numbers or fillers (no IO beyond
the bundled data files, loaded once)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import data
from ..dialogue.turn import CONFIRM_UTTERANCE_BELOW
from ..nlu.morphology import stopwords
from ..nlu.normalize import normalize
from ..nlu.numbers import parse_number
from ..nlu.spoken import clean

NUMBER = "#"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_PAUSE = re.compile(r"(?<!\d)[,;:!?]|[,;:!?](?!\d)|\.{2,}|…| - | – ")
"""Pause marks, so that `blabla, uh, drie` and `uh blabla 3` read alike (a decimal comma stays)."""


def _pattern(template: str, name: str) -> re.Pattern[str]:
    """A reply template as a regular expression; ``{product}`` is captured, other parts are any text."""
    out, at = [], 0
    for found in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[at:found.start()]))
        part = found.group(1)
        out.append(re.escape(name) if part == "name" else
                   r"(?P<product>[^.?!]+?)" if part == "product" else r".+?")
        at = found.end()
    out.append(re.escape(template[at:]))
    return re.compile("".join(out), re.IGNORECASE)


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """The literal reading of ``text`` without fillers (shoppers repeat themselves: cached)."""
    return clean(text).words


@dataclass(frozen=True)
class Rules:
    """The counting rules of data/insights.yaml, with the reply templates they name compiled."""

    silence_minutes: float
    order_match_minutes: float
    top: int
    channels: dict[str, str]
    default_channel: str
    low_confidence: float
    """Below this, the dialogue confirms a whole utterance before acting on it (dialogue.turn)."""
    not_sold: tuple[re.Pattern[str], ...]
    confirmations: tuple[re.Pattern[str], ...]
    offers: tuple[tuple[re.Pattern[str], str], ...]
    case_reasons: dict[str, str]
    not_product_words: frozenset[str]

    def channel(self, *keys: str) -> str:
        """The channel of the first key with a known platform prefix (`alexa:session:x` -> alexa)."""
        for key in keys:
            prefix = (key or "").split(":", 1)[0] if ":" in (key or "") else ""
            if prefix in self.channels:
                return self.channels[prefix]
        return self.default_channel

    def confirms(self, reply: str) -> bool:
        return any(p.search(reply) for p in self.confirmations)

    def offer(self, reply: str) -> str | None:
        """Why the assistant offered a colleague in ``reply`` (`three_misses`, `off_topic`), if it did."""
        return next((cause for pattern, cause in self.offers if pattern.search(reply)), None)

    def unknown_products(self, reply: str) -> list[str]:
        """The products a reply says the store does not sell, as the shopper said them."""
        found: dict[int, str] = {}
        for pattern in self.not_sold:
            for match in pattern.finditer(reply):
                found.setdefault(match.start("product"), match.group("product"))
        return [found[k] for k in sorted(found)]

    def product_key(self, said: str) -> str:
        """`kaviaar erbij` -> `kaviaar`: the words that name the product, numbers and command words left out."""
        words = [w for w in _words(said) if w not in self.not_product_words]
        kept = [w for i, w in enumerate(words) if parse_number(words, i) is None]
        return " ".join(kept)

    def utterance_key(self, text: str) -> str:
        """An utterance without fillers and pauses, its numbers as `#` (`uh, doe er 3 bij` -> `doe er # bij`)."""
        words = list(_words(_PAUSE.sub(" ", text)))
        out: list[str] = []
        i = 0
        while i < len(words):
            number = parse_number(words, i)
            if number:
                if not out or out[-1] != NUMBER:
                    out.append(NUMBER)
                i += number[1]
                continue
            out.append(words[i])
            i += 1
        return " ".join(out)

    def reason(self, stored: str) -> str:
        """A desk case's reason as a cause: the known words mapped, any other kept as it is."""
        key = normalize(stored).replace(" ", "_")
        return self.case_reasons.get(key, key or "other")


@lru_cache(maxsize=1)
def rules() -> Rules:
    settings = data.load("insights")
    replies = data.load("replies")
    templates, name = replies["templates"], replies["assistant_name"]

    def compiled(keys: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(_pattern(templates[k], name) for k in keys)

    spoken = data.load("spoken")
    fillers = {w for phrase in spoken["fillers"] for w in normalize(phrase).split()}
    return Rules(
        silence_minutes=float(settings["silence_minutes"]),
        order_match_minutes=float(settings["order_match_minutes"]),
        top=int(settings["top"]),
        channels=dict(settings["channels"]),
        default_channel=str(settings["default_channel"]),
        low_confidence=CONFIRM_UTTERANCE_BELOW,
        not_sold=compiled(settings["not_sold"]),
        confirmations=compiled(settings["confirmations"]),
        offers=tuple((_pattern(templates[k], name), cause) for k, cause in settings["offers"].items()),
        case_reasons={str(k): str(v) for k, v in settings["case_reasons"].items()},
        not_product_words=frozenset(settings["not_product_words"]) | stopwords() | fillers
        | frozenset(spoken["function_words"]),
    )
