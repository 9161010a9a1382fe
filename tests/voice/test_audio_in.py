"""Audio in: real files decode to 16 kHz mono; bad files fail with clear, coded errors."""

from __future__ import annotations

import asyncio
import wave
from pathlib import Path

import numpy as np
import pytest

from oculi.voice.audio_in import read_audio, resample
from oculi.voice.errors import AudioDecodeError, AudioDeviceUnavailable, AudioStreamError, EmptyAudio
from oculi.voice.sources import ArraySource, PcmStreamSource


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def test_real_flac_is_16k_mono_float(speech_dir: Path) -> None:
    audio = read_audio(speech_dir / "jfk.flac")  # 44.1 kHz stereo FLAC
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / 16000 - 11.0) < 0.05
    assert 0.1 < np.abs(audio).max() <= 1.0


def test_stereo_channels_can_be_split(speech_dir: Path) -> None:
    left = read_audio(speech_dir / "stereo_two_speakers.wav", channel="left")
    right = read_audio(speech_dir / "stereo_two_speakers.wav", channel="right")
    assert len(left) == len(right) == 80000
    assert not np.allclose(left, right)


def test_wrong_sample_rate_is_resampled(tmp_path: Path) -> None:
    t = np.arange(8000) / 8000
    path = write_wav(tmp_path / "tone8k.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 8000)
    audio = read_audio(path)
    assert abs(len(audio) - 16000) <= 32
    spectrum = np.abs(np.fft.rfft(audio))
    assert abs(np.argmax(spectrum) * 16000 / len(audio) - 440) < 5  # still a 440 Hz tone


def test_mp3_decodes(tmp_path: Path) -> None:
    import av

    path = tmp_path / "tone.mp3"
    try:
        with av.open(str(path), "w") as out:
            stream = out.add_stream("mp3", rate=22050)
            t = np.arange(22050) / 22050
            frame = av.AudioFrame.from_ndarray((0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)[None], format="flt", layout="mono")
            frame.sample_rate = 22050
            for packet in stream.encode(frame):
                out.mux(packet)
            for packet in stream.encode(None):
                out.mux(packet)
    except Exception as exc:  # the FFmpeg build may lack an mp3 encoder; decoding is what we test
        pytest.skip(f"cannot write an mp3 here: {exc}")
    audio = read_audio(path)
    assert 0.9 < len(audio) / 16000 < 1.2


def test_truncated_wav_is_reported(tmp_path: Path, speech_dir: Path) -> None:
    data = (speech_dir / "stereo_two_speakers.wav").read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: 44 + 4 * 20000])  # cut on a sample boundary: FFmpeg alone would not notice
    with pytest.raises(AudioDecodeError, match="truncated") as err:
        read_audio(cut)
    assert err.value.code == "audio_decode_failed" and err.value.hint


def test_truncated_flac_is_reported(tmp_path: Path, speech_dir: Path) -> None:
    data = (speech_dir / "jfk.flac").read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioDecodeError, match="truncated or corrupt"):
        read_audio(cut)


@pytest.mark.parametrize("content", [b"", b"RIFF", b"not audio at all" * 50])
def test_empty_or_junk_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises((AudioDecodeError, EmptyAudio)) as err:
        read_audio(path)
    assert err.value.code in ("audio_decode_failed", "audio_empty")


def test_wav_with_no_samples(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "none.wav", np.zeros(0), 16000)
    with pytest.raises(EmptyAudio):
        read_audio(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError, match="not found"):
        read_audio(tmp_path / "nope.wav")


def test_resample_keeps_duration() -> None:
    x = np.random.default_rng(0).normal(0, 0.1, 48000).astype(np.float32)
    assert abs(len(resample(x, 48000)) - 16000) <= 32


def _serve_and_read(payload_parts: list[bytes], rate: int, channels: int) -> list[np.ndarray]:
    async def main() -> list[np.ndarray]:
        got: list[np.ndarray] = []
        done = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                async for frame in PcmStreamSource(reader, sample_rate=rate, channels=channels).stream():
                    got.append(frame.samples)
                done.set_result(None)
            except Exception as exc:
                done.set_exception(exc)
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for part in payload_parts:
                writer.write(part)
                await writer.drain()
                await asyncio.sleep(0.001)
            writer.close()
            await done
        return got

    return asyncio.run(main())


def test_pcm_socket_48k_stereo_split_at_odd_bytes() -> None:
    t = np.arange(48000) / 48000
    tone = (0.4 * np.sin(2 * np.pi * 300 * t) * 32767).astype("<i2")
    data = np.stack([tone, tone], axis=1).tobytes()  # 1 s of 48 kHz stereo
    parts = [data[i:i + 1001] for i in range(0, len(data), 1001)]  # splits inside samples
    frames = _serve_and_read(parts, 48000, 2)
    total = sum(len(f) for f in frames)
    assert 15500 <= total <= 16000  # the resampler may hold back its last few samples
    audio = np.concatenate(frames)
    assert 0.3 < np.abs(audio).max() < 0.5


def test_pcm_socket_ending_mid_sample_is_an_error() -> None:
    with pytest.raises(AudioStreamError):
        _serve_and_read([b"\x00\x01" * 100 + b"\x07"], 16000, 1)


def test_array_source_paces_like_a_microphone() -> None:
    async def main() -> float:
        import time

        t0 = time.monotonic()
        n = 0
        async for f in ArraySource(np.zeros(8000, np.float32), trailing_silence_s=0).stream():
            n += len(f.samples)
        return time.monotonic() - t0

    assert asyncio.run(main()) >= 0.45  # 0.5 s of audio takes (about) 0.5 s


def test_microphone_missing_is_a_clear_error() -> None:
    from oculi.voice.sources import MicrophoneSource

    try:
        MicrophoneSource()
    except AudioDeviceUnavailable as exc:
        assert exc.code == "audio_device_unavailable" and exc.hint
    else:
        pytest.skip("a microphone is present on this machine")
