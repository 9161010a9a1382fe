"""Voice errors with stable codes, so a bad file or a missing device is a message, not a crash."""

from __future__ import annotations

from oculi.errors import OculiError, PackageMissing


class AudioError(OculiError):
    """Audio that cannot be used as it is (the base for the cases below)."""

    code = "audio_invalid"


class AudioDecodeError(AudioError):
    """Not an audio file, or a truncated/corrupt one."""

    code = "audio_decode_failed"


class EmptyAudio(AudioError):
    """Decodes fine but holds no samples (or only silence where speech is required)."""

    code = "audio_empty"


class AudioTooLong(AudioError):
    """Longer than the configured limit: refused before it fills memory."""

    code = "audio_too_long"


class NoSpeech(AudioError):
    """Audio arrived but voice activity detection found nobody speaking."""

    code = "no_speech"


class AudioDeviceUnavailable(AudioError):
    """No microphone or speaker (or `sounddevice`/PortAudio missing)."""

    code = "audio_device_unavailable"


class AudioStreamError(AudioError):
    """A PCM socket stream that breaks its framing (odd byte count, closed mid-sample)."""

    code = "audio_stream_invalid"


class VoiceModelMissing(PackageMissing):
    """A voice runtime package (faster-whisper, hibari-tts, pyopen-wakeword) is not installed."""

    code = "voice_package_missing"


class LookingUnavailable(OculiError):
    """An image was given but the vision subsystem is not wired into the voice pipeline yet."""

    code = "vision_unavailable"
