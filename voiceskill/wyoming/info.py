"""The `info` answer to `describe`: which programs this voiceskill offers Home Assistant.

Home Assistant's Wyoming integration makes one entity per program kind it finds installed: a
speech-to-text entity from `asr`, a conversation agent from `handle`, a text-to-speech entity
from `tts`, each named after its program and offered for the languages of its models (`nl`).
"""

from __future__ import annotations

from wyoming.info import (AsrModel, AsrProgram, Attribution, HandleModel, HandleProgram, Info, TtsProgram,
                          TtsVoice)

from .. import __version__
from .service import LANGUAGE, WyomingService

ATTRIBUTION = Attribution(name="voiceskill", url="")
ENGINES = {
    "whisper": "Whisper base (faster-whisper, int8) primed with the catalog, readings rescored "
               "against the store's sentences",
    "vosk": "vosk small Dutch model, decoding restricted to the store's grammar",
}


def program_name(owner: str, default_owner: str) -> str:
    """`voiceskill`, or `voiceskill (anna)` on a satellite's own listener, so Home Assistant's
    entities and pipelines say whose cart they fill."""
    return "voiceskill" if owner == default_owner else f"voiceskill ({owner})"


def describe(service: WyomingService, owner: str) -> Info:
    """What a listener whose turns fill ``owner``'s cart offers."""
    name = program_name(owner, service.options.owner)
    info = Info(handle=[HandleProgram(
        name=name, attribution=ATTRIBUTION, installed=True, version=__version__,
        description=f"De boodschappenhulp: Dutch shopping conversation, {owner}'s cart "
                    f"({len(service.assistant.catalog)} products)",
        models=[HandleModel(name="voiceskill-nl", attribution=ATTRIBUTION, installed=True, version=__version__,
                            description="Dutch shopping sentences: add, remove, quantities, questions, checkout",
                            languages=[LANGUAGE])],
        supports_handled_streaming=False, supports_home_control=False)])
    if service.recognizer is not None:
        engine = getattr(service.recognizer, "name", "speech")
        info.asr.append(AsrProgram(
            name=name, attribution=ATTRIBUTION, installed=True, version=__version__,
            description="Dutch speech-to-text restricted to the store's products and sentences",
            models=[AsrModel(name=f"{engine}-nl", attribution=ATTRIBUTION, installed=True, version=None,
                             description=ENGINES.get(engine, engine), languages=[LANGUAGE])],
            supports_transcript_streaming=False))
    if service.speaker is not None:
        voice = service.options.voice or "nl"
        info.tts.append(TtsProgram(
            name=name, attribution=ATTRIBUTION, installed=True, version=__version__,
            description="The Dutch espeak-ng voice of `voiceskill listen --tts speak`",
            voices=[TtsVoice(name=voice, attribution=ATTRIBUTION, installed=True, version=None,
                             description=f"espeak-ng {voice}", languages=[LANGUAGE])],
            supports_synthesize_streaming=False))
    return info
