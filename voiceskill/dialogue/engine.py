"""The dialogue engine: one utterance's understanding, in context, to cart changes and a reply (no IO)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..catalog import Catalog
from ..nlu.matcher import ProductMatcher
from ..nlu.understand import Understanding
from ..reply import Reply, render
from .state import DialogueState


@dataclass(frozen=True)
class CartView:
    """The cart as the dialogue sees it at the start of a turn."""

    items: dict[str, int] = field(default_factory=dict)
    """Product id -> quantity in sale units."""
    undo: tuple[tuple[str, int, int], ...] = ()
    """The last change that undo would revert: (product id, before, after) each."""
    last_order: dict[str, int] = field(default_factory=dict)
    """The shopper's most recent order, for `reorder`, and what they bought before."""


@dataclass(frozen=True)
class CartOp:
    """A change for the cart store: set a quantity, undo the last change, or check out; or something
    else the turn stores: an effort score, a handover case."""

    kind: str
    """`set`, `undo`, `checkout`, `forget` (delete all the shopper's data), `ces` (an effort score,
    in ``quantity``) or `open_case` (a handover case for the desk; ``note``: why)."""
    product_id: str = ""
    quantity: int = 0
    note: str = ""


@dataclass
class Decision:
    """The outcome of one turn."""

    intent: str
    reply: Reply
    ops: list[CartOp]
    state: DialogueState
    outcome: str
    """`changed`, `asked`, `answered`, `fallback`, `handover`, `order` or `ended`."""
    cart: dict[str, int]
    """The cart as it will be after ``ops``."""

    @property
    def ended(self) -> bool:
        return self.state.ended


class Dialogue:
    """Implements the rules of spec/conversation.md for one catalog."""

    def __init__(self, catalog: Catalog, matcher: ProductMatcher | None = None, ces: bool = False) -> None:
        self.catalog = catalog
        self.matcher = matcher or ProductMatcher.shared(catalog)
        self.ces = ces
        """Ask the Customer Effort Score question once after a placed order (a store's choice)."""

    def greeting(self) -> Reply:
        """What the assistant says when a conversation opens."""
        return render("greet")

    def decide(self, state: DialogueState, understanding: Understanding, cart: CartView) -> Decision:
        """Decide one turn; ``state`` is not modified, the new one is in the decision."""
        from .turn import Turn

        fresh = DialogueState() if state.ended else DialogueState.from_dict(state.to_dict())
        return Turn(self, fresh, understanding, cart).run()
