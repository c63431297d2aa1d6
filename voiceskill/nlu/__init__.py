"""Understanding Dutch shopping utterances (no IO)."""

from .items import ItemRequest, Quantity
from .matcher import ProductMatch, ProductMatcher
from .understand import Understander, Understanding

__all__ = ["ItemRequest", "ProductMatch", "ProductMatcher", "Quantity", "Understander", "Understanding"]
