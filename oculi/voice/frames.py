"""Everything that moves through the voice pipeline, one small dataclass per kind, each with a `type`.

Like Pipecat's frames, a frame is plain data; stages never share mutable objects. Audio inside
the pipeline is 16 kHz mono float32 (input) or the synthesiser's rate (output), and each audio
frame carries the monotonic time it was captured so latencies are measured on one clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

SAMPLE_RATE = 16_000


@dataclass
class AudioFrame:
    """A chunk of input audio: 16 kHz mono float32, stamped when it was captured."""

    samples: np.ndarray
    captured_at: float
    type: Literal["audio"] = "audio"

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@dataclass
class EndOfInput:
    """The source has no more audio (file finished, socket closed)."""

    type: Literal["end_of_input"] = "end_of_input"


@dataclass
class WakeWordDetected:
    name: str
    score: float
    at: float
    type: Literal["wake_word"] = "wake_word"


@dataclass
class SpeechStarted:
    at: float  # capture time of the first voiced frame
    type: Literal["speech_started"] = "speech_started"


@dataclass
class SpeechStopped:
    """The silence rule ended the turn; `at` is the last voiced frame, before the transcript."""

    at: float
    type: Literal["speech_stopped"] = "speech_stopped"


@dataclass
class UserTurn:
    """The user finished speaking: the whole utterance, and when speech really ended."""

    audio: np.ndarray
    speech_ended_at: float  # capture time of the last voiced frame
    detected_at: float  # when the silence rule declared the end of turn
    draft: Any = None  # a transcript started at the first quiet frame (a future), if still valid
    held: Any = None  # an answer to that draft, generated but held until the turn is confirmed
    type: Literal["user_turn"] = "user_turn"


@dataclass
class PartialTranscript:
    text: str
    at: float
    type: Literal["partial_transcript"] = "partial_transcript"


@dataclass
class FinalTranscript:
    text: str
    at: float
    type: Literal["final_transcript"] = "final_transcript"


@dataclass
class AnswerText:
    """A piece of the answer ready to be spoken (a sentence or a long clause)."""

    text: str
    type: Literal["answer_text"] = "answer_text"


@dataclass
class AnswerAudio:
    """Synthesised speech for one AnswerText, at the synthesiser's sample rate."""

    samples: np.ndarray
    sample_rate: int
    text: str
    type: Literal["answer_audio"] = "answer_audio"


@dataclass
class Interrupted:
    """The user barged in: what had been spoken of the answer when output stopped."""

    spoken_text: str
    at: float
    type: Literal["interrupted"] = "interrupted"


@dataclass
class TurnLatency:
    """One turn's timeline (seconds, monotonic clock) and the derived latencies.

    end of speech → final transcript → first token → first audio out: the record the issue asks
    for, logged by the pipeline and handed to listeners so other components (bench, UI) use it.
    """

    speech_ended_at: float
    end_of_turn_at: float | None = None
    transcript_at: float | None = None
    first_token_at: float | None = None
    first_audio_at: float | None = None
    answer_done_at: float | None = None
    interrupted: bool = False
    type: Literal["turn_latency"] = "turn_latency"

    def _since_end(self, t: float | None) -> float | None:
        return None if t is None else t - self.speech_ended_at

    def as_dict(self) -> dict[str, float | bool | None]:
        """Seconds since the end of user speech for each step; voice_to_voice is the headline."""
        return {
            "end_of_turn_s": self._since_end(self.end_of_turn_at),
            "transcript_s": self._since_end(self.transcript_at),
            "first_token_s": self._since_end(self.first_token_at),
            "first_audio_s": self._since_end(self.first_audio_at),
            "voice_to_voice_s": self._since_end(self.first_audio_at),
            "interrupted": self.interrupted,
        }


@dataclass
class TurnDone:
    """One question and answer finished (or was interrupted); `answer` is what was spoken."""

    transcript: str
    answer: str
    latency: TurnLatency
    full_answer: str = ""
    type: Literal["turn_done"] = "turn_done"


@dataclass
class Announced:
    """Something said unprompted (a timer rang), as it starts to play."""

    text: str
    at: float
    type: Literal["announced"] = "announced"


@dataclass
class ErrorFrame:
    """A stage failed on one input; the session goes on (errors never kill it)."""

    code: str
    message: str
    hint: str | None = None
    type: Literal["error"] = "error"


Event = (
    WakeWordDetected
    | SpeechStarted
    | SpeechStopped
    | UserTurn
    | PartialTranscript
    | FinalTranscript
    | AnswerText
    | Interrupted
    | TurnLatency
    | TurnDone
    | Announced
    | ErrorFrame
)


@dataclass
class EventLog:
    """Collects events in order (what the CLI prints and the tests assert on)."""

    events: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]
