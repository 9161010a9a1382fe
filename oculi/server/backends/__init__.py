"""What the endpoints need from the models, as Protocols, plus thin real adapters.

The adapters here (MiniLM on onnxruntime, faster-whisper, hibari) are deliberately small so
the vision, voice and memory subsystems can replace them with their own implementations of
the same Protocols without touching the endpoints.
"""

from oculi.server.backends.protocols import (
    ChatEngine,
    Embedder,
    ImageDescriber,
    SpeechSynthesizer,
    Transcriber,
    Transcript,
)

__all__ = [
    "ChatEngine",
    "Embedder",
    "ImageDescriber",
    "SpeechSynthesizer",
    "Transcriber",
    "Transcript",
]
