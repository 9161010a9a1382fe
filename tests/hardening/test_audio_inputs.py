"""Audio decoding under bad input: wrong rates are resampled, clipped or out-of-range samples
are brought into [-1, 1], empty and enormous files are refused with coded errors — before
memory fills. Complements tests/voice/test_audio_in.py (8 kHz, truncated wav/flac, junk)."""

from __future__ import annotations

import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from oculi.errors import OculiError
from oculi.voice.audio_in import read_audio
from oculi.voice.errors import AudioDecodeError, AudioTooLong, EmptyAudio


def _wav(path: Path, samples: np.ndarray, rate: int, width: int = 2, channels: int = 1) -> Path:
    dtype = {1: np.uint8, 2: "<i2", 4: "<i4"}[width]
    if width == 1:
        pcm = (np.clip(samples, -1, 1) * 127 + 128).astype(dtype)
    else:
        scale = 2 ** (8 * width - 1) - 1
        pcm = (np.clip(samples, -1, 1) * scale).astype(dtype)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def _float_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    import av

    with av.open(str(path), "w", format="wav") as out:
        stream = out.add_stream("pcm_f32le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.astype(np.float32)[None], format="flt", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def _tone(rate: int, seconds: float, hz: float = 440.0, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * hz * t)


@pytest.mark.parametrize("rate", [8000, 11025, 22050, 44100, 48000, 96000])
@pytest.mark.parametrize("width", [1, 2, 4])
def test_any_rate_and_sample_width_becomes_16k(tmp_path: Path, rate: int, width: int) -> None:
    audio = read_audio(_wav(tmp_path / "t.wav", _tone(rate, 1.0), rate, width))
    assert audio.dtype == np.float32 and abs(len(audio) - 16000) <= 40
    peak = np.argmax(np.abs(np.fft.rfft(audio))) * 16000 / len(audio)
    assert abs(peak - 440) < 5


def test_hard_clipped_recording_decodes_within_range(tmp_path: Path) -> None:
    clipped = np.clip(_tone(16000, 1.0, amp=4.0), -1, 1)  # a square-ish, saturated wave
    audio = read_audio(_wav(tmp_path / "loud.wav", clipped, 16000))
    assert np.abs(audio).max() <= 1.0 and np.mean(np.abs(audio) > 0.99) > 0.5


def test_float_wav_louder_than_full_scale_and_nan_is_sanitised(tmp_path: Path) -> None:
    x = _tone(16000, 1.0, amp=3.0)
    x[100:200] = np.nan
    x[300] = np.inf
    audio = read_audio(_float_wav(tmp_path / "f.wav", x, 16000))
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0


def test_header_only_wav_is_empty(tmp_path: Path) -> None:
    with pytest.raises(EmptyAudio) as e:
        read_audio(_wav(tmp_path / "none.wav", np.zeros(0), 16000))
    assert e.value.code == "audio_empty" and e.value.hint


def test_directory_is_not_audio(tmp_path: Path) -> None:
    with pytest.raises(AudioDecodeError) as e:
        read_audio(tmp_path)
    assert e.value.hint


def test_image_named_wav_is_refused(tmp_path: Path) -> None:
    from PIL import Image

    p = tmp_path / "photo.wav"
    Image.new("RGB", (32, 32)).save(p, format="PNG")
    with pytest.raises(OculiError) as e:
        read_audio(p)
    assert e.value.code in ("audio_decode_failed", "audio_empty") and e.value.hint


def test_enormous_file_is_refused_from_its_header(tmp_path: Path) -> None:
    """11 minutes at 8 kHz u8 (5 MB on disk) against a 10-minute limit: refused from the
    header's duration, before decoding; what it allocates stays a fraction of the decoded size."""
    path = _wav(tmp_path / "day.wav", _tone(8000, 660.0, amp=0.1), 8000, width=1)
    tracemalloc.start()
    try:
        with pytest.raises(AudioTooLong) as e:
            read_audio(path, max_seconds=600)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # decoding it would have allocated > 20 MB of float32
    assert e.value.code == "audio_too_long" and "660 s" in e.value.message and e.value.hint


def test_length_without_a_header_is_checked_while_decoding(tmp_path: Path) -> None:
    """Raw ADTS/MP3-like streams may carry no duration; the decoded-sample count still stops it.
    A WAV whose size fields say 'unknown' (0xFFFFFFFF, as streaming recorders write) is one."""
    path = _wav(tmp_path / "stream.wav", _tone(16000, 5.0), 16000)
    data = bytearray(path.read_bytes())
    data[4:8] = b"\xff\xff\xff\xff"
    data[40:44] = b"\xff\xff\xff\xff"
    path.write_bytes(bytes(data))
    assert abs(len(read_audio(path)) - 80000) < 100  # unknown length is fine under the limit
    with pytest.raises(AudioTooLong):
        read_audio(path, max_seconds=2)


def test_default_limit_is_generous_for_questions(tmp_path: Path) -> None:
    audio = read_audio(_wav(tmp_path / "q.wav", _tone(16000, 30.0), 16000))
    assert len(audio) == 16000 * 30
