"""`voiceskill wyoming` for real: the `wyoming` library's client against a server process on loopback.

One server (Whisper, text-to-speech, three listeners: the household's cart, Bob's and Anna's) serves
the protocol tests; each test uses its own listener or conversation ids, so they do not meet in a
cart. One Whisper decode in all; nothing here asserts on wall time.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from wyoming.asr import Transcribe, Transcript
from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.error import Error
from wyoming.event import Event, async_read_event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, Info
from wyoming.ping import Ping
from wyoming.tts import Synthesize

from voiceskill.audio import read_wav
from voiceskill.cart import CartStore
from voiceskill.wyoming.pcm import AudioProblem, PcmFormat, Utterance, pcm_to_float
from voiceskill.wyoming.server import Listener, check_uri
from voiceskill.wyoming.service import not_shopping

ROOT = Path(__file__).resolve().parent.parent
CATALOG = str(ROOT / "tests" / "catalogs" / "spec.csv")
FIXTURE = ROOT / "audio_fixtures" / "add_twee_pakken_halfvolle_melk.wav"
ANSWERS = {"info", "transcript", "handled", "not-handled", "error", "audio-stop", "pong"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    household: int
    bob: int
    anna: int
    db: Path
    process: subprocess.Popen

    def cart(self, owner: str) -> dict[str, int]:
        store = CartStore(self.db)
        try:
            return store.cart(f"wyoming:user:{owner}")
        finally:
            store.close()


def _accepting(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    db = tmp_path_factory.mktemp("wyoming") / "carts.db"
    household, bob, anna = free_port(), free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "voiceskill.cli", "wyoming", "--uri", f"tcp://127.0.0.1:{household}",
         "--satellite", f"bob=tcp://127.0.0.1:{bob}", "--satellite", f"anna=tcp://127.0.0.1:{anna}",
         "--catalog", CATALOG, "--db", str(db), "--engine", "whisper", "--tts", "--idle-timeout", "30"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 240
        while not all(_accepting(port) for port in (household, bob, anna)):
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the Wyoming server did not start"
            time.sleep(0.2)
        yield Server(household, bob, anna, db, process)
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Traceback" not in output and "stopped" in output, output


async def _talk(port: int, *events: Event, answers: int = 1) -> list[Event | None]:
    """Send ``events`` on one connection; read until ``answers`` answers came or it closed (None)."""
    async with AsyncTcpClient("127.0.0.1", port, connect_timeout=10, read_timeout=120) as client:
        for event in events:
            await client.write_event(event)
        got: list[Event | None] = []
        while sum(e is None or e.type in ANSWERS for e in got) < answers:
            event = await client.read_event()
            got.append(event)
            if event is None:
                break
        return got


def talk(port: int, *events: Event, answers: int = 1) -> list[Event | None]:
    return asyncio.run(_talk(port, *events, answers=answers))


def say(port: int, text: str, conversation: str) -> Event:
    """One text turn, as Home Assistant's conversation agent sends it."""
    (answer,) = talk(port, Transcript(text, context={"conversation_id": conversation}).event())
    assert answer is not None and answer.type in ("handled", "not-handled"), answer
    assert answer.data.get("context") == {"conversation_id": conversation}
    return answer


def pcm_bytes(samples: np.ndarray, width: int) -> bytes:
    """float samples (-1..1, frames x channels) to little-endian signed PCM of ``width`` bytes."""
    scaled = np.clip(samples, -1.0, 1.0 - 1e-9) * float(2 ** (8 * width - 1))
    ints = scaled.astype("<i4").reshape(-1)
    if width == 3:
        return ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    return ints.astype({1: "i1", 2: "<i2", 4: "<i4"}[width]).tobytes()


# -- the protocol, for real -----------------------------------------------------


def test_describe_advertises_dutch_speech_conversation_and_voice(server: Server) -> None:
    (event,) = talk(server.household, Describe().event())
    assert event is not None and Info.is_type(event.type)
    info = Info.from_event(event)
    assert [p.name for p in info.asr] == [p.name for p in info.handle] == [p.name for p in info.tts] == ["voiceskill"]
    assert info.asr[0].installed and info.asr[0].models[0].languages == ["nl"]
    assert info.handle[0].installed and info.handle[0].models[0].languages == ["nl"]
    assert info.tts[0].voices[0].languages == ["nl"]
    (event,) = talk(server.anna, Describe().event())
    assert Info.from_event(event).handle[0].name == "voiceskill (anna)"  # type: ignore[union-attr]


def test_speech_at_any_format_is_resampled_transcribed_and_then_handled(server: Server) -> None:
    """The fixture at 48 kHz, 24-bit stereo, in chunks that split frames: Whisper hears it as said,
    and the turn that follows with those words is a spoken turn in the store's context."""
    import soxr

    mono = read_wav(FIXTURE).astype(np.float32) / 32768.0
    stereo = np.repeat(soxr.resample(mono, 16_000, 48_000)[:, None], 2, axis=1) * 0.9
    raw = pcm_bytes(stereo, 3)
    chunks = [AudioChunk(rate=48_000, width=3, channels=2, audio=raw[i:i + 4000]).event()
              for i in range(0, len(raw), 4000)]
    conversation = {"conversation_id": "spoken-1"}
    got = talk(server.household, Transcribe(language="nl", context=conversation).event(),
               AudioStart(rate=48_000, width=3, channels=2).event(), *chunks, AudioStop().event())
    transcript = Transcript.from_event(got[-1])  # type: ignore[arg-type]
    assert transcript.text == "twee pakken halfvolle melk"
    assert transcript.language == "nl" and transcript.context == conversation
    before = server.cart("household").get("halfvolle-melk", 0)
    answer = say(server.household, transcript.text, "spoken-1")
    assert Handled.is_type(answer.type) and "twee pakken halfvolle melk" in answer.data["text"]
    assert server.cart("household")["halfvolle-melk"] == before + 2


def test_a_question_is_answered_in_the_same_conversation_and_a_new_one_starts_afresh(server: Server) -> None:
    port = server.bob
    asked = say(port, "melk", "bob-1")
    assert Handled.is_type(asked.type) and "Wat voor melk wil je" in asked.data["text"]
    assert "Ik ben een computer" in asked.data["text"]  # Bob's first conversation: the introduction
    assert "volle melk toegevoegd" in say(port, "volle", "bob-1").data["text"]
    added = say(port, "twee bananen", "bob-2").data["text"]
    assert "twee bananen toegevoegd" in added and "computer" not in added  # once per owner
    assert "Wat voor melk" in say(port, "melk", "bob-3").data["text"]
    assert "Bedoel je volle melk?" in say(port, "volle", "bob-4").data["text"]  # bob-3's question is not bob-4's
    assert "magere melk toegevoegd" in say(port, "magere", "bob-3").data["text"]  # still pending in bob-3
    read = say(port, "wat zit er in mijn mandje", "bob-5").data["text"]
    assert "volle melk" in read and "twee bananen" in read and "magere melk" in read
    assert server.cart("bob") == {"volle-melk": 1, "bananen": 2, "magere-melk": 1}


def test_chatter_is_not_handled_and_leaves_the_conversation_as_it_was(server: Server) -> None:
    port, conversation = server.household, "chatter-1"
    for chatter in ("vertel een mop", "doe het licht aan"):
        answer = say(port, chatter, conversation)
        assert NotHandled.is_type(answer.type) and answer.data["text"] == not_shopping()
    assert "Wat voor melk" in say(port, "melk", conversation).data["text"]
    assert NotHandled.is_type(say(port, "doe het licht aan", conversation).type)
    before = server.cart("household").get("volle-melk", 0)
    assert Handled.is_type(say(port, "volle", conversation).type)  # the question was still pending
    assert server.cart("household")["volle-melk"] == before + 1
    # Words not understood while a question waits get the question again: a misheard answer.
    assert "Wat voor melk" in say(port, "melk", "chatter-2").data["text"]
    again = say(port, "vertel een mop", "chatter-2")
    assert Handled.is_type(again.type) and "welke bedoel je" in again.data["text"]


def _raw(port: int, data: bytes, read: bool = True) -> list[Event | None]:
    """Bytes straight onto the socket (what no well-behaved client sends); the events that come back."""
    async def run() -> list[Event | None]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        got: list[Event | None] = []
        while read:
            try:
                event = await asyncio.wait_for(async_read_event(reader), 30)
            except ConnectionResetError:  # closed with our bytes unread: a reset, not an end of stream
                event = None
            got.append(event)
            if event is None:
                break
        writer.close()
        return got

    return asyncio.run(run())


def _error(events: list[Event | None]) -> str:
    """The code of the error event that came before the server closed the connection."""
    assert events[-1] is None and events[-2] is not None and Error.is_type(events[-2].type), events
    return Error.from_event(events[-2]).code or ""  # type: ignore[arg-type]


def test_bad_events_are_answered_or_closed_without_taking_the_server_down(server: Server) -> None:
    port = server.household
    unknown, info = talk(port, Event("no-such-event"), Describe().event(), answers=2)
    assert unknown is not None and Error.from_event(unknown).code == "unknown-event"
    assert info is not None and Info.is_type(info.type)  # the connection stayed usable

    chunk = AudioChunk(rate=16_000, width=2, channels=1, audio=bytes(640)).event()
    assert _error(talk(port, chunk, answers=2)) == "no-audio-start"
    assert _error(talk(port, AudioStop().event(), answers=2)) == "no-audio-start"
    bad_width = Event("audio-start", {"rate": 16_000, "width": 7, "channels": 1})
    assert _error(talk(port, bad_width, answers=2)) == "bad-audio-format"
    second = [AudioChunk(rate=16_000, width=2, channels=1, audio=bytes(32_000)).event() for _ in range(31)]
    assert _error(talk(port, AudioStart(rate=16_000, width=2, channels=1).event(), *second, answers=2)) \
        == "audio-too-long"
    assert _error(talk(port, Event("transcript", {"words": "melk"}), answers=2)) == "bad-transcript"
    assert _error(talk(port, Transcript("melk", context={"conversation_id": 5}).event(), answers=2)) == "bad-context"
    assert _error(talk(port, Transcribe(language="en").event(), answers=2)) == "unsupported-language"

    header = {"type": "audio-chunk", "data": {"rate": 16_000, "width": 2, "channels": 1},
              "payload_length": 100 * 1024 * 1024}
    assert _error(_raw(port, json.dumps(header).encode() + b"\n")) == "too-large"  # refused unread
    assert _error(_raw(port, b"[1, 2, 3]\n")) == "bad-event"
    assert _error(_raw(port, b'{"type": "audio-chunk", "payload_length": "12"}\n')) == "bad-event"
    assert _error(_raw(port, b'{"type": "audio-chunk", "payload_length": 1.5}\n')) == "too-large"
    assert _error(_raw(port, b'{"type": "transcript", "data": null}\n')) == "bad-event"
    assert _raw(port, b"this is no json\n") == [None]
    assert _raw(port, b"x" * 200_000) == [None]  # a header line past the reader's limit

    # Clients that go away mid-stream and mid-payload.
    start = AudioStart(rate=16_000, width=2, channels=1).event()
    asyncio.run(_leave(port, [start, chunk, chunk]))
    half = {"type": "audio-chunk", "data": {"rate": 16_000, "width": 2, "channels": 1}, "payload_length": 1000}
    _raw(port, json.dumps(half).encode() + b"\n" + bytes(10), read=False)

    (pong,) = talk(port, Ping(text="still there?").event())
    assert pong is not None and pong.type == "pong" and pong.data.get("text") == "still there?"
    assert Handled.is_type(say(port, "wat zit er in mijn mandje", "after-abuse").type)


async def _leave(port: int, events: list[Event]) -> None:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        for event in events:
            await client.write_event(event)


def test_twenty_concurrent_clients_are_all_answered_and_nothing_is_lost(server: Server) -> None:
    async def shopper(n: int) -> list[str]:
        answers = []
        for turn in range(3):
            got = await _talk(server.anna, Transcript("twee bananen", context={"conversation_id": f"anna-{n}"}).event())
            answers.append(got[0].type if got[0] else "lost")
            if turn == 1:
                got = await _talk(server.anna, Describe().event())
                answers.append(got[0].type if got[0] else "lost")
        return answers

    async def all_of_them() -> list[list[str]]:
        return await asyncio.gather(*(shopper(n) for n in range(20)))

    results = asyncio.run(all_of_them())
    assert all(answers == ["handled", "handled", "info", "handled"] for answers in results), results
    assert server.cart("anna") == {"bananen": 2 * 3 * 20}


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_synthesize_gives_the_dutch_voice_as_audio_events(server: Server) -> None:
    got = talk(server.household, Synthesize("Ik heb twee bananen toegevoegd.").event())
    start, *chunks, stop = got
    assert start is not None and start.type == "audio-start" and stop is not None and stop.type == "audio-stop"
    fmt = AudioStart.from_event(start)
    assert fmt.rate in (16_000, 22_050) and fmt.width == 2 and fmt.channels == 1
    audio = b"".join(AudioChunk.from_event(c).audio for c in chunks)  # type: ignore[arg-type]
    assert len(audio) / (fmt.rate * fmt.width) > 0.5  # more than half a second of speech
    odd_voice = talk(server.household, Event("synthesize", {"text": "Hallo.", "voice": 5}))
    assert odd_voice[0].type == "audio-start" and odd_voice[-1].type == "audio-stop"  # type: ignore[union-attr]


# -- pieces, in-process ------------------------------------------------------------


def test_pcm_of_every_width_and_channel_count_becomes_16k_mono() -> None:
    t = np.arange(44_100) / 44_100
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    for width in (1, 2, 3, 4):
        assert np.allclose(pcm_to_float(pcm_bytes(tone[:, None], width), width), tone, atol=2 / 2 ** (8 * width - 1))
        utterance = Utterance(PcmFormat(44_100, width, 2))
        raw = pcm_bytes(np.stack([tone, tone], axis=1), width)
        for i in range(0, len(raw), 1001):  # chunks that split frames
            utterance.add(raw[i:i + 1001])
        samples = utterance.finish()
        assert samples.dtype == np.int16 and abs(len(samples) - 16_000) <= 2
        assert 0.30 < np.abs(samples).max() / 32767 < 0.55


def test_a_stream_may_change_rate_and_is_refused_past_30_seconds() -> None:
    utterance = Utterance(PcmFormat(16_000, 2, 1))
    utterance.add(bytes(32_000))
    utterance.add(bytes(8_000 * 2), PcmFormat(8_000, 2, 1))
    assert abs(len(utterance.finish()) - 32_000) <= 2
    long = Utterance(PcmFormat(8_000, 1, 1))
    with pytest.raises(AudioProblem, match="longer than 30 s"):
        for _ in range(31):
            long.add(bytes(8_000))
    for bad in ({"rate": 0, "width": 2, "channels": 1}, {"rate": 16_000, "width": 2},
                {"rate": 16_000, "width": True, "channels": 1}, {"rate": "16000", "width": 2, "channels": 1}):
        with pytest.raises(AudioProblem):
            PcmFormat.from_data(bad)


def test_addresses_and_satellites_are_checked() -> None:
    assert Listener.parse("anna=tcp://0.0.0.0:10701") == Listener("tcp://0.0.0.0:10701", "anna")
    assert check_uri("unix:///run/voiceskill.sock") == "unix:///run/voiceskill.sock"
    for bad in ("http://host:10700", "tcp://host", "tcp://:10700", "10700"):
        with pytest.raises(Exception, match="cannot listen"):
            check_uri(bad)
    with pytest.raises(Exception, match="OWNER=URI"):
        Listener.parse("tcp://0.0.0.0:10701")


def test_a_busy_port_is_a_clean_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "voiceskill.cli", "wyoming", "--uri", f"tcp://127.0.0.1:{port}",
                               "--no-stt", "--catalog", CATALOG, "--db", str(tmp_path / "c.db")],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "cannot listen on" in done.stderr and "Traceback" not in done.stderr


def test_options_answer_everything_and_introduce_every_conversation() -> None:
    from voiceskill import Assistant
    from voiceskill.wyoming import WyomingOptions, WyomingService
    from voiceskill.wyoming.service import Recent

    service = WyomingService(Assistant(CATALOG, ":memory:"), options=WyomingOptions(off_topic="answer", intro="every"))
    try:
        first = service.handle("twee bananen", "household", "c1")
        assert first.handled and "computer" in first.text and first.conversation_id == "c1"
        assert "computer" in service.handle("een komkommer", "household", "c2").text  # every new conversation
        chatter = service.handle("vertel een mop", "household", "c2")
        assert chatter.handled and chatter.text != not_shopping()
        assert service.assistant.cart("wyoming:user:household") == {"bananen": 2, "komkommer": 1}
    finally:
        service.close()
    now = [0.0]
    recent = Recent(2, 10.0, clock=lambda: now[0])
    recent.put("a", 1), recent.put("b", 2), recent.put("c", 3)
    assert recent.get("a") is None and recent.get("c") == 3  # the oldest went first
    now[0] = 11.0
    assert recent.get("c") is None and len(recent) == 1  # expired
