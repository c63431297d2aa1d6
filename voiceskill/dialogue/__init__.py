"""The conversation: slot filling, questions, repair and undo (no IO)."""

from .engine import CartOp, CartView, Decision, Dialogue
from .state import DialogueState

__all__ = ["CartOp", "CartView", "Decision", "Dialogue", "DialogueState"]
