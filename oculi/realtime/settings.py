"""Realtime limits: how much one session may send, and how often perception runs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RealtimeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="serve /v1/realtime and the /hud page")
    preload: bool = Field(
        False, description="load the perception models at start instead of on the first session"
    )
    max_sessions: int = Field(4, ge=1, le=64, description="concurrent realtime sessions")
    max_frame_bytes: int = Field(
        4 * 1024 * 1024, ge=1024, description="largest JPEG a client may send"
    )
    max_frame_pixels: int = Field(
        16_000_000, ge=1, description="largest decoded frame (refused before decoding pixels)"
    )
    overlay_interval_s: float = Field(
        0.5, ge=0.0, le=60.0, description="least time between two perception runs per session"
    )
    frame_max_age_s: float = Field(
        30.0, gt=0, description="a question looks at the latest frame if it is newer than this"
    )
    audio_queue_seconds: float = Field(
        20.0, ge=1.0, description="unprocessed input audio kept before the oldest is dropped"
    )
    live_memory: bool = Field(
        True, description="record what a session sees and hears into the memory store "
        "(faces blurred; needs [tools] memory; 'stop remembering' pauses it)")
    confirm_timeout_s: float = Field(
        30.0, gt=0, le=600, description="a confirm.request not answered in time is declined")
    output_chunk_ms: int = Field(100, ge=10, le=1000, description="answer audio per message")
