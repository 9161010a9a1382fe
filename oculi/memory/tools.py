"""`remember` and `recall` as agent tools: plain typed functions plus their OpenAI schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oculi.memory.service import MemoryService
from oculi.memory.sources import VideoFileSource


def remember(service: MemoryService, video: str, audio: str | None = None) -> dict[str, Any]:
    """Store what a video shows (and what its audio says) as moments in memory."""
    source = VideoFileSource(Path(video), sample_fps=service.settings.sample_fps)
    report = service.ingest(source, audio=Path(audio) if audio else None, label=Path(video).name)
    return {
        "keyframes": report.keyframes,
        "utterances": report.utterances,
        "moment_ids": report.moment_ids,
        "seconds_of_video": round(report.media_seconds, 1),
    }


def recall(service: MemoryService, question: str) -> dict[str, Any]:
    """Answer a question about what the wearer saw or heard, with cited moments."""
    return service.recall(question).to_json()


TOOL_SPECS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "recall",
            "description": "Answer a question about what the wearer saw or heard earlier "
            "(objects, text, places, what someone said), with the time of each memory used.",
            "parameters": {
                "type": "object",
                "properties": {
                    "question": {
                        "type": "string",
                        "description": "the question, with any time words",
                    }
                },
                "required": ["question"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "remember",
            "description": "Store a video file (and optionally its audio) in the wearer's memory.",
            "parameters": {
                "type": "object",
                "properties": {
                    "video": {"type": "string", "description": "path of the video file"},
                    "audio": {"type": "string", "description": "path of a separate audio file"},
                },
                "required": ["video"],
            },
        },
    },
]


def call_tool(service: MemoryService, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """Dispatch a model's tool call to the functions above."""
    if name == "recall":
        return recall(service, str(arguments["question"]))
    if name == "remember":
        return remember(service, str(arguments["video"]), arguments.get("audio"))
    raise KeyError(f"unknown memory tool {name!r}")
