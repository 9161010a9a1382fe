"""What the terminal commands share around the one assistant: eyes, consent and printing.

`oculi chat`, `ask`, `listen` and `live` each build an `AssistantHost` and one session; this
module turns `--image/--video/--camera` into the session's view, asks for confirmations at
the terminal, and prints tool activity and notifications the same way everywhere.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

from oculi.agent.events import AgentEvent, ConfirmationAsked, ToolCallFinished, ToolCallStarted
from oculi.assistant.events import AssistantEvent, MemoryStateChanged, NotificationFired
from oculi.assistant.view import CurrentView, still_view
from oculi.cli.console import console, err_console
from oculi.config import Settings
from oculi.tools.registry import ConfirmationRequest


def terminal_confirm(request: ConfirmationRequest) -> bool:
    """Ask at the terminal; with no terminal to ask at, the call is declined."""
    if not sys.stdin.isatty():
        err_console.print(f"[yellow]declined[/] {request.summary()}: it needs your consent and "
                          "there is no terminal to ask at", highlight=False)
        return False
    try:
        answer = console.input(f"[bold yellow]allow[/] {request.summary()}? [y/N] ")
    except (EOFError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes")


def print_agent_event(ev: AgentEvent) -> None:
    """Tool activity as dim lines on stderr (stdout carries only the answer)."""
    if isinstance(ev, ToolCallStarted):
        args = ev.arguments if isinstance(ev.arguments, str) else ", ".join(
            f"{k}={v!r}" for k, v in ev.arguments.items())
        err_console.print(f"[dim]⚙ {ev.name}({args})[/]", highlight=False)
    elif isinstance(ev, ToolCallFinished):
        mark = "✓" if ev.ok else "✗"
        line = " ".join(ev.content.split())
        err_console.print(f"[dim]  {mark} {line[:160]}[/]", highlight=False)
    elif isinstance(ev, ConfirmationAsked) and not ev.approved:
        err_console.print(f"[dim]  (not allowed: {ev.name})[/]", highlight=False)


def print_assistant_event(ev: AssistantEvent) -> None:
    if isinstance(ev, NotificationFired):
        n = ev.notification
        late = " (late)" if n.late_seconds > 5 else ""
        console.print(f"\n[bold magenta]⏰ {n.title}{late}[/]: {n.text}", highlight=False)
    elif isinstance(ev, MemoryStateChanged):
        state = "on" if ev.recording else "off"
        err_console.print(f"[dim](memory {state}: {ev.reason})[/]", highlight=False)


def eyes(settings: Settings, image: Path | None, video: Path | None, at: float | None,
         camera: int | None) -> tuple[CurrentView | None, Any]:
    """The session's view from the command line: a photo or a video moment (perceived once),
    a webcam (perceived about once a second in the background), or None. Returns the view
    and a stop function."""
    chosen = [x for x in (image, video, camera) if x is not None]
    if not chosen:
        return None, lambda: None
    from oculi.models.store import default_store
    from oculi.vision.perception import build_perceiver
    from oculi.vision.sources import CameraSource, VideoFileSource, first_frame, open_source

    vs = settings.vision
    if camera is None:
        source = (VideoFileSource(video, at=at, max_pixels=vs.max_pixels) if video is not None
                  else open_source(str(image), max_pixels=vs.max_pixels))
        frame = first_frame(source)  # a bad file fails here, before models load
        with err_console.status("loading perception models…"):
            perceiver = build_perceiver(vs, store=default_store())
        return still_view(frame, perceiver.perceive(frame.image), perceiver.has_objects), lambda: None
    with err_console.status("loading perception models…"):
        perceiver = build_perceiver(vs, store=default_store())
    view = CurrentView(has_detector=perceiver.has_objects, max_age_s=10.0)
    watcher = CameraWatcher(CameraSource(camera, warmup_frames=5), perceiver, view)
    watcher.start()
    return view, watcher.stop


class CameraWatcher:
    """Keeps a view current from a live camera: one perception every `interval_s`."""

    def __init__(self, source: Any, perceiver: Any, view: CurrentView, interval_s: float = 1.0,
                 on_seen: Any = None) -> None:
        self.source, self.perceiver, self.view = source, perceiver, view
        self.interval_s = interval_s
        self.on_seen = on_seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="oculi-camera", daemon=True)
        self.error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        last = 0.0
        try:
            for i, frame in enumerate(self.source.frames()):
                if self._stop.is_set():
                    return
                if time.monotonic() - last < self.interval_s:
                    continue
                last = time.monotonic()
                snap = self.view.update(i, frame, self.perceiver.perceive(frame.image))
                if self.on_seen is not None:
                    self.on_seen(snap)
        except Exception as exc:  # noqa: BLE001 - the wearer hears "no picture", not a crash
            self.error = str(exc)
            err_console.print(f"[yellow]camera stopped[/]: {exc}", highlight=False)
