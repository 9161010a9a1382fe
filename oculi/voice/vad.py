"""Voice activity (Silero VAD v6, ONNX) and the end-of-turn rule built on it.

Silero scores each 32 ms frame (512 samples at 16 kHz) with the 64 samples before it as
context and an LSTM state carried across frames — the same contract faster-whisper uses, here
kept streaming. `TurnDetector` turns those scores into "speech started" (after `min_speech_ms`
of voice, so a click is not a turn) and "turn ended" (after `end_of_turn_silence_ms` of quiet).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from oculi.voice.frames import SAMPLE_RATE
from oculi.voice.settings import VoiceSettings

FRAME = 512
CONTEXT = 64


class VoiceActivity(Protocol):
    def __call__(self, frame: np.ndarray) -> float:
        """Probability that this 512-sample frame is speech."""
        ...

    def reset(self) -> None: ...


class SileroVAD:
    """Streaming Silero VAD on onnxruntime (one thread: it needs ~0.3 ms per frame)."""

    def __init__(self, model_path: Path) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(str(model_path), sess_options=opts, providers=["CPUExecutionProvider"])
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        if len(frame) != FRAME:
            raise ValueError(f"Silero VAD needs {FRAME}-sample frames, got {len(frame)}")
        x = np.concatenate([self._context, frame.astype(np.float32)])[None, :]
        prob, self._h, self._c = self.session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT:].astype(np.float32)
        return float(np.asarray(prob).reshape(-1)[0])

    @classmethod
    def from_store(cls) -> "SileroVAD":
        from oculi.models.store import default_store

        return cls(default_store().path("silero-vad"))


@dataclass
class VadEvent:
    kind: str  # "start" | "end"
    at: float  # capture time: first voiced frame (start) / last voiced frame (end)
    audio: np.ndarray | None = None  # the utterance, on "end"


class TurnDetector:
    """Frames in, "start"/"end" events out; keeps the current utterance (with pre-roll)."""

    def __init__(self, vad: VoiceActivity, settings: VoiceSettings) -> None:
        self.vad = vad
        self.threshold = settings.vad_threshold
        self.neg_threshold = max(0.05, settings.vad_threshold - 0.15)  # hysteresis, as Silero advises
        self.start_frames = max(1, round(settings.min_speech_ms * SAMPLE_RATE / 1000 / FRAME))
        self.end_frames = max(1, round(settings.end_of_turn_silence_ms * SAMPLE_RATE / 1000 / FRAME))
        self.max_frames = int(settings.max_turn_s * SAMPLE_RATE / FRAME)
        pre = max(self.start_frames, round(settings.pre_speech_ms * SAMPLE_RATE / 1000 / FRAME))
        self._pre: deque[tuple[np.ndarray, float]] = deque(maxlen=pre)
        self._pending = np.zeros(0, np.float32)
        # While this says so (a push-to-talk button held), silence does not end the turn:
        # the wearer pauses mid-sentence, and the release ends it.
        self.hold: Callable[[], bool] = lambda: False
        self.reset()

    def reset(self) -> None:
        self.vad.reset()
        self.speaking = False
        self._voiced_run = 0
        self._silent_run = 0
        self._utterance: list[np.ndarray] = []
        self._last_voiced_at = 0.0
        self._pre.clear()
        self._pending = np.zeros(0, np.float32)

    @property
    def silent_frames(self) -> int:
        """Quiet frames since the last voiced one, in the turn in progress (0 while voiced)."""
        return self._silent_run if self.speaking else 0

    @property
    def last_voiced_at(self) -> float:
        return self._last_voiced_at

    def utterance(self) -> np.ndarray:
        """Audio of the turn in progress (for partial transcripts)."""
        return np.concatenate(self._utterance) if self._utterance else np.zeros(0, np.float32)

    def force_end(self, at: float) -> VadEvent:
        """End the turn now (push-to-talk released, input closed) with what was heard."""
        audio = self.utterance()
        self.speaking = False
        self._voiced_run = 0
        self._utterance = []
        return VadEvent("end", at, audio)

    def push(self, samples: np.ndarray, captured_at: float) -> list[VadEvent]:
        """Feed any number of samples whose last one was captured at `captured_at`."""
        data = np.concatenate([self._pending, samples])
        n_frames = len(data) // FRAME
        self._pending = data[n_frames * FRAME:]
        events: list[VadEvent] = []
        for i in range(n_frames):
            frame = data[i * FRAME:(i + 1) * FRAME]
            # capture time of this frame's last sample
            at = captured_at - (len(data) - (i + 1) * FRAME) / SAMPLE_RATE
            ev = self._step(frame, at)
            if ev:
                events.append(ev)
        return events

    def _step(self, frame: np.ndarray, at: float) -> VadEvent | None:
        p = self.vad(frame)
        if not self.speaking:
            self._pre.append((frame, at))
            self._voiced_run = self._voiced_run + 1 if p >= self.threshold else 0
            if self._voiced_run >= self.start_frames:
                self.speaking = True
                self._silent_run = 0
                self._utterance = [f for f, _ in self._pre]
                self._pre.clear()
                self._last_voiced_at = at
                onset = at - self._voiced_run * FRAME / SAMPLE_RATE
                return VadEvent("start", onset)
            return None
        self._utterance.append(frame)
        if p >= self.neg_threshold:
            self._silent_run = 0
            self._last_voiced_at = at
        else:
            self._silent_run += 1
        ended_by_silence = self._silent_run >= self.end_frames and not self.hold()
        if ended_by_silence or len(self._utterance) >= self.max_frames:
            audio = self.utterance()
            ended = self._last_voiced_at
            self.speaking = False
            self._voiced_run = 0
            self._utterance = []
            return VadEvent("end", ended, audio)
        return None
