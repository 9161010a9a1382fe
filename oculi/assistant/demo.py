"""The assistant's main job, shown on a machine with no camera and no microphone.

A short scripted session through the same `Assistant`, voice pipeline and tools as
`oculi live`, with generated inputs: a rendered sign as the camera picture, questions spoken
by the on-device voice (hibari) as the microphone. It looks, answers a follow-up from the
conversation, sets a timer that really rings, remembers a fact and recalls it. Each spoken
answer is written to a WAV file. Nothing here is a mock: only the inputs are synthetic.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from oculi.assistant.events import AssistantEvent, NotificationFired
from oculi.assistant.host import AssistantHost
from oculi.assistant.view import still_view
from oculi.assistant.voice import VoiceTurns
from oculi.config import Settings
from oculi.vision.frame import Frame
from oculi.voice.audio_in import resample
from oculi.voice.audio_out import WavSink
from oculi.voice.frames import Event, FinalTranscript, TurnDone
from oculi.voice.models import VoiceModels
from oculi.voice.pipeline import VoicePipeline
from oculi.voice.sources import ArraySource

SIGN_LINES = ("GATE 12", "BOARDING 10:40")
SCRIPT = (
    "Read me the sign.",
    "When does boarding start?",
    "Start a ten-second timer.",
    "Remember that my bike is locked at the north entrance.",
    "Where is my bike?",
)
TIMER_WAIT_S = 60.0


@dataclass
class DemoTurn:
    said: str
    heard: str = ""
    answer: str = ""
    tools: list[str] = field(default_factory=list)
    audio: Path | None = None
    seconds: float = 0.0


def render_sign(lines: tuple[str, ...] = SIGN_LINES, size: tuple[int, int] = (800, 480)) -> np.ndarray:
    """A printed sign as a camera would see it (RGB): dark text on a light card."""
    w, h = size
    img = np.full((h, w, 3), 230, np.uint8)
    cv2.rectangle(img, (30, 30), (w - 30, h - 30), (40, 40, 40), 4)
    for i, line in enumerate(lines):
        cv2.putText(img, line, (70, 170 + i * 140), cv2.FONT_HERSHEY_SIMPLEX, 2.4, (15, 15, 15),
                    7, cv2.LINE_AA)
    return img


class Demo:
    def __init__(self, settings: Settings, engine: object, out: Path,
                 say: Callable[[str], None] = print) -> None:
        self.settings, self.engine, self.out, self.say = settings, engine, out, say
        self.turns: list[DemoTurn] = []
        self.rang = threading.Event()
        self.announcement: DemoTurn | None = None
        self.seen_calls: set[str] = set()

    def run(self) -> list[DemoTurn]:
        from oculi.models.store import default_store
        from oculi.paths import Paths
        from oculi.vision.perception import build_perceiver

        self.out.mkdir(parents=True, exist_ok=True)
        data = Paths.from_env().data / "demo"  # the demo's reminders and memories stay apart
        settings = self.settings.model_copy(deep=True)
        settings.memory.folder = data / "memory"
        image = render_sign()
        perceiver = build_perceiver(settings.vision, store=default_store())
        frame = Frame(image=image, timestamp=time.time(), source="demo sign", index=0)
        cv2.imwrite(str(self.out / "camera.png"), image[:, :, ::-1])
        self.say(f"camera picture (generated): {self.out / 'camera.png'}")
        view = still_view(frame, perceiver.perceive(image), perceiver.has_objects)
        models = VoiceModels.load(settings.voice)
        with AssistantHost(settings, engine=lambda: self.engine, data_dir=data) as host:
            assistant = host.session(self.engine, view=view, max_tokens=settings.voice.max_answer_tokens)
            assistant.subscribe(self._on_assistant)
            self.say("reading the assistant's instructions (once; saved for next time)…")
            assistant.warm_up()
            models.warm_up()
            for i, said in enumerate(SCRIPT, 1):
                turn = self._spoken_turn(models, assistant, said, self.out / f"answer-{i}.wav")
                self.turns.append(turn)
                self._print(i, turn)
                if "timer" in said:
                    self._wait_for_timer(models)
            assistant.close()
        return self.turns

    # ------------------------------------------------------------------ one spoken turn
    def _spoken_turn(self, models: VoiceModels, assistant: object, said: str, wav: Path) -> DemoTurn:
        turn = DemoTurn(said, audio=wav)
        voice = self.settings.voice
        speech = resample(models.tts.synthesize(said), models.tts.sample_rate)

        def on_event(ev: Event) -> None:
            if isinstance(ev, FinalTranscript):
                turn.heard = ev.text
            elif isinstance(ev, TurnDone):
                turn.answer = ev.answer

        agent = VoiceTurns(assistant)  # type: ignore[arg-type]
        pipeline = VoicePipeline(settings=voice, vad=models.new_vad(), stt=models.stt,
                                 tts=models.tts, agent=agent, sink=WavSink(wav), on_event=on_event,
                                 realtime_output=False)
        source = ArraySource(speech, realtime=False,
                             trailing_silence_s=voice.end_of_turn_silence_ms / 1000 + 0.5)
        t0 = time.perf_counter()
        try:
            asyncio.run(pipeline.run(source))
        finally:
            pipeline.close()
        turn.seconds = time.perf_counter() - t0
        # calls not seen before (by id: the history is trimmed as it grows, so no index holds)
        calls = [c for m in assistant.history for c in m.tool_calls  # type: ignore[attr-defined]
                 if c.id not in self.seen_calls]
        self.seen_calls.update(c.id for c in calls)
        turn.tools = [c.name for c in calls]
        return turn

    def _on_assistant(self, ev: AssistantEvent) -> None:
        if isinstance(ev, NotificationFired):
            self.announcement = DemoTurn("(timer rang)", answer=ev.notification.text)
            self.rang.set()

    def _wait_for_timer(self, models: VoiceModels) -> None:
        self.say("… waiting for the timer to ring")
        if not self.rang.wait(TIMER_WAIT_S):
            self.say("  (the timer did not ring within a minute)")
            return
        assert self.announcement is not None
        wav = self.out / "timer.wav"
        sink = WavSink(wav)
        sink.write(models.tts.synthesize(self.announcement.answer), models.tts.sample_rate)
        sink.close()
        self.announcement.audio = wav
        self.turns.append(self.announcement)
        self._print(0, self.announcement)

    def _print(self, i: int, t: DemoTurn) -> None:
        label = f"turn {i}" if i else "notification"
        tools = f"  (tools: {', '.join(t.tools)})" if t.tools else ""  # no [..]: rich markup
        self.say(f"\n{label} — spoken: {t.said!r}")
        if t.heard:
            self.say(f"  heard:  {t.heard}")
        self.say(f"  oculi:  {t.answer}{tools}")
        if t.audio is not None:
            self.say(f"  audio:  {t.audio}" + (f"  ({t.seconds:.1f} s)" if t.seconds else ""))
