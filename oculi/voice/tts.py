"""Text-to-speech with hibari (voice "heart", in the wheel) and the chunker that feeds it.

The chunker cuts the LLM's stream at sentence ends so speech starts while the model is still
writing; the very first piece may also end at a clause (comma, colon) once it is long enough,
or after its first few words when the first sentence runs long, because the first audio
sample is what the wearer waits for.
"""

from __future__ import annotations

import re
import threading
from typing import Protocol

import numpy as np

from oculi.voice.errors import VoiceModelMissing
from oculi.voice.settings import VoiceSettings

_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*\s")
_CLAUSE_END = re.compile(r"[,;:—]\s")
_MARKDOWN = re.compile(r"[*_`#>|]+")
_ABBREVIATIONS = {"dr", "mr", "mrs", "ms", "st", "vs", "etc", "e.g", "i.e", "no", "prof", "jr", "sr"}


class TextToSpeech(Protocol):
    sample_rate: int

    def synthesize(self, text: str) -> np.ndarray:
        """Text → mono float32 at `sample_rate`."""
        ...


class HibariTTS:
    """hibari's ONNX model; only the bundled voice works offline, so others are refused."""

    def __init__(self, settings: VoiceSettings) -> None:
        if settings.tts_voice != "heart":
            raise VoiceModelMissing(
                f"voice {settings.tts_voice!r} is not installed: only 'heart' ships in hibari-tts",
                hint="set tts_voice = 'heart' (other hibari voices download from a model hub)",
            )
        try:
            from hibari import Hibari
        except ImportError as exc:
            raise VoiceModelMissing("text-to-speech needs hibari-tts", hint="pip install hibari-tts==0.2.1") from exc
        self.model = Hibari(voice="heart", threads=settings.tts_threads)
        self.sample_rate: int = int(self.model.sample_rate)
        self.speed = settings.tts_speed
        self.lock = threading.Lock()

    def synthesize(self, text: str) -> np.ndarray:
        text = _MARKDOWN.sub("", text).strip()
        if not text:
            return np.zeros(0, np.float32)
        with self.lock:
            return np.asarray(self.model(text, speed=self.speed, seed=0), dtype=np.float32)


class SentenceChunker:
    """Streamed text in, speakable pieces out (sentences; the first may be a long clause)."""

    def __init__(self, min_chunk_chars: int = 12, first_chunk_words: int = 5) -> None:
        self.min_chunk_chars = min_chunk_chars
        self.first_chunk_words = first_chunk_words
        self._buf = ""
        self._emitted = 0

    def push(self, delta: str) -> list[str]:
        self._buf += delta
        out: list[str] = []
        while True:
            cut = self._find_cut()
            if cut is None:
                return out
            piece, self._buf = self._buf[:cut].strip(), self._buf[cut:]
            if piece:
                out.append(piece)
                self._emitted += 1

    def flush(self) -> list[str]:
        piece, self._buf = self._buf.strip(), ""
        return [piece] if piece else []

    def _is_abbreviation(self, dot: int) -> bool:
        """A period after "Dr" or an initial ("J.") does not end a sentence."""
        if self._buf[dot] != ".":
            return False
        word = self._buf[:dot].rsplit(None, 1)[-1] if self._buf[:dot].strip() else ""
        return word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper())

    def _find_cut(self) -> int | None:
        for m in _SENTENCE_END.finditer(self._buf):
            if self._is_abbreviation(m.start()):
                continue
            if m.end() >= self.min_chunk_chars or self._emitted:
                return m.end()
        if self._emitted == 0:
            for m in _CLAUSE_END.finditer(self._buf):
                if m.start() >= self.min_chunk_chars:
                    return m.end()
            # a long first sentence: speak its opening words now rather than wait for the end
            words = list(re.finditer(r"\S+\s", self._buf))
            if len(words) > self.first_chunk_words:
                return words[self.first_chunk_words - 1].end()
        if "\n" in self._buf.strip():
            return self._buf.index("\n", len(self._buf) - len(self._buf.lstrip())) + 1
        return None
