"""Camera frames of a realtime session: keep the latest, perceive it at a bounded rate.

A glasses camera sends frames faster than OCR can read them. Only the newest frame waits
(a one-place mailbox: a frame that arrives before the previous one was looked at replaces
it, and is counted as dropped), perception runs on a shared single worker thread, and at
most one run per `interval_s` per session — the queue can never grow. Decoding happens on
that worker too, so a hostile JPEG costs the event loop nothing; a bad one becomes an error
event naming the frame, and the session goes on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

from pydantic import BaseModel

from oculi.errors import OculiError
from oculi.realtime.protocol import ErrorEvent, FrameIn, Overlay, OverlayItem
from oculi.vision.decode import decode_image_bytes
from oculi.vision.frame import Frame
from oculi.vision.perception.pipeline import Perceiver
from oculi.vision.perception.scene import place, spoken
from oculi.vision.perception.types import Perception

log = logging.getLogger("oculi.realtime")


@dataclass
class Seen:
    """A perceived frame: what the look agent answers from."""

    frame_id: int
    frame: Frame
    perception: Perception
    at: float  # monotonic time perception finished


def overlay_for(seen: Seen, dropped: int) -> Overlay:
    p = seen.perception
    items = [OverlayItem(kind="text", box=t.box, text=t.text, score=round(t.score, 3))
             for t in p.text]
    items += [OverlayItem(kind="code", box=c.box, text=c.text, label=c.kind) for c in p.codes]
    items += [OverlayItem(kind="face", box=f.box, label="face") for f in p.faces]
    items += [OverlayItem(kind="object", box=o.box, label=o.label, score=round(o.score, 3),
                          text=f"{spoken(o.label)}, {place(o.box, p.width)}")
              for o in p.objects or []]
    return Overlay(frame_id=seen.frame_id, width=p.width, height=p.height, items=items,
                   quality=list(p.quality.problems) if p.quality else [], errors=dict(p.errors),
                   timings={k: round(v, 4) for k, v in p.timings.items()},
                   dropped_frames=dropped)


class FrameWorker:
    def __init__(
        self,
        perceiver: Perceiver | None,
        executor: Executor,
        emit: Callable[[BaseModel], None],
        *,
        interval_s: float,
        max_pixels: int,
        max_age_s: float,
        overlay: bool,
        on_seen: Callable[[Seen], None] | None = None,
    ) -> None:
        """`on_seen` is called on the perception thread with every perceived frame."""
        self.perceiver = perceiver
        self.on_seen = on_seen
        self.executor = executor
        self.emit = emit
        self.interval_s = interval_s
        self.max_pixels = max_pixels
        self.max_age_s = max_age_s
        self.overlay = overlay
        self.seen: Seen | None = None
        self.dropped = 0
        self.perceived = 0
        self._latest: FrameIn | None = None
        self._wake = asyncio.Event()
        self._inflight: asyncio.Future[Seen | None] | None = None

    # ------------------------------------------------------------------ the loop's side
    def offer(self, frame: FrameIn) -> None:
        if self._latest is not None:
            self.dropped += 1
        self._latest = frame
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            t0 = time.monotonic()
            await self._perceive_latest()
            await asyncio.sleep(max(0.0, self.interval_s - (time.monotonic() - t0)))

    async def _perceive_latest(self) -> Seen | None:
        item, self._latest = self._latest, None
        if item is None or self.perceiver is None:
            return self.seen
        fid = item.header.id
        fut = asyncio.wrap_future(self.executor.submit(self._perceive, item))
        self._inflight = fut
        try:
            seen = await fut
        except OculiError as exc:
            self.emit(ErrorEvent(code=exc.code, message=exc.message, hint=exc.hint,
                                 ref=f"frame:{fid}"))
            return None
        except Exception as exc:
            log.exception("perception failed on frame %s", fid)
            self.emit(ErrorEvent(code="perception_failed", message=f"{type(exc).__name__}: {exc}",
                                 ref=f"frame:{fid}"))
            return None
        finally:
            self._inflight = None
        self.seen = seen
        self.perceived += 1
        if self.overlay:
            self.emit(overlay_for(seen, self.dropped))
        return seen

    async def fresh(self) -> Seen | None:
        """The newest frame, perceived: waits for a run in progress, or reads a waiting frame."""
        if self._inflight is not None:
            await asyncio.wait({self._inflight})
        if self._latest is not None:
            await self._perceive_latest()
        seen = self.seen
        if seen is None or time.monotonic() - seen.at > self.max_age_s:
            return None
        return seen

    # ------------------------------------------------------------------ worker thread
    def _perceive(self, item: FrameIn) -> Seen:
        fid = item.header.id
        image = decode_image_bytes(item.jpeg, name=f"frame {fid}", max_pixels=self.max_pixels)
        frame = Frame(image=image, timestamp=time.time(), source="realtime", index=fid)
        assert self.perceiver is not None
        seen = Seen(fid, frame, self.perceiver.perceive(image), time.monotonic())
        if self.on_seen is not None:
            try:
                self.on_seen(seen)
            except Exception:  # the overlay still goes out
                log.exception("frame listener failed on frame %s", fid)
        return seen
