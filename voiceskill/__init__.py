"""voiceskill: an offline Dutch voice shopping assistant.

Data flows one way: audio -> asr -> nlu -> dialogue -> cart -> reply -> tts | webhook.
`Assistant` is the plain Python API; the CLI and webhooks are thin layers over it.
"""

from .assistant import Assistant, TurnResult
from .catalog import Catalog, Product, load_catalog
from .errors import VoiceskillError

__all__ = ["Assistant", "Catalog", "Product", "TurnResult", "VoiceskillError", "load_catalog"]
__version__ = "0.1.0"
