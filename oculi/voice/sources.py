"""Audio sources: a file or array (optionally paced like a live microphone), raw PCM over a
socket, and the microphone. Each yields 16 kHz mono float32 `AudioFrame`s stamped with the
monotonic time their last sample was captured.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Protocol

import numpy as np

from oculi.voice.audio_in import pcm16_to_float
from oculi.voice.errors import AudioDeviceUnavailable, AudioStreamError
from oculi.voice.frames import SAMPLE_RATE, AudioFrame

CHUNK = 512  # 32 ms: Silero VAD's frame, so a chunk is never split across VAD steps


class AudioSource(Protocol):
    def stream(self) -> AsyncIterator[AudioFrame]: ...

    def close(self) -> None: ...


class StreamResampler:
    """Downmixes (channel mean, like `read_audio`) and resamples a stream chunk by chunk,
    keeping the resampler's filter state between chunks."""

    def __init__(self, rate: int, channels: int = 1) -> None:
        import av

        self.rate, self.channels = rate, channels
        self._rs = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE) if rate != SAMPLE_RATE else None
        self._pts = 0

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        """(n,) or (n, channels) float32 → (m,) float32 at 16 kHz."""
        mono = samples.reshape(-1, self.channels).mean(axis=1).astype(np.float32)
        if self._rs is None:
            return mono
        import av

        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(mono)[None, :], format="flt", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._pts
        self._pts += len(mono)
        out = [f.to_ndarray().reshape(-1) for f in self._rs.resample(frame)]
        return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


class ArraySource:
    """Plays audio already in memory as if it came from a microphone.

    `realtime=True` paces chunks at the wall clock, so latencies measured downstream are the
    latencies a wearer would feel; `trailing_silence_s` lets end-of-turn detection fire after
    the last word. With `live=True` the source keeps sending silence after the script until
    `close()`, and `inject()` cuts in with more speech at once — a user barging in.
    """

    def __init__(
        self,
        samples: np.ndarray,
        *,
        realtime: bool = True,
        trailing_silence_s: float = 1.0,
        live: bool = False,
    ) -> None:
        tail = np.zeros(int(trailing_silence_s * SAMPLE_RATE), np.float32)
        self._buf = np.concatenate([samples.astype(np.float32).reshape(-1), tail])
        self.realtime = realtime
        self.live = live
        self._closed = False
        self._inject_pending = False
        self.injected_at: list[float] = []  # capture time of the first sample of each injection

    def inject(self, samples: np.ndarray, *, then_silence_s: float = 1.0) -> None:
        """Replace whatever is queued with `samples` (then silence), starting with the next chunk."""
        tail = np.zeros(int(then_silence_s * SAMPLE_RATE), np.float32)
        self._buf = np.concatenate([samples.astype(np.float32).reshape(-1), tail])
        self._inject_pending = True

    def close(self) -> None:
        self._closed = True

    async def stream(self) -> AsyncIterator[AudioFrame]:
        start = time.monotonic()
        sent = 0
        silence = np.zeros(CHUNK, np.float32)
        while not self._closed:
            if len(self._buf) == 0:
                if not self.live:
                    return
                chunk = silence
            else:
                chunk, self._buf = self._buf[:CHUNK], self._buf[CHUNK:]
            first_sample_at = start + sent / SAMPLE_RATE if self.realtime else time.monotonic()
            if self._inject_pending:
                self._inject_pending = False
                self.injected_at.append(first_sample_at)
            sent += len(chunk)
            if self.realtime:
                due = start + sent / SAMPLE_RATE
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                captured = due
            else:
                await asyncio.sleep(0)
                captured = time.monotonic()
            yield AudioFrame(chunk, captured)


class PcmStreamSource:
    """Raw little-endian 16-bit PCM from an asyncio stream (a TCP socket), at any rate/channels.

    Bytes arrive in arbitrary pieces; a half sample is kept for the next read, and a stream
    that ends mid-sample is reported rather than silently padded.
    """

    def __init__(self, reader: asyncio.StreamReader, *, sample_rate: int = SAMPLE_RATE, channels: int = 1) -> None:
        if sample_rate < 4000 or sample_rate > 192_000:
            raise AudioStreamError(f"unsupported PCM sample rate {sample_rate}", hint="use 8000–192000 Hz")
        self.reader = reader
        self.channels = channels
        self._resample = StreamResampler(sample_rate, channels)
        self._closed = False

    def close(self) -> None:
        self._closed = True

    async def stream(self) -> AsyncIterator[AudioFrame]:
        frame_bytes = 2 * self.channels
        carry = b""
        while not self._closed:
            data = await self.reader.read(4096)
            if not data:
                if carry:
                    raise AudioStreamError(
                        f"PCM stream ended mid-sample ({len(carry)} stray bytes)",
                        hint="send whole 16-bit samples for every channel",
                    )
                return
            data = carry + data
            usable = len(data) - len(data) % frame_bytes
            carry = data[usable:]
            if usable:
                samples = pcm16_to_float(data[:usable]).reshape(-1, self.channels)
                out = self._resample(samples)
                if len(out):
                    yield AudioFrame(out, time.monotonic())


class MicrophoneSource:
    """The default input device through sounddevice (PortAudio), 16 kHz mono float32."""

    def __init__(self, *, device: int | str | None = None, block_ms: int = 32) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:
            raise AudioDeviceUnavailable(
                f"microphone input needs the sounddevice package and PortAudio: {exc}",
                hint="pip install sounddevice (and apt install libportaudio2), or use --audio FILE",
            ) from exc
        try:
            sd.check_input_settings(device=device, channels=1, samplerate=SAMPLE_RATE, dtype="float32")
        except Exception as exc:
            raise AudioDeviceUnavailable(
                f"no usable microphone: {exc}",
                hint="plug in or select a microphone (--device), or use --audio FILE",
            ) from exc
        self._sd = sd
        self.device = device
        self.block = int(SAMPLE_RATE * block_ms / 1000)
        self._closed = False

    def close(self) -> None:
        self._closed = True

    async def stream(self) -> AsyncIterator[AudioFrame]:
        loop = asyncio.get_running_loop()
        q: asyncio.Queue[AudioFrame] = asyncio.Queue()

        def callback(indata: np.ndarray, frames: int, t: object, status: object) -> None:
            frame = AudioFrame(indata[:, 0].copy(), time.monotonic())
            loop.call_soon_threadsafe(q.put_nowait, frame)

        with self._sd.InputStream(
            device=self.device, channels=1, samplerate=SAMPLE_RATE, dtype="float32",
            blocksize=self.block, callback=callback,
        ):
            while not self._closed:
                yield await q.get()
