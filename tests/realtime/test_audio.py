"""The session's audio source and sink: resampled, bounded, controls kept in stream order."""

from __future__ import annotations

import asyncio

import numpy as np

from oculi.realtime.audio import SocketAudioSink, SocketAudioSource
from oculi.realtime.wire import parse_server_binary


def test_source_resamples_bounds_the_backlog_and_keeps_controls_in_order() -> None:
    async def scenario() -> tuple[int, int, list[str]]:
        source = SocketAudioSource(44_100, 2, max_seconds=1.0)
        order: list[str] = []
        assert source.push_pcm(b"") == 0
        dropped = sum(source.push_pcm(b"\x01\x00" * 2 * 4410) for _ in range(30))  # 3 s
        source.push_control(lambda: order.append("release"))
        source.push_silence(0.064)
        source.close()
        n = 0
        async for frame in source.stream():
            n += len(frame.samples)
            order.append("audio")
        return dropped, n, order

    dropped, n, order = asyncio.run(scenario())
    assert 14_000 < n <= 16_000  # at most one second (16 kHz mono) ever waits
    assert 31_000 < dropped <= 32_000  # ~2 s of the oldest audio dropped, and counted
    assert order[-2:] == ["release", "audio"]  # the release comes after the audio before it


def test_sink_sends_framed_pcm_with_rate_sequence_and_turn() -> None:
    sent: list[bytes] = []
    sink = SocketAudioSink(sent.append)
    sink.turn = 3
    sink.write(np.array([0.0, 0.5, -0.5], np.float32), 24_000)
    sink.write(np.zeros(10, np.float32), 24_000)
    first, second = (parse_server_binary(b) for b in sent)
    assert (first.header.rate, first.header.channels, first.header.seq, first.header.turn) == \
        (24_000, 1, 0, 3)
    assert np.frombuffer(first.pcm, "<i2").tolist() == [0, 16383, -16383]
    assert second.header.seq == 1 and len(second.pcm) == 20
