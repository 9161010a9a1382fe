"""Live memory: a session with the camera on records moments as it goes.

The same store, keyframe rule, privacy rules and fail-closed face blur as `oculi remember`:
a perceived frame that is a new scene (or the first after `max_keyframe_gap_s`) becomes a
"sight" moment with the text read, the people count and the objects named; what the wearer
says becomes a "speech" moment. Thumbnails are face-blurred or not stored at all.

`pause_memory` / `resume_memory` are tools, so "stop remembering" works by voice; the pause
is the store's own flag (`oculi memory pause` sees it too), so it holds across sessions.
All writes run on one worker thread: perception and turns never wait for SQLite.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from oculi.assistant.events import MemoryStateChanged
from oculi.assistant.view import ViewSnapshot
from oculi.memory import controls
from oculi.memory.ingest import ingest_utterances
from oculi.memory.keyframes import KeyframeSelector
from oculi.memory.protocols import TimedFrame, Utterance
from oculi.memory.service import MemoryService
from oculi.memory.store import NewMoment
from oculi.memory.thumbnails import make_thumbnail
from oculi.tools.base import Tool, function_tool

log = logging.getLogger("oculi.assistant.memory")

SOURCE = "live session"


def objects_line(snapshot: ViewSnapshot) -> str | None:
    objects = [o.label for o in snapshot.perception.objects or [] if o.label != "person"]
    if not objects:
        return None
    counts = Counter(objects)
    return "seen: " + ", ".join(f"{n} {label}" if n > 1 else label for label, n in counts.most_common(8))


class LiveMemory:
    def __init__(
        self,
        service: MemoryService,
        *,
        on_state: Callable[[MemoryStateChanged], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.on_state = on_state or (lambda e: None)
        self.clock = clock
        s = service.settings
        self.selector = KeyframeSelector(s.scene_threshold, s.max_keyframe_gap_s, s.min_sharpness)
        self.key = f"live:{uuid.uuid4().hex[:12]}"
        self.stored = 0
        self.errors = 0
        self._x = ThreadPoolExecutor(1, thread_name_prefix="oculi-live-memory")

    # ------------------------------------------------------------------ state
    @property
    def recording(self) -> bool:
        try:
            return not controls.is_paused(self.service.store())
        except Exception:  # noqa: BLE001 - an unreadable store records nothing
            return False

    def pause_memory(self) -> str:
        """Stop recording what the wearer sees and says into long-term memory, until resumed.
        For "stop remembering", "don't record this", "pause memory"."""
        controls.pause(self.service.store())
        self.on_state(MemoryStateChanged(False, "paused by the wearer"))
        return "memory paused: nothing more is being recorded"

    def resume_memory(self) -> str:
        """Start recording into long-term memory again after it was paused."""
        controls.resume(self.service.store())
        self.on_state(MemoryStateChanged(True, "resumed by the wearer"))
        return "memory is recording again"

    def tools(self) -> list[Tool]:
        return [function_tool(self.pause_memory, data=["memory"]),
                function_tool(self.resume_memory, data=["memory"])]

    # ------------------------------------------------------------------ recording
    def saw(self, snapshot: ViewSnapshot) -> None:
        """Offer a perceived frame (any thread); stored when it is a keyframe."""
        self._x.submit(self._guard, self._store_sight, snapshot)

    def heard(self, text: str, at: float | None = None) -> None:
        """What the wearer said in a turn."""
        if text.strip():
            self._x.submit(self._guard, self._store_speech, text.strip(), at or self.clock())

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for the writes queued so far (tests, shutdown)."""
        self._x.submit(lambda: None).result(timeout=timeout)

    def close(self) -> None:
        self._x.shutdown(wait=True, cancel_futures=False)

    def _guard(self, job: Callable[..., None], *args: object) -> None:
        try:
            job(*args)
        except Exception as exc:  # noqa: BLE001 - memory never breaks the conversation
            self.errors += 1
            log.warning("live memory could not store a moment: %s", exc)

    def _store_sight(self, snapshot: ViewSnapshot) -> None:
        store = self.service.store()
        if controls.is_paused(store):
            return
        ts = self.clock()
        rgb = snapshot.frame.image
        if not self.selector.offer(TimedFrame(ts, rgb)):
            return
        blurrer = self.service.face_blur()
        thumb = make_thumbnail(rgb, blurrer, store.folder, ts, self.service.settings.thumb_px)
        p = snapshot.perception
        moment = NewMoment(
            kind="sight", ts=ts, source=SOURCE,
            ocr_text=" ".join(t.text for t in p.text),
            caption=objects_line(snapshot),
            people=len(p.faces) if "faces" not in p.errors else None,
            thumb=thumb.path, image_note=thumb.withheld,
        )
        store.add(moment, self.service.sentence_embedder().embed([moment.body()])[0])
        self.stored += 1

    def _store_speech(self, text: str, at: float) -> None:
        store = self.service.store()
        if controls.is_paused(store):
            return
        ingest_utterances(store, f"{self.key}:{uuid.uuid4().hex[:8]}", [Utterance(at, at, text)],
                          self.service.sentence_embedder(), source_label=SOURCE)
        self.stored += 1
