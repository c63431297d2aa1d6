"""Model download (fake openers, no network), model lookup order, and the catalog grammar cache."""

from __future__ import annotations

import io
import json
import urllib.error
import zipfile
from pathlib import Path
from typing import Any

import pytest

from voiceskill.asr import grammar, models
from voiceskill.asr.base import SpeechError
from voiceskill.asr.models import (
    ModelSpec,
    download,
    find_vosk_model,
    list_models,
    resolve_vosk_model,
)
from voiceskill.catalog import load_catalog

SPEC_CATALOG = Path(__file__).parent / "catalogs" / "spec.csv"
FOLDER = models.VOSK_NL.folder


def model_zip(files: dict[str, str] | None = None, folder: str = FOLDER) -> bytes:
    """A tiny zip shaped like a vosk model download."""
    files = files if files is not None else {"am/final.mdl": "acoustic", "conf/model.conf": "--beam=10"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(f"{folder}/{name}" if folder else name, text)
    return buffer.getvalue()


def spec_for(payload: bytes, size: int | None = None) -> ModelSpec:
    return ModelSpec("vosk-nl", FOLDER, "https://example.invalid/model.zip", len(payload) if size is None else size)


def serving(payload: bytes) -> Any:
    """An opener that serves ``payload`` like urlopen would."""
    def opener(url: str, timeout: float | None = None) -> io.BytesIO:
        assert url.startswith("https://") and timeout
        return io.BytesIO(payload)
    return opener


def failing(error: BaseException) -> Any:
    def opener(url: str, timeout: float | None = None) -> io.BytesIO:
        raise error
    return opener


@pytest.fixture()
def existing(tmp_path: Path) -> Path:
    """A model already installed in tmp_path, which failed downloads must leave alone."""
    folder = tmp_path / FOLDER
    (folder / "am").mkdir(parents=True)
    (folder / "am" / "final.mdl").write_text("old model")
    return folder


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != FOLDER)


def test_download_installs_the_model(tmp_path: Path) -> None:
    payload = model_zip()
    path = download(spec_for(payload), tmp_path, opener=serving(payload), progress=False)
    assert path == tmp_path / FOLDER
    assert (path / "am" / "final.mdl").read_text() == "acoustic"
    assert leftovers(tmp_path) == []


def test_download_replaces_an_old_model_once_complete(tmp_path: Path, existing: Path) -> None:
    payload = model_zip()
    download(spec_for(payload), tmp_path, opener=serving(payload), progress=False)
    assert (existing / "am" / "final.mdl").read_text() == "acoustic"
    assert leftovers(tmp_path) == []


def test_zip_without_top_folder_is_accepted(tmp_path: Path) -> None:
    payload = model_zip(folder="")
    path = download(spec_for(payload), tmp_path, opener=serving(payload), progress=False)
    assert (path / "conf" / "model.conf").is_file()


@pytest.mark.parametrize("size_delta", [-1, 1])
def test_size_mismatch_is_rejected_and_cleaned_up(tmp_path: Path, existing: Path, size_delta: int) -> None:
    payload = model_zip()
    with pytest.raises(SpeechError, match="expected"):
        download(spec_for(payload, len(payload) + size_delta), tmp_path, opener=serving(payload), progress=False)
    assert (existing / "am" / "final.mdl").read_text() == "old model"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("error", [urllib.error.URLError("no route to host"), urllib.error.URLError(TimeoutError("timed out")),
                                   TimeoutError(), ConnectionResetError("reset")])
def test_offline_says_how_to_install_by_hand(tmp_path: Path, existing: Path, error: BaseException,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with pytest.raises(SpeechError) as caught:
        download(spec_for(b"x"), tmp_path, opener=failing(error), progress=False)
    message = str(caught.value)
    for needed in ("by hand", "https://example.invalid/model.zip", str(models.models_dir()),
                   "--model", "VOICESKILL_VOSK_MODEL"):
        assert needed in message
    assert (existing / "am" / "final.mdl").read_text() == "old model"
    assert leftovers(tmp_path) == []


def test_archive_that_is_not_a_model_is_rejected(tmp_path: Path, existing: Path) -> None:
    for payload in (model_zip({"README": "hello"}), b"not a zip at all"):
        with pytest.raises(SpeechError, match="incomplete|not a usable zip"):
            download(spec_for(payload), tmp_path, opener=serving(payload), progress=False)
        assert (existing / "am" / "final.mdl").read_text() == "old model"
        assert leftovers(tmp_path) == []


def test_progress_bar_without_a_tty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    payload = model_zip()
    download(spec_for(payload), tmp_path, opener=serving(payload), progress=True)
    assert capsys.readouterr().out == ""


def test_unwritable_destination(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(SpeechError, match="cannot write to"):
        download(spec_for(b"x"), blocker / "models", opener=serving(b"x"), progress=False)


# Finding the model: explicit > $VOICESKILL_VOSK_MODEL > data dir

def test_resolve_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    default = tmp_path / "data" / "voiceskill" / "models" / FOLDER
    default.mkdir(parents=True)
    from_env, explicit = tmp_path / "env-model", tmp_path / "explicit-model"
    from_env.mkdir()
    explicit.mkdir()
    assert resolve_vosk_model() == default == models.models_dir() / FOLDER
    monkeypatch.setenv(models.ENV_VAR, str(from_env))
    assert resolve_vosk_model() == from_env
    assert resolve_vosk_model(explicit) == explicit == find_vosk_model(str(explicit))


def test_resolve_names_the_three_places_and_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    assert find_vosk_model() is None
    with pytest.raises(SpeechError) as caught:
        resolve_vosk_model()
    message = str(caught.value)
    for needed in ("--model", models.ENV_VAR, str(tmp_path / "voiceskill" / "models" / FOLDER),
                   "voiceskill model download vosk-nl", "by hand"):
        assert needed in message
    monkeypatch.setenv(models.ENV_VAR, str(tmp_path / "gone"))
    with pytest.raises(SpeechError, match="gone .from \\$VOICESKILL_VOSK_MODEL. does not exist"):
        resolve_vosk_model()
    assert find_vosk_model() is None


def test_list_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv(models.ENV_VAR, raising=False)
    whisper = tmp_path / "voiceskill" / "models" / "whisper-base"
    whisper.mkdir(parents=True)
    (whisper / "model.bin").write_bytes(b"1234")
    found = {entry["name"]: entry for entry in list_models()}
    assert found["vosk-nl"]["installed"] is False and found["vosk-nl"]["size"] == 0
    assert found["whisper-base"] == {"name": "whisper-base", "path": str(whisper), "installed": True, "size": 4}
    if "vosk-ko" in found:
        assert found["vosk-ko"]["installed"] and found["vosk-ko"]["size"] > 1_000_000


# The catalog grammar

@pytest.fixture(scope="module")
def phrases() -> list[str]:
    return grammar.build_phrases(load_catalog(SPEC_CATALOG))


def test_phrases_cover_products_numbers_units_and_commands(phrases: list[str]) -> None:
    for needed in ("halfvolle melk", "melk", "wc papier", "peper en zout", "kaas",
                   "drie", "twaalf", "eenentwintig", "tweeentwintig", "honderd", "tweede",
                   "pakken", "flesjes", "liter", "ongedaan maken", "[unk]"):
        assert needed in phrases
    assert len(phrases) == len(set(phrases)) < 20_000
    assert all(p == p.lower() and "{" not in p and "(" not in p for p in phrases)


def test_phrases_are_stable(phrases: list[str]) -> None:
    assert grammar.build_phrases(load_catalog(SPEC_CATALOG)) == phrases


def test_template_expansion() -> None:
    assert grammar.expand_template("(a|b) [c]") == ["a", "a c", "b", "b c"]
    assert grammar.expand_template("zet {items} op <lijst>", {"lijst": "[de] lijst"}) == ["zet", "op lijst", "op de lijst"]
    assert len(grammar.expand_template("(a|b|c) (d|e|f) (g|h|i)", limit=5)) == 5
    with pytest.raises(Exception, match="missing"):
        grammar.expand_template("(a|b")


def modified_catalog(tmp_path: Path) -> Path:
    changed = tmp_path / "changed.csv"
    changed.write_text(SPEC_CATALOG.read_text("utf-8") + "spruitjes,Spruitjes,,,groente,zak,500 g,1.99\n", "utf-8")
    return changed


def test_grammar_file_follows_the_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = tmp_path / "grammars"
    spec = load_catalog(SPEC_CATALOG)
    first = grammar.ensure_grammar(spec, folder)
    path = grammar.grammar_file(spec, folder)
    assert path.name.startswith("nl-") and path.is_file() and json.loads(path.read_text())["phrases"] == first
    assert grammar.grammar_file(load_catalog(SPEC_CATALOG), folder) == path
    changed = load_catalog(modified_catalog(tmp_path))
    assert grammar.grammar_file(changed, folder) != path
    assert "spruitjes" in grammar.ensure_grammar(changed, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted([path.name, grammar.grammar_file(changed, folder).name])


def test_ensure_grammar_reads_a_current_file_and_rebuilds_a_bad_one(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    spec = load_catalog(SPEC_CATALOG)
    path = grammar.grammar_file(spec, tmp_path)
    path.write_text(json.dumps({"version": grammar.GRAMMAR_VERSION, "phrases": ["cached"]}))
    assert grammar.ensure_grammar(spec, tmp_path) == ["cached"]
    path.write_text("{broken")
    assert "halfvolle melk" in grammar.ensure_grammar(spec, tmp_path)
    assert "halfvolle melk" in json.loads(path.read_text())["phrases"]


def test_unwritable_grammar_folder_falls_back_to_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    spec = load_catalog(SPEC_CATALOG)
    phrases = grammar.ensure_grammar(spec, blocker / "grammars")
    fallback = grammar.grammar_file(spec, tmp_path / "data" / "voiceskill" / "grammars")
    assert fallback.is_file() and json.loads(fallback.read_text())["phrases"] == phrases
    assert grammar.ensure_grammar(spec, blocker / "grammars") == phrases
