"""Commands for shoppers and testers: chat, the demo, scenarios, replaying WAVs, the speaker loop."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

import click

from ..assistant import Assistant
from ..errors import VoiceskillError
from ..scenarios import Runner, ScenarioResult
from .base import (REPO_ROOT, _cart_line, _report, catalog_option, ces_option, db_option, engine_option, main,
                   model_option, tts_option, user_option)


def _ces(value: str | None) -> bool | None:
    return None if value is None else value == "on"


@main.command()
@user_option
@catalog_option
@db_option
@click.option("--show-cart", is_flag=True, help="Print the cart after every turn.")
@ces_option
def chat(user: str, catalog: str | None, db: str | None, show_cart: bool, ces: str | None) -> None:
    """Type Dutch shopping sentences; `/mandje` shows the cart, `/stop` or Ctrl-D ends.

    Example: voiceskill chat --user anna --show-cart
    """
    bot = Assistant(catalog, db, ces=_ces(ces))
    click.echo(f"sam> {bot.open(user=user).reply.text}")
    while True:
        try:
            text = input("jij> ")
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if text.strip() in ("/stop", "/quit"):
            return
        if text.strip() in ("/mandje", "/cart"):
            click.echo(f"     {_cart_line(bot.catalog, bot.cart(user))}")
            continue
        result = bot.turn(text, user=user)
        click.echo(f"sam> {result.reply.text}")
        if show_cart:
            click.echo(f"     [{result.intent}] {_cart_line(bot.catalog, result.cart)}")
        if result.ended:
            return


@main.command()
@catalog_option
@engine_option
@model_option
@click.option("--text", "text_only", is_flag=True, help="The typed demo, without speech.")
@click.option("--tts", default=None, help="Replies aloud: speak, wav:DIR or none (default: wav files in the data dir).")
def demo(catalog: str | None, engine: str, model: str | None, text_only: bool, tts: str | None) -> None:
    """Replay the built-in demo conversation, spoken (recorded audio in, speech out) or typed.

    The typed demo checks itself and fails when a turn goes wrong; the spoken one
    reports how many turns went as scripted.

    Example: voiceskill demo
    """
    spoken = REPO_ROOT / "audio_fixtures" / "demo.yaml"
    path = Path(str(resources.files("voiceskill.data").joinpath("demo.yaml"))) if text_only else spoken
    runner = Runner(catalog, engine, model)
    result = runner.run_file(path)
    assistant = runner.assistant(None)
    speaker = None
    if not text_only:
        from ..tts import make_speaker

        speaker = make_speaker(tts or f"wav:{demo_folder()}", echo=None)
    for turn in result.turns:
        heard = "" if turn.said == turn.transcript else f"  (audio: {Path(turn.said).name})"
        click.echo(f"jij> {turn.transcript}{heard}")
        if turn.result:
            click.echo(f"sam> {turn.result.reply.text}")
            click.echo(f"     [{turn.result.intent}] {_cart_line(assistant.catalog, turn.result.cart)}")
            written = speaker.speak(turn.result.reply) if speaker else None
            if written:
                click.echo(f"     (spoken reply: {written})")
    if text_only:
        _report([result], as_json=False)
    from ..asr.engines import pick_engine

    scripted = sum(not t.failures for t in result.turns)
    click.echo(f"{scripted} of {len(result.turns)} spoken turns went as scripted (synthetic voices are hard "
               f"for {pick_engine(engine, model)} recognition; see bench/asr.py)")


def demo_folder() -> Path:
    """A fresh folder for one demo run's reply WAVs, so runs side by side never overwrite each other."""
    import tempfile

    from ..paths import data_dir

    parent = data_dir() / "demo-replies"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="run-", dir=parent))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@catalog_option
@engine_option
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.option("--progress/--no-progress", default=None,
              help="A line per scenario on stderr as it finishes (default: when stderr is a terminal).")
def scenarios(paths: tuple[str, ...], catalog: str | None, engine: str, model: str | None, as_json: bool,
              progress: bool | None) -> None:
    """Replay scenario files (or folders of *.yaml) and check every expectation.

    Audio scenarios run speech recognition and take minutes; --progress shows how far it is.

    Example: voiceskill scenarios tests/scenarios ../shared/peers/ha-intents-nl/scenarios
    """
    show = sys.stderr.isatty() if progress is None else progress
    results = Runner(catalog, engine, model).run(paths, progress=_progress if show else None)
    _report(results, as_json)


def _progress(done: int, total: int, result: ScenarioResult) -> None:
    click.echo(f"[{done}/{total}] {'ok' if result.passed else 'FAILED':<6} {result.path}", err=True)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@user_option
@catalog_option
@db_option
@engine_option
@model_option
@tts_option
def replay(files: tuple[str, ...], user: str, catalog: str | None, db: str | None, engine: str,
           model: str | None, tts: str) -> None:
    """Run recorded WAV files through the whole pipeline, one turn each, in order.

    Example: voiceskill replay audio_fixtures/add_twee_pakken_halfvolle_melk.wav --engine whisper --db :memory:
    """
    from ..asr.base import transcribe
    from ..asr.engines import open_recognizer
    from ..audio import read_wav
    from ..tts import make_speaker

    bot = Assistant(catalog, db)
    speaker = make_speaker(tts, echo=None)
    recognizer = open_recognizer(bot.catalog, engine, model)
    failed = 0
    for path in files:
        try:
            context = bot.expected(user)
            transcript = transcribe(recognizer, read_wav(path), context=context)
        except VoiceskillError as exc:
            click.echo(f"Error: {exc}", err=True)
            failed += 1
            continue
        result = bot.hear(transcript, user=user, context=context)
        click.echo(f"{path}\n  heard:  {transcript.text!r} (confidence {transcript.confidence:.2f}, {recognizer.name})")
        click.echo(f"  intent: {result.intent}\n  reply:  {result.reply.text}")
        click.echo(f"  {_cart_line(bot.catalog, result.cart)}")
        speaker.speak(result.reply)
    sys.exit(2 if failed else 0)


@main.command()
@user_option
@catalog_option
@db_option
@engine_option
@model_option
@click.option("--tts", default="speak", show_default=True, help="Replies aloud: speak, wav:DIR or none.")
@click.option("--wake", default="hallo sam", show_default=True, help="Wake phrase; empty for none.")
@click.option("--push-to-talk", is_flag=True, help="Press Enter before each command instead of a wake phrase.")
@click.option("--device", default=None, help="Input device name or number (see `python -m sounddevice`).")
@click.option("--wav", "wavs", multiple=True, type=click.Path(dir_okay=False),
              help="Listen to these WAV files instead of a microphone (headless tests).")
@ces_option
def listen(user: str, catalog: str | None, db: str | None, engine: str, model: str | None, tts: str,
           wake: str, push_to_talk: bool, device: str | None, wavs: tuple[str, ...], ces: str | None) -> None:
    """The speaker loop: hear a command, answer aloud, listen again (Ctrl-C stops).

    Example: voiceskill listen --engine auto --tts speak --wake "hallo sam"
    """
    import logging

    from ..asr.engines import open_recognizer
    from ..listen import Listener, microphone_source, speaker_session, wav_source
    from ..tts import make_speaker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bot = Assistant(catalog, db, ces=_ces(ces))
    speaker = make_speaker(tts, echo=lambda text: click.echo(f"sam> {text}"))
    chosen = int(device) if device and device.isdigit() else device
    source = wav_source(wavs) if wavs else microphone_source(chosen)
    recognizer = open_recognizer(bot.catalog, engine, model)
    speaker.speak(bot.open(user=user, session=speaker_session(user)).reply)
    Listener(bot, recognizer, speaker, user=user, wake=wake or None, push_to_talk=push_to_talk,
             source=source).run()
