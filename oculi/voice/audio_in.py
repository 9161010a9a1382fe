"""Audio in: decode files, resample anything to 16 kHz mono float32, and check it is usable.

PyAV (FFmpeg) decodes wav/flac/mp3/ogg/m4a and resamples in one pass, so every source ends
in the same format before any model sees it. Truncated and corrupt files fail here, with the
file name and how far decoding got, rather than as a confusing model error later.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Literal

import numpy as np

from oculi.voice.errors import AudioDecodeError, AudioTooLong, EmptyAudio
from oculi.voice.frames import SAMPLE_RATE

Channel = Literal["mix", "left", "right"]

# A spoken question is seconds long; an hour of 16 kHz float32 is already 230 MB. Longer files
# are refused (from the header when it says, else while decoding) instead of filling memory.
MAX_SECONDS = 3600.0


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Mono float32 at `rate` → mono float32 at `target`, with FFmpeg's resampler."""
    samples = np.ascontiguousarray(samples, dtype=np.float32).reshape(-1)
    if rate == target or len(samples) == 0:
        return samples
    if rate <= 0:
        raise AudioDecodeError(f"invalid sample rate {rate}", hint="give the real rate of the audio in Hz")
    import av

    frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
    frame.sample_rate = rate
    rs = av.AudioResampler(format="flt", layout="mono", rate=target)
    out = [f.to_ndarray().reshape(-1) for f in rs.resample(frame)]
    out += [f.to_ndarray().reshape(-1) for f in rs.resample(None)]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def to_mono(samples: np.ndarray, channel: Channel = "mix") -> np.ndarray:
    """(n, channels) or (n,) → (n,): average, or keep one side of a stereo recording."""
    if samples.ndim == 1:
        return samples
    if channel == "mix":
        return samples.mean(axis=1)
    idx = 0 if channel == "left" else 1
    if samples.shape[1] <= idx:
        raise AudioDecodeError(f"no {channel} channel in mono audio", hint="use --channel mix")
    return samples[:, idx]


def _wav_declared_bytes(path: Path) -> tuple[int, int] | None:
    """(declared data bytes, data bytes present) for a RIFF/WAVE file, else None.

    FFmpeg trusts the file size, so a WAV cut on a sample boundary decodes without complaint;
    the header still says how long it should be.
    """
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            while True:
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                cid, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if cid == b"data":
                    start = f.tell()
                    present = path.stat().st_size - start
                    return (size, present) if size not in (0, 0xFFFFFFFF) else None
                f.seek(size + (size & 1), 1)
    except OSError:
        return None


def _too_long(name: str, seconds: float, max_seconds: float, exact: bool) -> AudioTooLong:
    what = f"{seconds:.0f} s long" if exact else f"longer than {seconds:.0f} s"
    return AudioTooLong(
        f"{name} is {what}, more than the {max_seconds:.0f} s limit",
        hint="cut the recording into shorter pieces (a question is seconds, not hours)",
    )


def read_audio(
    path: Path,
    *,
    channel: Channel = "mix",
    target_rate: int = SAMPLE_RATE,
    max_seconds: float = MAX_SECONDS,
) -> np.ndarray:
    """Decode a whole file to mono float32 at `target_rate` (16 kHz), or raise a clear AudioError.

    Samples come back within [-1, 1] (float files may hold louder values, NaN or inf, which
    would poison the models); files longer than `max_seconds` are refused before they fill memory.
    """
    import av

    path = Path(path)
    if path.is_dir():
        raise AudioDecodeError(f"{path} is a folder, not an audio file", hint="give one wav/flac/mp3 file")
    if not path.is_file():
        raise AudioDecodeError(f"audio file not found: {path}", hint="check the path")
    if path.stat().st_size == 0:
        raise EmptyAudio(f"{path.name} is an empty file (0 bytes)", hint="record the question again")
    declared = _wav_declared_bytes(path)
    if declared and declared[1] < declared[0]:
        raise AudioDecodeError(
            f"{path.name} is truncated: its header promises {declared[0]} bytes of audio, "
            f"the file holds {declared[1]}",
            hint="the recording was cut off; copy or record it again",
        )
    decoded = 0
    rate = 0
    try:
        container = av.open(str(path))
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise AudioDecodeError(
            f"{path.name} is not a readable audio file: {getattr(exc, 'strerror', None) or exc}",
            hint="use a wav, flac, mp3 or ogg file",
        ) from exc
    parts: list[np.ndarray] = []
    with container:
        if not container.streams.audio:
            raise AudioDecodeError(f"{path.name} has no audio stream", hint="use an audio file")
        stream = container.streams.audio[0]
        rate = stream.rate or 0
        if rate <= 0:
            raise AudioDecodeError(f"{path.name} declares no sample rate", hint="re-export the file")
        declared_s = _declared_seconds(container, stream)
        if declared_s is not None and declared_s > max_seconds:
            raise _too_long(path.name, declared_s, max_seconds, exact=True)
        limit = int(max_seconds * rate)
        try:
            for frame in container.decode(stream):
                arr = frame.to_ndarray()
                # planar (channels, n) or packed (1, n*channels): make (n, channels) float32
                if frame.format.is_planar:
                    arr = arr.T
                else:
                    arr = arr.reshape(-1, len(frame.layout.channels))
                arr = _to_float(arr)
                parts.append(to_mono(arr, channel))
                decoded += frame.samples
                if decoded > limit:  # a header that lied, or none: stop before memory runs out
                    parts.clear()
                    raise _too_long(path.name, max_seconds, max_seconds, exact=False)
        except (av.FFmpegError, ValueError) as exc:
            got = decoded / rate if rate else 0.0
            raise AudioDecodeError(
                f"{path.name} is truncated or corrupt: decoding failed after {got:.2f} s ({exc})",
                hint="the recording was cut off or damaged; copy or record it again",
            ) from exc
    samples = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    if len(samples) == 0:
        raise EmptyAudio(f"{path.name} holds no audio samples", hint="record the question again")
    samples = np.clip(np.nan_to_num(samples, nan=0.0, posinf=1.0, neginf=-1.0), -1.0, 1.0)
    return resample(samples, rate, target_rate)


def _declared_seconds(container, stream) -> float | None:  # PyAV container and stream
    """Duration from the header (stream, else container), or None when it does not say."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000  # AV_TIME_BASE
    return None


def _to_float(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.int16:
        return arr.astype(np.float32) / 32768.0
    if arr.dtype == np.int32:
        return arr.astype(np.float32) / 2147483648.0
    if arr.dtype == np.uint8:
        return (arr.astype(np.float32) - 128.0) / 128.0
    return arr.astype(np.float32)


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Little-endian signed 16-bit PCM bytes → float32 in [-1, 1)."""
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
