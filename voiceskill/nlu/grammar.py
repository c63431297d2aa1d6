"""Sentence templates in hassil's syntax, compiled to regular expressions.

`(a|b)` is a choice, `[a|b]` an optional choice, `<rule>` an expansion rule
and `{slot}` a free-text slot. Words are matched whole; a space inside an
optional (`boodschappen[ ]lijst`) lets a compound be said as one or two words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import DataFileError

_SPACE = r"\b\s*\b"


@dataclass(frozen=True)
class Template:
    """One compiled sentence template: slots filled shortest-first, and longest-first."""

    source: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> list[dict[str, str]]:
        """Every distinct way the slots can be filled (at most two)."""
        found: list[dict[str, str]] = []
        for pattern in self.patterns:
            hit = pattern.fullmatch(text)
            if hit:
                slots = {k: v.strip() for k, v in hit.groupdict().items() if v is not None}
                if slots not in found:
                    found.append(slots)
        return found

    def match(self, text: str) -> dict[str, str] | None:
        found = self.matches(text)
        return found[0] if found else None


class _Compiler:
    def __init__(self, source: str, rules: dict[str, str], greedy: bool = False) -> None:
        self.source = source
        self.rules = rules
        self.greedy = greedy
        self.pos = 0

    def fail(self, problem: str) -> DataFileError:
        return DataFileError(f"template {self.source!r}: {problem} at position {self.pos}")

    def sequence(self, closers: str) -> str:
        out: list[str] = []
        text = self.source
        while self.pos < len(text) and text[self.pos] not in closers:
            ch = text[self.pos]
            self.pos += 1
            if ch in "([":
                body = self.alternatives(")" if ch == "(" else "]")
                out.append(f"(?:{body})" + ("?" if ch == "[" else ""))
            elif ch == "<":
                end = text.index(">", self.pos)
                name = text[self.pos:end]
                self.pos = end + 1
                if name not in self.rules:
                    raise self.fail(f"unknown rule <{name}>")
                out.append(f"(?:{compile_regex(self.rules[name], self.rules)})")
            elif ch == "{":
                end = text.index("}", self.pos)
                out.append(f"(?P<{text[self.pos:end]}>.+{'' if self.greedy else '?'})")
                self.pos = end + 1
            elif ch == " ":
                out.append(_SPACE)
            else:
                out.append(re.escape(ch))
        return "".join(out)

    def alternatives(self, closer: str) -> str:
        options = [self.sequence("|" + closer)]
        while self.pos < len(self.source) and self.source[self.pos] == "|":
            self.pos += 1
            options.append(self.sequence("|" + closer))
        if self.pos >= len(self.source) or self.source[self.pos] != closer:
            raise self.fail(f"missing {closer!r}")
        self.pos += 1
        return "|".join(options)


def compile_regex(source: str, rules: dict[str, str], greedy: bool = False) -> str:
    """Regex text for one template (rules expanded)."""
    compiler = _Compiler(source.strip(), rules, greedy)
    body = compiler.sequence("")
    if compiler.pos != len(compiler.source):
        raise compiler.fail("unbalanced brackets")
    return body


def compile_template(source: str, rules: dict[str, str]) -> Template:
    patterns = tuple(re.compile(rf"\s*{compile_regex(source, rules, greedy)}\s*") for greedy in (False, True))
    return Template(source, patterns if "{" in source else patterns[:1])
