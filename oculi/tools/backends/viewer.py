"""What the glasses see right now: look-and-ask answers and text read from the view.

`describe` is `oculi ask` as a tool: perception (text, codes, faces, objects if a detector
is installed, a VLM caption if one is) grounds the LLM's answer, which says what it could
not see instead of guessing. `read_text` needs no LLM: it is OCR in reading order, or the
reason nothing could be read (dark, blurred, glare).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oculi.tools.backends.camera import OpenSource
from oculi.tools.errors import ToolError, ToolUnavailable
from oculi.vision.frame import Frame
from oculi.vision.perception.pipeline import Perceiver
from oculi.vision.sources import first_frame


class LookViewer:
    """The `Viewer` protocol over a frame source, the Perceiver and the chat engine."""

    def __init__(
        self,
        open_source: OpenSource,
        perceiver: Callable[[], Perceiver],
        engine: Callable[[], Any] | None = None,
        vlm: Callable[[], Any] | None = None,
        max_tokens: int = 160,
    ) -> None:
        """`perceiver`, `engine` and `vlm` are providers: models load on first use only."""
        self.open_source = open_source
        self.perceiver = perceiver
        self.engine = engine
        self.vlm = vlm
        self.max_tokens = max_tokens

    def _frame(self) -> Frame:
        try:
            return first_frame(self.open_source())
        except Exception as exc:
            raise ToolUnavailable(
                f"the camera gave no picture: {exc}",
                hint="check the camera source in [tools] camera",
            ) from exc

    def describe(self, question: str) -> str:
        from oculi.look.agent import LookAgent, LookSettings

        if self.engine is None:
            raise ToolUnavailable("no language model to answer with", hint="configure [llm]")
        agent = LookAgent(
            self.engine(),
            self.perceiver(),
            vlm=self.vlm() if self.vlm else None,
            settings=LookSettings(max_tokens=self.max_tokens),
        )
        return agent.answer(question, self._frame()).text

    def read_text(self) -> str:
        p = self.perceiver().perceive(self._frame().image)
        if p.full_text.strip():
            return p.full_text
        if "ocr" in p.errors:
            raise ToolUnavailable(f"text reading failed: {p.errors['ocr']}")
        if p.quality is not None and p.quality.problems:
            raise NothingReadable(
                f"no text could be read: the picture is {', '.join(p.quality.problems)}",
                hint=p.quality.advice or None,
            )
        return ""


class NothingReadable(ToolError):
    """The view holds no legible text, and perception can say why (dark, blurred, glare)."""

    code = "nothing_readable"
