"""Tools that act through other subsystems: camera, memory, scene understanding, speech.

Each subsystem is a small Protocol here; the tools are registered only when a backend is
given, so the model is never offered a tool that cannot work on this device. Backends own
the privacy rules: a camera backend blurs bystanders' faces in everything it saves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol

from pydantic import Field

from oculi.tools.base import Tool, function_tool, with_validator
from oculi.tools.builtins.clocktime import parse_duration
from oculi.tools.errors import InvalidToolArguments

MAX_CLIP_SECONDS = 300


class Camera(Protocol):
    def take_photo(self, blur_faces: bool = True) -> Path: ...

    def record_clip(self, seconds: float, blur_faces: bool = True) -> Path: ...


class Memory(Protocol):
    def remember(self, text: str) -> str: ...

    def recall(self, question: str) -> str: ...


class Viewer(Protocol):
    """What the glasses' camera sees now."""

    def describe(self, question: str) -> str: ...

    def read_text(self) -> str: ...


class Speaker(Protocol):
    def say(self, text: str) -> None: ...


@dataclass
class Backends:
    camera: Camera | None = None
    memory: Memory | None = None
    viewer: Viewer | None = None
    speaker: Speaker | None = None


class CameraTools:
    def __init__(self, camera: Camera, blur_faces: bool = True) -> None:
        self.camera = camera
        self.blur_faces = blur_faces

    def take_photo(self) -> dict[str, Any]:
        """Take a photo with the glasses' camera and save it (bystanders' faces are blurred)."""
        path = self.camera.take_photo(blur_faces=self.blur_faces)
        return {"photo_saved": str(path), "faces_blurred": self.blur_faces}

    def record_video(self, duration: Annotated[str, Field(max_length=40)] = "10 seconds") -> dict[str, Any]:
        """Record a video clip with the glasses' camera and save it (faces are blurred).

        Args:
            duration: how long, as the wearer said it, e.g. "90 seconds", "three minutes"
        """
        seconds = parse_duration(duration)  # checked by _validate_clip before the call
        path = self.camera.record_clip(float(seconds), blur_faces=self.blur_faces)
        return {"video_saved": str(path), "seconds": seconds, "faces_blurred": self.blur_faces}

    def _validate_clip(self, validate: Callable[[dict[str, Any]], dict[str, Any]]
                       ) -> Callable[[dict[str, Any]], dict[str, Any]]:
        """The spoken duration as seconds ("one minute" → "60 seconds") before anything runs."""

        def run(arguments: dict[str, Any]) -> dict[str, Any]:
            out = validate(arguments)
            seconds = parse_duration(out.get("duration") or "10 seconds")
            if not 1 <= seconds <= MAX_CLIP_SECONDS:
                raise InvalidToolArguments(f"a clip lasts 1 to {MAX_CLIP_SECONDS} seconds, not {seconds}")
            out["duration"] = f"{seconds} seconds"
            return out

        return run

    def tools(self) -> list[Tool]:
        return [
            function_tool(self.take_photo, data=["camera"], timeout=30.0),
            with_validator(function_tool(self.record_video, data=["camera", "microphone"], timeout=330.0),
                           self._validate_clip),
        ]


class MemoryTools:
    def __init__(self, memory: Memory) -> None:
        self.memory = memory

    def remember(self, fact: str) -> str:
        """Store a fact in the wearer's long-term memory, when they ask you to remember or keep
        something in mind (e.g. "remember that my bike is chained by the library").

        Args:
            fact: what to remember, as a full sentence
        """
        return self.memory.remember(fact)

    def recall(self, question: str) -> str:
        """Search the wearer's own memories of the past: what they saw, heard, stored or did
        earlier (this morning, yesterday, last week). Not for general knowledge.

        Args:
            question: the wearer's question in their own words, time words kept
        """
        return self.memory.recall(question)

    def tools(self) -> list[Tool]:
        return [
            function_tool(self.remember, data=["memory"], timeout=60.0),
            function_tool(self.recall, data=["memory"], timeout=120.0),
        ]


class ViewTools:
    def __init__(self, viewer: Viewer, speaker: Speaker | None = None) -> None:
        self.viewer = viewer
        self.speaker = speaker

    def describe_view(self, question: str = "Describe the view.") -> str:
        """Look through the glasses' camera right now and describe or answer a question about
        what the wearer is looking at. Not for things seen earlier (use recall).

        Args:
            question: what the wearer wants to know about the view
        """
        return self.viewer.describe(question)

    def read_text_aloud(self) -> dict[str, Any]:
        """Read out loud, through the camera, the text in front of the wearer now (a timetable, a price tag, a street name)."""
        text = self.viewer.read_text().strip()
        if not text:
            return {"text_read": "", "note": "no text in view"}
        if self.speaker is None:
            # No speaker of its own (the voice pipeline speaks the answer): the answer must carry it.
            return {"text_read": text, "note": "say this text to the wearer, word for word"}
        self.speaker.say(text)
        return {"text_read": text}

    def tools(self) -> list[Tool]:
        return [
            function_tool(self.describe_view, data=["camera"], timeout=120.0),
            function_tool(self.read_text_aloud, data=["camera", "speaker"], timeout=120.0),
        ]


def perception_tools(backends: Backends, blur_faces: bool = True) -> list[Tool]:
    tools: list[Tool] = []
    if backends.camera is not None:
        tools += CameraTools(backends.camera, blur_faces).tools()
    if backends.memory is not None:
        tools += MemoryTools(backends.memory).tools()
    if backends.viewer is not None:
        tools += ViewTools(backends.viewer, backends.speaker).tools()
    return tools
