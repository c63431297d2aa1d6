"""voiceskill as a Wyoming service for Home Assistant's Assist: store-restricted Dutch
speech-to-text, the shopping conversation as a conversation agent, and optionally the Dutch voice.

    service.py  the plain Python API (WyomingService): keys, context, turns, not-handled, speech
    pcm.py      audio chunks of any rate/width/channels to 16 kHz mono, with the limits
    info.py     the `info` answer to `describe`
    handler.py  one connection: events in, answers out (wyoming's AsyncEventHandler)
    server.py   the listeners (wyoming's AsyncServer), one process, graceful stop

    >>> from voiceskill import Assistant
    >>> from voiceskill.wyoming import WyomingService
    >>> service = WyomingService(Assistant(db=":memory:"))
    >>> service.handle("twee pakken halfvolle melk", owner="household", conversation_id="c1").handled
    True
"""

from __future__ import annotations

from .handler import Limits
from .server import Listener, WyomingServer, serve
from .service import Handling, WyomingOptions, WyomingService, about_shopping

__all__ = ["Handling", "Limits", "Listener", "WyomingOptions", "WyomingServer", "WyomingService", "about_shopping",
           "serve"]
