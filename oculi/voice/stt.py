"""Speech-to-text with faster-whisper (Whisper base, CTranslate2 int8, greedy decoding).

Whisper is trained on 30 s windows and faster-whisper always pads to one; the encoder then
costs the same ~3 s here for a two-second question as for 30 s of speech. For turns shorter
than the window we encode only the audio plus a second of padding (whisper.cpp's
`audio_ctx` idea; CTranslate2 accepts a shorter mel input) and decode with timestamps on and
a length cap, which stops the repetition loops short contexts otherwise cause. Measured
here: same text on the real recordings, 5–10x less time.

Whisper is a batch recogniser; partial transcripts come from re-transcribing the turn so far
at an interval (LiveKit's stream-adapter idea), and the final one from the whole turn once
the end-of-turn rule fires. Segments Whisper itself marks as probably not speech are dropped:
Whisper otherwise "hears" stock phrases ("Thank you.") in noise.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from oculi.voice.errors import VoiceModelMissing
from oculi.voice.frames import SAMPLE_RATE
from oculi.voice.settings import VoiceSettings


class SpeechToText(Protocol):
    def transcribe(self, audio: np.ndarray, *, partial: bool = False) -> str:
        """16 kHz mono float32 → text ('' when there is no speech)."""
        ...


class WhisperSTT:
    """faster-whisper on the CPU; one model, calls serialised (CTranslate2 models are not re-entrant here)."""

    def __init__(self, model_dir: Path, settings: VoiceSettings) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise VoiceModelMissing(
                "speech-to-text needs faster-whisper", hint="pip install faster-whisper==1.2.1"
            ) from exc
        self.model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=settings.stt_compute_type,
            cpu_threads=settings.stt_threads,
            num_workers=1,
            local_files_only=True,
        )
        from faster_whisper.tokenizer import Tokenizer

        self.tokenizer = Tokenizer(
            self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe",
            language=settings.language or "en",
        )
        self.short_context = settings.stt_short_context
        self.beam_size = settings.stt_beam_size
        self.language = settings.language
        self.lock = threading.Lock()

    @classmethod
    def from_store(cls, settings: VoiceSettings) -> WhisperSTT:
        from oculi.models.store import default_store

        return cls(default_store().path(settings.stt_model), settings)

    def transcribe(self, audio: np.ndarray, *, partial: bool = False) -> str:
        if len(audio) < SAMPLE_RATE // 10:  # under 0.1 s: nothing Whisper can use
            return ""
        with self.lock:
            if self.short_context and len(audio) < 28 * SAMPLE_RATE:
                return self._short(audio.astype(np.float32))
            segments, _info = self.model.transcribe(
                audio.astype(np.float32),
                language=self.language,
                beam_size=self.beam_size,
                best_of=1,
                temperature=0.0,  # no fallback re-decoding: latency over the last bit of accuracy
                condition_on_previous_text=False,
                without_timestamps=True,
                vad_filter=False,  # our VAD already cut the turn
            )
            texts = [
                s.text
                for s in segments
                if not (s.no_speech_prob > 0.6 and s.avg_logprob < -1.0)
            ]
        return " ".join(t.strip() for t in texts).strip()

    def segments(self, path: str) -> Iterator[tuple[float, float, str]]:
        """A whole recording → (start s, end s, text) per spoken segment, as Whisper finishes
        each (memory stores every one before the next is decoded). faster-whisper decodes
        the file with PyAV and skips silence with its Silero VAD. Holds the model's lock for
        the whole recording: CTranslate2 is not re-entrant, a live turn waits."""
        with self.lock:
            found, _info = self.model.transcribe(
                path, beam_size=self.beam_size, vad_filter=True, language=self.language
            )
            for seg in found:
                text = seg.text.strip()
                if text:
                    yield float(seg.start), float(seg.end), text

    def _short(self, audio: np.ndarray, pad_s: float = 1.0) -> str:
        import ctranslate2

        frames = int(np.ceil((len(audio) / SAMPLE_RATE + pad_s) * 10)) * 10  # 100 mel frames/s
        padded = np.concatenate([audio, np.zeros(max(0, frames * 160 - len(audio)), np.float32)])
        mel = self.model.feature_extractor(padded, padding=0)[:, :frames]
        encoded = self.model.model.encode(
            ctranslate2.StorageView.from_array(np.ascontiguousarray(mel[None])), to_cpu=False
        )
        cap = int(12 * len(audio) / SAMPLE_RATE) + 12  # ~3x normal speech rate in tokens
        result = self.model.model.generate(
            encoded,
            [list(self.tokenizer.sot_sequence)],
            beam_size=self.beam_size,
            max_length=cap + len(self.tokenizer.sot_sequence),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
            max_initial_timestamp_index=50,
        )[0]
        ids = result.sequences_ids[0]
        avg_logprob = result.scores[0] / max(1, len(ids)) if result.scores else 0.0
        if result.no_speech_prob > 0.6 and avg_logprob < -0.5:
            return ""
        return self.tokenizer.decode(self._text_within(ids, len(audio) / SAMPLE_RATE)).strip()

    def _text_within(self, ids: list[int], duration_s: float) -> list[int]:
        """The text tokens of the segments that start inside the audio.

        Decoding runs on the audio plus padding, and Whisper often closes its segment at the
        padded end and opens another there, repeating the turn's first words (a partial
        transcript read "He began a confused complaint … curtain. He began a confused
        complaint …"). Nothing can start after the audio ends: a segment whose opening
        timestamp is at or past the end (less 0.2 s) ends the transcript."""
        begin = self.tokenizer.timestamp_begin
        text: list[int] = []
        open_segment = False
        for i in ids:
            if i < begin:
                text.append(i)
                continue
            if not open_segment and (i - begin) * 0.02 >= duration_s - 0.2:
                break
            open_segment = not open_segment
        return text
