"""The Customer Effort Score question after a placed order (issue 12), optional per store.

Asked once per conversation, right after `Je bestelling is geplaatst`: a score of one (very little
effort) to five (very much) is stored (`CartOp("ces")`); anything else, or silence, is let go: the
question is never pushed a second time, and a new command is carried out as usual. The question's
reply does not count as waiting (`asks` false), so a platform's reprompt never repeats it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..nlu.matcher import ACCEPT
from ..nlu.numbers import word_value
from ..nlu.understand import Understanding
from ..reply import render
from .state import Pending

if TYPE_CHECKING:
    from .turn import Turn

LOWEST, HIGHEST = 1, 5
ENDS = {("heel", "weinig"): 1, ("weinig",): 1, ("heel", "veel"): 5, ("veel",): 5}
"""The scale's ends said in words, as the question names them."""
LET_GO = frozenset({"fallback", "yes", "no", "cancel", "help", "set_quantity", "add_item", "greet"})
"""Intents that, in answer to the question and without a score, are no new request: let go quietly."""


def ces_question(turn: "Turn") -> Pending:
    turn.state.ces_asked = True
    return Pending("ces", render("ces_ask").to_dict())


def ces_score(u: Understanding) -> int | None:
    """The score an answer gives (`vier`, `een twee`, `3`, `heel weinig`), or None."""
    if any(i.match and i.match.resolved and i.match.confidence >= ACCEPT for i in u.items):
        return None
    values = [(w, word_value(w)) for w in u.words]
    numbers = [v for w, v in values if v is not None]
    if len(numbers) > 1:
        numbers = [v for w, v in values if v is not None and w != "een"]
    if len(set(numbers)) == 1:
        value = numbers[0]
        return int(value) if value == int(value) and LOWEST <= value <= HIGHEST else None
    if numbers:
        return None
    words = tuple(u.words)
    for phrase, score in ENDS.items():
        if any(words[i:i + len(phrase)] == phrase for i in range(len(words))):
            return score
    return None


def answer_ces(turn: "Turn") -> bool:
    """A score is stored and thanked for; no score lets the question go; a new request (anything the
    assistant understands as one) is handled as usual (False)."""
    from .engine import CartOp

    score = ces_score(turn.u)
    if score is not None:
        turn.intent = "ces"
        turn.outcome = "answered"
        turn.ops.append(CartOp("ces", quantity=score))
        turn.say("ces_thanks")
        return True
    if not turn.u.words or turn.u.intent in LET_GO and not turn.u.matched_items:
        turn.intent = "ces"
        turn.outcome = "answered"
        turn.say("ces_skipped")
        return True
    return False
