"""What the session's camera sees now, as a short note the model reads with the question.

Why a note in the conversation rather than a tool the model must call: on a 2-core CPU every
token the model writes costs ~55 ms and every token it reads ~25 ms. A look as a tool costs a
tool call (~15 written tokens) and then a second model call that reads the findings after
the question. As a note placed just before the wearer's words, the findings are read while
the wearer is still speaking (with the partial-transcript guess), and a look question is
answered in the same single model call as any other. The model still decides by what was
asked: it uses the note for questions about the view and ignores it otherwise.

The note is frozen once per turn (`ViewSnapshot`), so the guess read while the wearer speaks
and the final prompt agree token for token.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from oculi.look.prompt import findings
from oculi.vision.frame import Frame
from oculi.vision.perception.types import Perception

# Said once in the system prompt, so each note can stay a few labelled lines.
VIEW_HEADER = "Camera view now:"
NO_PICTURE = f"{VIEW_HEADER}\nNo picture has come from the camera yet."
# Said before the first question too: the instructions alone, 3,000 tokens of tool list away,
# did not stop the 1.5B model from reading out an imagined sign.
NO_CAMERA_ANSWER = "I can't see anything: no camera or image is connected."
NO_CAMERA = (f"{VIEW_HEADER}\nNone: no camera or image is connected. To any question about "
             f'a sign, text or what is around the wearer, answer "{NO_CAMERA_ANSWER}"')


@dataclass(frozen=True)
class ViewSnapshot:
    """One perceived frame, as the model will read it."""

    frame_id: int
    frame: Frame
    perception: Perception
    note: str
    at: float  # monotonic time it was perceived


def view_note(perception: Perception, has_detector: bool, caption: str | None = None) -> str:
    """The perception findings without the per-question lines (a question comes later).

    `findings` dictates an exact refusal for a poor picture; here it is made conditional,
    because the note is read with every question, not only questions about the view.
    """
    lines = findings(perception, has_detector, caption, question="what is here")  # asks nothing about text
    lines = lines.replace('\nAnswer "', '\nIf asked about the view, answer "')
    quoted = [line for line in lines.splitlines() if line.startswith('"')]
    block = "\n".join(quoted)
    lines = f"\n{lines}"  # every labelled line now starts after a newline
    if len(quoted) > 1 and f"\nText:\n{block}" in lines:
        # Small models quote the first of several quoted lines and stop, even when told to
        # quote all ("The sign says "GATE"." of GATE / 12 / BOARDING 10:40). One quoted run,
        # lines in reading order with a comma between them, is read out whole, and is how a
        # person reads a sign aloud.
        run = ", ".join(q[1:-1].strip() for q in quoted)
        lines = lines.replace(f"\nText:\n{block}",
                              f'\nText ({len(quoted)} lines in reading order, a comma between lines):\n"{run}"', 1)
    return f"{VIEW_HEADER}{lines}"


class CurrentView:
    """The latest perceived frame of a session; written by whatever feeds the camera.

    Thread-safe: a frame worker writes, the assistant's turn thread reads. `max_age_s`
    keeps a long-gone picture from being described as the view now.
    """

    def __init__(self, *, has_detector: bool = False, max_age_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.has_detector = has_detector
        self.max_age_s = max_age_s
        self.clock = clock
        self._lock = threading.Lock()
        self._latest: ViewSnapshot | None = None
        self._fresh: Callable[[], ViewSnapshot | None] | None = None

    def update(self, frame_id: int, frame: Frame, perception: Perception,
               at: float | None = None) -> ViewSnapshot:
        snap = ViewSnapshot(frame_id, frame, perception,
                            view_note(perception, self.has_detector, perception.caption),
                            self.clock() if at is None else at)
        with self._lock:
            self._latest = snap
        return snap

    def set_fresh(self, fresh: Callable[[], ViewSnapshot | None]) -> None:
        """A way to get the newest frame perceived now (waits for perception in progress)."""
        self._fresh = fresh

    def latest(self) -> ViewSnapshot | None:
        with self._lock:
            snap = self._latest
        if snap is None or self.clock() - snap.at > self.max_age_s:
            return None
        return snap

    def snapshot(self) -> ViewSnapshot | None:
        """The newest perceived frame, waiting for one being perceived when there is a way to."""
        if self._fresh is not None:
            try:
                snap = self._fresh()
            except Exception:  # noqa: BLE001 - no picture is an answer too ("I can't see")
                snap = None
            if snap is not None:
                return snap
        return self.latest()


def still_view(frame: Frame, perception: Perception, has_detector: bool) -> CurrentView:
    """A view that never changes (a photo given with --image): never too old."""
    view = CurrentView(has_detector=has_detector, max_age_s=float("inf"))
    view.update(0, frame, perception)
    return view
