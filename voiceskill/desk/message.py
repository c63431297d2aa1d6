"""What the shopper hears after a colleague closed their case (no IO): the changes and the note.

    Een collega heeft je mandje aangepast: twee pakken halfvolle melk erbij en bananen eruit.
    De collega zegt: de volle melk was op.

The cart as it is then follows when it is delivered (voiceskill/assistant.py, `_news`).
"""

from __future__ import annotations

from ..catalog import Catalog
from ..dialogue.whole_cart import _inline
from ..reply import Phrase, item_phrase, join, render
from ..reply.render import name_phrase

NOTE_LIMIT = 500


def change_phrases(catalog: Catalog, changes: dict[str, list[int]]) -> list[Phrase]:
    """Each product the colleague changed, net: `twee bananen erbij`, `komkommer eruit`, `nu vier appels`."""
    parts: list[Phrase] = []
    for pid, (before, after) in changes.items():
        if before == after or pid not in catalog:
            continue
        product = catalog[pid]
        if after == 0:
            parts.append(_inline(render("desk_removed", product=name_phrase(product))))
        elif after > before:
            parts.append(_inline(render("desk_added", items=item_phrase(product, after - before))))
        else:
            parts.append(_inline(render("desk_set", items=item_phrase(product, after))))
    return parts


def shopper_message(catalog: Catalog, changes: dict[str, list[int]], note: str) -> str:
    parts = change_phrases(catalog, changes)
    text = render("desk_changed", changes=join(parts)).text if parts else render("desk_looked").text
    note = " ".join(note.split())[:NOTE_LIMIT]
    if note:
        note = note if note[-1] in ".!?" else note + "."
        text += " " + render("desk_note", message=note).text
    return text
