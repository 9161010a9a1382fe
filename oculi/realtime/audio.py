"""Audio in and out of a realtime session: the voice pipeline's source and sink over the socket.

In: PCM chunks from binary messages are resampled to 16 kHz mono as they arrive and queued
for the pipeline; the queue holds at most `max_seconds` of audio (the oldest is dropped and
counted), so a client that sends faster than the pipeline listens cannot grow memory.

Out: the pipeline writes answer audio from its output thread; each chunk becomes one binary
message handed to the session's (thread-safe) send. No real-time pacing here: the client
plays the audio at its own pace, so the pipeline runs with `realtime_output=False`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import numpy as np

from oculi.realtime.protocol import AUDIO_FORMAT, KIND_AUDIO, AudioHeader
from oculi.realtime.wire import encode_binary
from oculi.voice.audio_in import float_to_pcm16, pcm16_to_float
from oculi.voice.frames import SAMPLE_RATE, AudioFrame
from oculi.voice.sources import StreamResampler

_END = None


class SocketAudioSource:
    """An `AudioSource` fed by the session with PCM from the socket."""

    def __init__(self, rate: int, channels: int, *, max_seconds: float = 20.0) -> None:
        self.rate, self.channels = rate, channels
        self._resample = StreamResampler(rate, channels)
        # samples, a control step (push-to-talk) to run in order with them, or the end
        self._queue: asyncio.Queue[np.ndarray | Callable[[], None] | None] = asyncio.Queue()
        self._queued = 0
        self._limit = int(max_seconds * SAMPLE_RATE)
        self.dropped_samples = 0
        self.received_samples = 0

    def push_pcm(self, pcm: bytes) -> int:
        """Queue whole 16-bit samples; returns how many 16 kHz samples had to be dropped."""
        if not pcm:
            return 0
        samples = pcm16_to_float(pcm).reshape(-1, self.channels)
        self.received_samples += len(samples)
        return self._put(self._resample(samples))

    def push_silence(self, seconds: float) -> None:
        """A little silence moves the pipeline on when no more audio is coming (talk.stop)."""
        self._put(np.zeros(int(seconds * SAMPLE_RATE), np.float32))

    def push_control(self, step: Callable[[], None]) -> None:
        """Run `step` when the pipeline reaches this point of the stream.

        Push-to-talk presses and releases must apply between the same samples as the client
        sent them: messages can arrive faster than the pipeline listens, and a release
        applied on arrival would close the gate before the question queued ahead of it.
        """
        self._queue.put_nowait(step)

    def _put(self, samples: np.ndarray) -> int:
        if not len(samples):
            return 0
        self._queue.put_nowait(samples)
        self._queued += len(samples)
        dropped = 0
        while self._queued > self._limit and self._queue.qsize() > 1:
            old = self._queue.get_nowait()
            if not isinstance(old, np.ndarray):  # never drop the end marker or a control step
                self._queue.put_nowait(old)
                break
            self._queued -= len(old)
            dropped += len(old)
        self.dropped_samples += dropped
        return dropped

    def close(self) -> None:
        self._queue.put_nowait(_END)

    async def stream(self) -> AsyncIterator[AudioFrame]:
        while True:
            samples = await self._queue.get()
            if samples is _END:
                return
            if not isinstance(samples, np.ndarray):
                samples()
                continue
            self._queued -= len(samples)
            yield AudioFrame(samples, time.monotonic())


class SocketAudioSink:
    """An `AudioSink` whose `write` (called on the pipeline's output thread) sends binary audio."""

    paces_itself = False

    def __init__(self, send_threadsafe: Callable[[bytes], None]) -> None:
        self._send = send_threadsafe
        self.seq = 0
        self.turn = 0
        self.bytes_sent = 0

    def write(self, samples: np.ndarray, sample_rate: int) -> None:
        pcm = float_to_pcm16(samples)
        header = AudioHeader(rate=sample_rate, channels=1, format=AUDIO_FORMAT, seq=self.seq,
                             turn=self.turn, t=time.monotonic() * 1000)
        self.seq += 1
        self.bytes_sent += len(pcm)
        self._send(encode_binary(KIND_AUDIO, header, pcm))

    def close(self) -> None:
        pass
