"""The `voiceskill` command: thin click commands over the Python API (see base.py for the trunk)."""

from __future__ import annotations

from . import conversation, speech, store
from . import homeassistant  # noqa: F401  (registers `voiceskill wyoming`)
from . import desk  # noqa: F401  (registers `voiceskill desk`)
from . import insights  # noqa: F401
from .base import main
from .conversation import demo_folder

__all__ = ["conversation", "demo_folder", "main", "speech", "store"]
