"""End-of-speech detection on 16 kHz int16 audio: when did the shopper start and stop talking?

A small energy detector is enough for a kitchen-table microphone and costs nothing on a
Raspberry Pi. The noise floor adapts, so a fridge or a fan does not count as speech; speech is
a frame clearly louder than the floor, an utterance needs ``min_speech_ms`` of it, and it ends
after ``end_silence_ms`` of quiet (or ``max_utterance_s`` in all). The floor is the quietest
frame of the last few seconds ("minimum statistics"): speech always has quiet gaps between
words, so talking does not raise it, while a noise that stays is learnt within that window.
Pure numpy, no IO.
"""

from __future__ import annotations

from collections import deque
from typing import Literal

import numpy as np

SAMPLE_RATE = 16_000
FRAME_MS = 20

State = Literal["silence", "speech", "end"]


def level_db(frame: np.ndarray) -> float:
    """Loudness of int16 samples in dB relative to full scale (-100 for digital silence)."""
    if len(frame) == 0:
        return -100.0
    audio = frame.astype(np.float64) / 32768.0
    return max(-100.0, 10.0 * float(np.log10(np.mean(audio * audio) + 1e-12)))


class Endpointer:
    """Feeds on audio chunks and says whether the shopper is silent, talking, or just finished."""

    def __init__(self, threshold_db: float = 12.0, min_speech_ms: int = 200, end_silence_ms: int = 700,
                 max_utterance_s: float = 10.0, min_level_db: float = -55.0, floor_window_s: float = 4.0,
                 sample_rate: int = SAMPLE_RATE) -> None:
        self.threshold_db = threshold_db
        """How far above the noise floor a frame must be to count as speech."""
        self.min_level_db = min_level_db
        """Never speech below this, so a dead-quiet room does not make breathing a command."""
        self.frame = sample_rate * FRAME_MS // 1000
        self.min_speech = min_speech_ms // FRAME_MS
        self.end_silence = end_silence_ms // FRAME_MS
        self.max_frames = int(max_utterance_s * 1000) // FRAME_MS
        self._levels: deque[float] = deque(maxlen=max(1, int(floor_window_s * 1000) // FRAME_MS))
        self._rest = np.zeros(0, dtype=np.int16)
        self.reset()

    @property
    def noise_floor_db(self) -> float:
        """The quietest frame level of the last ``floor_window_s`` seconds."""
        return min(self._levels) if self._levels else -100.0

    def reset(self) -> None:
        """Forget the current utterance (the noise floor is kept: the room did not change)."""
        self.in_speech = False
        self._voiced = 0
        self._quiet = 0
        self._length = 0

    def feed(self, chunk: np.ndarray) -> State:
        """One chunk of any length in; "end" once per utterance, when it is over."""
        audio = np.concatenate([self._rest, np.asarray(chunk, dtype=np.int16).reshape(-1)])
        whole = len(audio) - len(audio) % self.frame
        self._rest = audio[whole:]
        ended = False
        for start in range(0, whole, self.frame):
            ended = self._frame(audio[start:start + self.frame]) or ended
        if ended:
            return "end"
        return "speech" if self.in_speech else "silence"

    def _frame(self, frame: np.ndarray) -> bool:
        """Advance by one frame; True when this frame ends an utterance."""
        level = level_db(frame)
        self._levels.append(level)
        voiced = self._is_voiced(level)
        if not self.in_speech:
            self._voiced = self._voiced + 1 if voiced else 0
            if self._voiced >= max(1, self.min_speech):
                self.in_speech, self._length, self._quiet = True, self._voiced, 0
            return False
        self._length += 1
        self._quiet = 0 if voiced else self._quiet + 1
        if self._quiet >= self.end_silence or self._length >= self.max_frames:
            self.reset()
            return True
        return False

    def _is_voiced(self, level: float) -> bool:
        """Louder than floor + threshold (3 dB less once talking, so word tails are kept)."""
        margin = self.threshold_db - (3.0 if self.in_speech else 0.0)
        return level >= max(self.noise_floor_db + margin, self.min_level_db)
