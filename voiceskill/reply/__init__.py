"""Replies: Dutch text to show and to speak, ready for SSML (no IO)."""

from .render import Phrase, Reply, cart_phrase, item_phrase, join, money, render

__all__ = ["Phrase", "Reply", "cart_phrase", "item_phrase", "join", "money", "render"]
