"""The `voiceskill` command: thin click commands over the Python API."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import click

from .assistant import Assistant
from .cart import CartStore
from .catalog import load_catalog
from .errors import VoiceskillError
from .reply import cart_phrase
from .scenarios import Runner, ScenarioResult

REPO_ROOT = Path(__file__).resolve().parent.parent
catalog_option = click.option("--catalog", type=click.Path(dir_okay=False), default=None,
                              help="Catalog CSV (default: $VOICESKILL_CATALOG or the built-in one).")
db_option = click.option("--db", type=click.Path(dir_okay=False), default=None,
                         help="Cart database (default: $VOICESKILL_DB or ~/.local/share/voiceskill/voiceskill.db).")
user_option = click.option("--user", default="default", show_default=True, help="Whose cart.")
engine_option = click.option("--engine", type=click.Choice(["auto", "vosk", "whisper"]), default="auto",
                             show_default=True, help="Speech engine; auto prefers an installed Dutch vosk model.")
model_option = click.option("--model", type=click.Path(), default=None,
                            help="Speech model folder (default: $VOICESKILL_VOSK_MODEL or the data dir).")
tts_option = click.option("--tts", default="none", show_default=True,
                          help="Replies aloud: speak, wav:DIR (one WAV per reply) or none.")


class CleanErrors(click.Group):
    """Turns VoiceskillError into a one-line message and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except VoiceskillError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=CleanErrors)
@click.version_option(package_name="voiceskill")
def main() -> None:
    """voiceskill: an offline Dutch voice shopping assistant.

    Example: voiceskill chat --user anna
    """


def _cart_line(catalog, items: dict[str, int]) -> str:  # type: ignore[no-untyped-def]
    return f"mandje: {cart_phrase(catalog, items).text or 'leeg'}"


@main.command()
@user_option
@catalog_option
@db_option
@click.option("--show-cart", is_flag=True, help="Print the cart after every turn.")
def chat(user: str, catalog: str | None, db: str | None, show_cart: bool) -> None:
    """Type Dutch shopping sentences; `/mandje` shows the cart, `/stop` or Ctrl-D ends.

    Example: voiceskill chat --user anna --show-cart
    """
    bot = Assistant(catalog, db)
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
        from .tts import make_speaker

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
    from .asr.engines import pick_engine

    scripted = sum(not t.failures for t in result.turns)
    click.echo(f"{scripted} of {len(result.turns)} spoken turns went as scripted (synthetic voices are hard "
               f"for {pick_engine(engine, model)} recognition; see bench/asr.py)")


def demo_folder() -> Path:
    """A fresh folder for one demo run's reply WAVs, so runs side by side never overwrite each other."""
    import tempfile

    from .paths import data_dir

    parent = data_dir() / "demo-replies"
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="run-", dir=parent))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@catalog_option
@engine_option
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
def scenarios(paths: tuple[str, ...], catalog: str | None, engine: str, model: str | None, as_json: bool) -> None:
    """Replay scenario files (or folders of *.yaml) and check every expectation.

    Example: voiceskill scenarios tests/scenarios ../shared/peers/ha-intents-nl/scenarios
    """
    results = Runner(catalog, engine, model).run(paths)
    _report(results, as_json)


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

    Example: voiceskill replay audio_fixtures/add_twee_bananen.wav --engine whisper --db :memory:
    """
    from .asr.base import transcribe
    from .asr.engines import open_recognizer
    from .audio import read_wav
    from .tts import make_speaker

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
def listen(user: str, catalog: str | None, db: str | None, engine: str, model: str | None, tts: str,
           wake: str, push_to_talk: bool, device: str | None, wavs: tuple[str, ...]) -> None:
    """The speaker loop: hear a command, answer aloud, listen again (Ctrl-C stops).

    Example: voiceskill listen --engine auto --tts speak --wake "hallo sam"
    """
    import logging

    from .asr.engines import open_recognizer
    from .listen import Listener, microphone_source, wav_source
    from .tts import make_speaker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    bot = Assistant(catalog, db)
    speaker = make_speaker(tts, echo=lambda text: click.echo(f"sam> {text}"))
    chosen = int(device) if device and device.isdigit() else device
    source = wav_source(wavs) if wavs else microphone_source(chosen)
    recognizer = open_recognizer(bot.catalog, engine, model)
    speaker.speak(bot.open(user=user).reply)
    Listener(bot, recognizer, speaker, user=user, wake=wake or None, push_to_talk=push_to_talk,
             source=source).run()


def _report(results: list[ScenarioResult], as_json: bool) -> None:
    passed = sum(r.passed for r in results)
    failed = len(results) - passed
    if as_json:
        click.echo(json.dumps({"passed": passed, "failed": failed,
                               "scenarios": [r.to_dict() for r in results]}, ensure_ascii=False, indent=2))
    else:
        for result in results:
            for line in result.failure_lines():
                click.echo(line)
        click.echo(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


@main.group()
def cart() -> None:
    """Look at or empty a shopper's cart.

    Example: voiceskill cart show --user anna
    """


@cart.command("show")
@user_option
@catalog_option
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print the cart as JSON.")
def cart_show(user: str, catalog: str | None, db: str | None, as_json: bool) -> None:
    """Print a cart with quantities and prices.

    Example: voiceskill cart show --user anna
    """
    items = CartStore(db).cart(user)
    products = load_catalog(catalog)
    if as_json:
        click.echo(json.dumps(items))
        return
    if not items:
        click.echo(f"The cart of {user} is empty.")
    for pid, qty in items.items():
        product = products.products.get(pid)
        price = f"€ {product.price * qty:.2f}".replace(".", ",") if product and product.price else ""
        click.echo(f"{qty:>4} × {product.name if product else pid:<40} {price}")


@cart.command("clear")
@user_option
@db_option
def cart_clear(user: str, db: str | None) -> None:
    """Empty a cart (one change; `ongedaan maken` in a chat brings it back).

    Example: voiceskill cart clear --user anna
    """
    store = CartStore(db)
    with store.transaction():
        count = store.clear(user)
    click.echo(f"Removed {count} product(s) from the cart of {user}.")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256), help="Worker threads.")
@catalog_option
@db_option
@click.option("--auth", default=None, help="Basic auth USER:PASSWORD for Dialogflow/Actions ($VOICESKILL_WEBHOOK_AUTH).")
@click.option("--secret-header", default=None, help="NAME=VALUE shared-secret header ($VOICESKILL_WEBHOOK_SECRET).")
@click.option("--alexa-skill-id", multiple=True, help="Accepted Alexa skill id ($VOICESKILL_ALEXA_SKILL_IDS).")
@click.option("--no-alexa-verify", is_flag=True, help="Skip Alexa signature checks (local testing only).")
@click.option("--cart-per", type=click.Choice(["user", "session"]), default="user", show_default=True,
              help="A cart per platform user id, or per session.")
def serve(host: str, port: int, threads: int, catalog: str | None, db: str | None, auth: str | None,
          secret_header: str | None, alexa_skill_id: tuple[str, ...], no_alexa_verify: bool, cart_per: str) -> None:
    """Serve the smart-speaker webhooks (Dialogflow ES/CX, Actions, Alexa) with waitress.

    Example: voiceskill serve --port 8080 --secret-header X-Voiceskill-Secret=s3cret --alexa-skill-id amzn1.ask.skill.1
    """
    import logging

    from .webhook import WebhookConfig, create_app
    from .webhook.config import parse_pair
    from .webhook.server import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = WebhookConfig.from_env(
        catalog=catalog, db=db, basic_auth=parse_pair(auth, ":", "--auth"),
        secret_header=parse_pair(secret_header, "=", "--secret-header"),
        alexa_skill_ids=frozenset(alexa_skill_id) or None, alexa_verify=False if no_alexa_verify else None,
        cart_per=cart_per)
    run_server(create_app(config), host, port, threads)


@main.group()
def grammar() -> None:
    """The vosk grammar: everything a shopper can say with this catalog.

    Example: voiceskill grammar build --catalog my-store.csv
    """


@grammar.command("build")
@catalog_option
def grammar_build(catalog: str | None) -> None:
    """Write the grammar for a catalog to grammars/ (also done automatically when it changes).

    Example: voiceskill grammar build
    """
    from .asr.grammar import ensure_grammar, grammar_file

    products = load_catalog(catalog)
    phrases = ensure_grammar(products)
    click.echo(f"{grammar_file(products)}: {len(phrases)} phrases")


@main.group()
def model() -> None:
    """Speech models: download and list.

    Example: voiceskill model download vosk-nl
    """


@model.command("download")
@click.argument("name", type=click.Choice(["vosk-nl"]))
@click.option("--dir", "folder", type=click.Path(file_okay=False), default=None,
              help="Where to put it (default: ~/.local/share/voiceskill/models).")
def model_download(name: str, folder: str | None) -> None:
    """Download a speech model, check its size, and unpack it atomically.

    Example: voiceskill model download vosk-nl
    """
    from .asr.models import VOSK_NL, download

    path = download(VOSK_NL, Path(folder) if folder else None)
    click.echo(f"installed {name} in {path}")


@model.command("list")
def model_list() -> None:
    """Show which speech models are installed, and where.

    Example: voiceskill model list
    """
    from .asr.models import list_models

    for info in list_models():
        state = "installed" if info["installed"] else "not installed"
        click.echo(f"{info['name']:<14} {state:<14} {info['path']}")


@main.command("catalog")
@click.argument("path", type=click.Path(dir_okay=False), required=False)
def catalog_check(path: str | None) -> None:
    """Check a catalog CSV and summarise it; errors name the line.

    Example: voiceskill catalog my-store.csv
    """
    products = load_catalog(path)
    categories = sorted({p.category for p in products if p.category})
    click.echo(f"{products.source}: {len(products)} products, {len(products.families)} families, "
               f"{len(categories)} categories")


if __name__ == "__main__":
    main()
