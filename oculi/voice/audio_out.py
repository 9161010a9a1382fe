"""Audio out: sinks (speaker, wav file, PCM stream) and the player that paces playback.

The player writes small chunks at the playback rate and counts what left, so when the user
barges in it can stop within one chunk and say exactly which words were heard.
"""

from __future__ import annotations

import time
import wave
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np

from oculi.voice.audio_in import float_to_pcm16
from oculi.voice.errors import AudioDeviceUnavailable


class AudioSink(Protocol):
    #: True when `write` blocks for the duration of the audio (a real device paces itself)
    paces_itself: bool

    def write(self, samples: np.ndarray, sample_rate: int) -> None: ...

    def close(self) -> None: ...


class _Timestamps:
    """Records when each chunk was handed over (tests assert barge-in timing on these)."""

    def __init__(self) -> None:
        self.writes: list[tuple[float, int]] = []  # (monotonic time, samples)

    def _stamp(self, n: int) -> None:
        self.writes.append((time.monotonic(), n))

    @property
    def samples_written(self) -> int:
        return sum(n for _, n in self.writes)


class WavSink(_Timestamps):
    """Writes everything played to a 16-bit mono wav file (opened on the first write)."""

    paces_itself = False

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._wav: wave.Wave_write | None = None
        self.sample_rate: int | None = None

    def write(self, samples: np.ndarray, sample_rate: int) -> None:
        if self._wav is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._wav = wave.open(str(self.path), "wb")
            self._wav.setnchannels(1)
            self._wav.setsampwidth(2)
            self._wav.setframerate(sample_rate)
            self.sample_rate = sample_rate
        elif sample_rate != self.sample_rate:
            raise ValueError(f"wav sink opened at {self.sample_rate} Hz, got {sample_rate} Hz")
        self._wav.writeframes(float_to_pcm16(samples))
        self._stamp(len(samples))

    def close(self) -> None:
        if self._wav is not None:
            self._wav.close()
            self._wav = None


class PcmSink(_Timestamps):
    """Raw 16-bit little-endian PCM to a binary stream (a socket's file, a pipe)."""

    paces_itself = False

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__()
        self.stream = stream
        self.sample_rate: int | None = None

    def write(self, samples: np.ndarray, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.stream.write(float_to_pcm16(samples))
        self.stream.flush()
        self._stamp(len(samples))

    def close(self) -> None:
        self.stream.flush()


class MemorySink(_Timestamps):
    """Keeps the played audio in memory (benchmarks, tests, embedding in other components)."""

    paces_itself = False

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[np.ndarray] = []
        self.sample_rate: int | None = None

    def write(self, samples: np.ndarray, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.chunks.append(samples.copy())
        self._stamp(len(samples))

    def audio(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)

    def close(self) -> None:
        pass


class SpeakerSink(_Timestamps):
    """The default output device via sounddevice; blocking writes pace playback."""

    paces_itself = True

    def __init__(self, sample_rate: int, *, device: int | str | None = None) -> None:
        super().__init__()
        try:
            import sounddevice as sd

            self._stream = sd.OutputStream(samplerate=sample_rate, channels=1, dtype="float32", device=device)
            self._stream.start()
        except Exception as exc:  # ImportError, OSError (no PortAudio), PortAudioError (no device)
            raise AudioDeviceUnavailable(
                f"no usable speaker: {exc}",
                hint="pip install sounddevice (and apt install libportaudio2), or use --out FILE.wav",
            ) from exc
        self.sample_rate = sample_rate

    def write(self, samples: np.ndarray, sample_rate: int) -> None:
        self._stream.write(samples.astype(np.float32).reshape(-1, 1))
        self._stamp(len(samples))

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


class SpokenText:
    """Tracks which words of the answer have been played, piece by piece."""

    def __init__(self) -> None:
        self.done: list[str] = []
        self.current = ""
        self.current_total = 0
        self.current_played = 0

    def start_piece(self, text: str, samples: int) -> None:
        self.current, self.current_total, self.current_played = text, samples, 0

    def played(self, samples: int) -> None:
        self.current_played += samples
        if self.current and self.current_played >= self.current_total:
            self.done.append(self.current)
            self.current = ""

    def text(self) -> str:
        """Whole pieces played, plus the share of words of the piece cut off mid-way."""
        parts = list(self.done)
        if self.current and self.current_total:
            words = self.current.split()
            heard = int(len(words) * self.current_played / self.current_total)
            if heard:
                parts.append(" ".join(words[:heard]))
        return " ".join(parts)
