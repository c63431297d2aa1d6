"""Sentence templates in hassil's syntax: parsed once, then compiled to regular
expressions (to understand) or expanded into phrases (for a recogniser's grammar).

`(a|b)` is a choice, `[a|b]` an optional choice, `<rule>` an expansion rule
and `{slot}` a free-text slot. Words are matched whole; a space inside an
optional (`boodschappen[ ]lijst`) lets a compound be said as one or two words.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from typing import Union

from ..errors import DataFileError

_SPACE = r"\b\s*\b"
_SLOT_MARK = re.compile(r"\{[^{}]*\}")
MAX_PER_TEMPLATE = 60
"""Expansions kept per sentence template (simplest forms first)."""

Node = Union[str, "Alt", "Ref"]


class Alt:
    """A choice ``(a|b)``, optional when written ``[a|b]``."""

    def __init__(self, options: list[list[Node]], optional: bool) -> None:
        self.options = options
        self.optional = optional


class Ref:
    """A ``<rule>`` reference or (``slot=True``) a ``{slot}``, which splits phrases."""

    def __init__(self, name: str, slot: bool = False) -> None:
        self.name = name
        self.slot = slot


class _Parser:
    """Recursive-descent parser for hassil's template syntax."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0

    def fail(self, problem: str) -> DataFileError:
        return DataFileError(f"template {self.source!r}: {problem} at position {self.pos}")

    def sequence(self, closers: str) -> list[Node]:
        out: list[Node] = []
        text = self.source
        while self.pos < len(text) and text[self.pos] not in closers:
            ch = text[self.pos]
            self.pos += 1
            if ch in "([":
                out.append(Alt(self.options(")" if ch == "(" else "]"), ch == "["))
            elif ch in "<{":
                end = text.find(">" if ch == "<" else "}", self.pos)
                if end < 0:
                    raise self.fail(f"unclosed {ch!r}")
                out.append(Ref(text[self.pos:end], slot=ch == "{"))
                self.pos = end + 1
            elif out and isinstance(out[-1], str):
                out[-1] += ch
            else:
                out.append(ch)
        return out

    def options(self, closer: str) -> list[list[Node]]:
        found = [self.sequence("|" + closer)]
        while self.pos < len(self.source) and self.source[self.pos] == "|":
            self.pos += 1
            found.append(self.sequence("|" + closer))
        if self.pos >= len(self.source) or self.source[self.pos] != closer:
            raise self.fail(f"missing {closer!r}")
        self.pos += 1
        return found


def parse_template(source: str) -> list[Node]:
    """Parse one template into literal text, choices and references."""
    parser = _Parser(source.strip())
    nodes = parser.sequence("")
    if parser.pos != len(parser.source):
        raise parser.fail("unbalanced brackets")
    return nodes


def ordered_product(options: list[list[str]], limit: int) -> list[str]:
    """Concatenations of one pick per list, simplest (lowest index sum) first, at most ``limit``.

    Why: a plain product varies only the last parts before hitting the cap;
    this keeps the cap fair to every part of a sentence.
    """
    start = (0,) * len(options)
    heap, seen = [(0, start)], {start}
    out: list[str] = []
    while heap and len(out) < limit:
        total, picks = heapq.heappop(heap)
        out.append("".join(choice[i] for choice, i in zip(options, picks)))
        for k, i in enumerate(picks):
            if i + 1 < len(options[k]):
                following = picks[:k] + (i + 1,) + picks[k + 1:]
                if following not in seen:
                    seen.add(following)
                    heapq.heappush(heap, (total + 1, following))
    return out


def _expand_nodes(nodes: list[Node], rules: dict[str, str], limit: int, depth: int) -> list[str]:
    if depth > 10:
        raise DataFileError("template rules nest too deeply (a <rule> refers to itself?)")
    parts: list[list[str]] = []
    for node in nodes:
        if isinstance(node, str):
            parts.append([node])
        elif isinstance(node, Alt):
            choices = [""] if node.optional else []
            for option in node.options:
                choices.extend(_expand_nodes(option, rules, limit, depth + 1))
            parts.append(list(dict.fromkeys(choices))[:limit])
        elif node.slot:
            parts.append([f"{{{node.name}}}"])
        elif node.name in rules:
            parts.append(_expand_nodes(parse_template(rules[node.name]), rules, limit, depth + 1))
        else:
            raise DataFileError(f"template rule <{node.name}> is not defined under rules:")
    return ordered_product(parts, limit)


def expand_sentences(source: str, rules: dict[str, str] | None = None,
                     limit: int = MAX_PER_TEMPLATE) -> list[str]:
    """Whole sentences a template can produce, with its slots kept as ``{name}``."""
    sentences = (" ".join(s.split()) for s in _expand_nodes(parse_template(source), rules or {}, limit, 0))
    return [s for s in dict.fromkeys(sentences) if s]


def spoken_part(raw: dict) -> dict:
    """An intents file without its groups marked `speech: false`: what speech engines listen for."""
    return {**raw, "intents": [g for g in raw["intents"] if g.get("speech", True)]}


def expand_intents(raw: dict, slot_free_limit: int = MAX_PER_TEMPLATE,
                   limit: int = MAX_PER_TEMPLATE) -> list[tuple[str, str]]:
    """(intent, sentence) for every template of an intents file (``data/intents.yaml``),
    slots kept as ``{name}``; slot-free templates may be expanded further."""
    rules = raw.get("rules", {})
    return [(group["intent"], sentence) for group in raw["intents"] for template in group["sentences"]
            for sentence in expand_sentences(template, rules, limit if "{" in template else slot_free_limit)]


def expand_template(source: str, rules: dict[str, str] | None = None,
                    limit: int = MAX_PER_TEMPLATE) -> list[str]:
    """The phrases a template can produce; a ``{slot}`` splits a sentence into separate phrases."""
    phrases: list[str] = []
    for sentence in expand_sentences(source, rules, limit):
        phrases.extend(" ".join(piece.split()) for piece in _SLOT_MARK.split(sentence))
    return [p for p in dict.fromkeys(phrases) if p]


def _regex(nodes: list[Node], rules: dict[str, str], greedy: bool, depth: int = 0,
           first: int | None = None) -> str:
    """Regex text for parsed nodes: spaces between whole words, slots as named groups;
    ``first`` pins the first slot to that many words."""
    if depth > 10:
        raise DataFileError("template rules nest too deeply (a <rule> refers to itself?)")
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append("".join(_SPACE if ch == " " else re.escape(ch) for ch in node))
        elif isinstance(node, Alt):
            body = "|".join(_regex(option, rules, greedy, depth + 1, first) for option in node.options)
            out.append(f"(?:{body})" + ("?" if node.optional else ""))
        elif node.slot and first is not None and not any("(?P<" in part for part in out):
            out.append(f"(?P<{node.name}>\\S+(?:\\s+\\S+){{{first - 1}}})")
        elif node.slot:
            out.append(f"(?P<{node.name}>.+{'' if greedy else '?'})")
        elif node.name in rules:
            out.append(f"(?:{_regex(parse_template(rules[node.name]), rules, greedy, depth + 1)})")
        else:
            raise DataFileError(f"template rule <{node.name}> is not defined under rules:")
    return "".join(out)


HEAD = 2
"""Characters of the first word a template's possible openings are indexed by."""


def _ends(nodes: list[Node], rules: dict[str, str], last: bool = False,
          depth: int = 0) -> tuple[frozenset[str] | None, bool]:
    """The first (or with ``last`` the final) HEAD characters a sentence of ``nodes`` can
    open (end) with, None when a slot may come there; and whether ``nodes`` can be empty."""
    found: set[str] = set()
    for node in reversed(nodes) if last else nodes:
        if isinstance(node, str):
            text = node.strip()
            if not text:
                continue
            word = text.split(" ")[-1 if last else 0]
            if len(word) < HEAD:
                return None, False
            return frozenset(found | {word[-HEAD:] if last else word[:HEAD]}), False
        if isinstance(node, Ref) and node.slot or depth > 10:
            return None, False
        options = [parse_template(rules[node.name])] if isinstance(node, Ref) else node.options
        empty = isinstance(node, Alt) and node.optional
        for option in options:
            ends, can_be_empty = _ends(option, rules, last, depth + 1)
            if ends is None:
                return None, False
            found |= ends
            empty = empty or can_be_empty
        if not empty:
            return frozenset(found), False
    return frozenset(found), True


MAX_SPLIT_WORDS = 8
"""With two slots, how many words the first may take when the quick fills are rejected."""


@dataclass(frozen=True)
class Template:
    """One sentence template: slots filled shortest-first, and longest-first.

    The regular expressions are compiled on first use: a start needs only the few templates
    its first sentences can match, not all of them (compiling all took most of a start).
    """

    source: str
    pattern_texts: tuple[str, ...]
    split_texts: tuple[str, ...] = ()
    """With two slots: the first slot pinned to 1, 2, ... words (`maak van de eieren twee dozen`)."""
    heads: frozenset[str] | None = None
    """How its sentences can open (HEAD characters), None when a slot may come first."""
    tails: frozenset[str] | None = None
    """How its sentences can end (HEAD characters), None when a slot may come last."""

    @property
    def patterns(self) -> tuple[re.Pattern[str], ...]:
        return self._compiled("patterns", self.pattern_texts)

    @property
    def splits(self) -> tuple[re.Pattern[str], ...]:
        return self._compiled("splits", self.split_texts)

    def _compiled(self, name: str, texts: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
        """Compiled once and kept on the instance, with no lock (cached_property holds one per
        class in Python 3.11): a process forked while another thread compiles must not inherit
        a held lock. Two threads compiling the same template at once only do it twice."""
        found = self.__dict__.get(name)
        if found is None:
            found = tuple(re.compile(text) for text in texts)
            self.__dict__[name] = found
        return found

    def may_match(self, head: str, tail: str) -> bool:
        """A cheap test before the regular expressions: can a sentence open and end like this?"""
        return (self.heads is None or head in self.heads) and (self.tails is None or tail in self.tails)

    def matches(self, text: str, every_split: bool = False) -> list[dict[str, str]]:
        """Distinct ways the slots can be filled: two, or with ``every_split`` all of a two-slot template."""
        found: list[dict[str, str]] = []
        for pattern in self.splits if every_split else self.patterns:
            hit = pattern.fullmatch(text)
            if hit:
                slots = {k: v.strip() for k, v in hit.groupdict().items() if v is not None}
                if slots not in found:
                    found.append(slots)
        return found

    def match(self, text: str) -> dict[str, str] | None:
        found = self.matches(text)
        return found[0] if found else None


def compile_template(source: str, rules: dict[str, str]) -> Template:
    nodes = parse_template(source)
    patterns = tuple(rf"\s*{_regex(nodes, rules, greedy)}\s*" for greedy in (False, True))
    splits = tuple(rf"\s*{_regex(nodes, rules, False, first=n)}\s*"
                   for n in range(1, MAX_SPLIT_WORDS + 1)) if len(_SLOT_MARK.findall(source)) > 1 else ()
    heads, empty = _ends(nodes, rules)
    tails, _ = _ends(nodes, rules, last=True)
    return Template(source, patterns if "{" in source else patterns[:1], splits,
                    None if empty else heads, None if empty else tails)