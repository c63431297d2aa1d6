"""Commands for speech: the vosk grammar and the speech models."""

from __future__ import annotations

from pathlib import Path

import click

from ..catalog import load_catalog
from .base import catalog_option, main


@main.group()
def grammar() -> None:
    """The vosk grammar: everything a shopper can say with this catalog.

    Example: voiceskill grammar build --catalog catalog/examples/my-store.csv
    """


@grammar.command("build")
@catalog_option
def grammar_build(catalog: str | None) -> None:
    """Write the grammar for a catalog to grammars/ (also done automatically when it changes).

    Example: voiceskill grammar build
    """
    from ..asr.grammar import ensure_grammar, grammar_file

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
    from ..asr.models import VOSK_NL, download

    path = download(VOSK_NL, Path(folder) if folder else None)
    click.echo(f"installed {name} in {path}")


@model.command("list")
def model_list() -> None:
    """Show which speech models are installed, and where.

    Example: voiceskill model list
    """
    from ..asr.models import list_models

    for info in list_models():
        state = "installed" if info["installed"] else "not installed"
        click.echo(f"{info['name']:<14} {state:<14} {info['path']}")
