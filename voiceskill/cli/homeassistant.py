"""Commands for Home Assistant: `voiceskill wyoming`, the Wyoming service for Assist pipelines."""

from __future__ import annotations

import os

import click

from .base import catalog_option, db_option, engine_option, main, model_option


@main.command()
@click.option("--uri", default="tcp://0.0.0.0:10700", show_default=True,
              help="Where Home Assistant reaches the service: tcp://HOST:PORT or unix:///path.")
@click.option("--owner", default="household", show_default=True,
              help="Whose cart the turns on --uri fill: one household cart.")
@click.option("--satellite", "satellites", multiple=True, metavar="OWNER=URI",
              help="Another address whose turns fill OWNER's cart; add it as its own Wyoming "
                   "integration and use it in that satellite's pipeline. Repeatable.")
@catalog_option
@db_option
@engine_option
@model_option
@click.option("--stt/--no-stt", default=True, show_default=True,
              help="Offer speech-to-text (loads the speech engine).")
@click.option("--tts/--no-tts", default=False, show_default=True,
              help="Also offer text-to-speech, in the Dutch espeak-ng voice of `--tts speak`.")
@click.option("--voice", default=None, help="espeak-ng voice for --tts (default: the Dutch one).")
@click.option("--off-topic", type=click.Choice(["not-handled", "answer"]), default="not-handled",
              show_default=True,
              help="What is no shopping: give it back to Home Assistant (not-handled), or answer it here.")
@click.option("--intro", type=click.Choice(["once", "every"]), default="once", show_default=True,
              help="Say that the assistant is a computer in an owner's first conversation only, or in every one.")
@click.option("--decoders", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Speech decodes at a time (Whisper uses 2 cores each).")
@click.option("--max-connections", type=click.IntRange(1, 10_000), default=64, show_default=True,
              help="Open connections at a time; more are answered with an error.")
@click.option("--idle-timeout", type=click.FloatRange(1, 3600), default=60.0, show_default=True,
              help="Seconds a connection may stay silent between events.")
def wyoming(uri: str, owner: str, satellites: tuple[str, ...], catalog: str | None, db: str | None, engine: str,
            model: str | None, stt: bool, tts: bool, voice: str | None, off_topic: str, intro: str, decoders: int,
            max_connections: int, idle_timeout: float) -> None:
    """Serve Home Assistant's Assist over the Wyoming protocol: Dutch speech-to-text restricted to
    the store, the shopping conversation as a conversation agent, and with --tts the Dutch voice.

    In Home Assistant: Settings > Devices & services > Add integration > Wyoming Protocol, host
    and port of this machine (10700); then pick voiceskill as speech-to-text and as
    conversation agent of a Dutch Assist pipeline.

    Example: voiceskill wyoming --uri tcp://0.0.0.0:10700 --engine auto

    One cart per satellite: voiceskill wyoming --satellite anna=tcp://0.0.0.0:10701
    """
    import logging

    from ..assistant import Assistant
    from ..errors import VoiceskillError

    try:
        from ..wyoming import Limits, Listener, WyomingOptions, WyomingService, serve
        from ..wyoming.server import check_uri
    except ImportError as exc:
        raise VoiceskillError(f"the Wyoming service needs the wyoming package ({exc.name} is missing); "
                              "run pip install -e '.[wyoming]'") from None

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    listeners = [Listener(check_uri(uri), owner), *(Listener.parse(text) for text in satellites)]
    bot = Assistant(catalog, db)
    recognizer = speaker = None
    if stt:
        from ..asr.engines import open_recognizer

        recognizer = open_recognizer(bot.catalog, engine, model)
    if tts:
        from ..tts import make_speaker

        speaker = make_speaker("none", echo=None, voice=voice)
    options = WyomingOptions(owner=owner, off_topic=off_topic, intro=intro, decoders=decoders,  # type: ignore[arg-type]
                             voice=voice)
    limits = Limits(idle_s=idle_timeout, max_connections=max_connections)
    serve(WyomingService(bot, recognizer, speaker, options), listeners, limits)
