"""Server settings: one pydantic model, fed by the CLI flags (and later by `oculi.config`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from oculi.realtime.settings import RealtimeSettings


class ServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field("127.0.0.1", description="address to bind; anything else needs API keys")
    port: int = Field(8000, ge=0, le=65535)
    api_keys: list[SecretStr] = Field(default_factory=list, description="accepted bearer keys")
    chat_slots: int = Field(
        4, ge=1, le=32, description="chat conversations decoded at once"
    )
    chat_engine: Literal["batched", "slots"] = Field(
        "batched",
        description="batched: every slot a sequence of one llama.cpp context (one copy of the "
                    "weights, one batch a step); slots: one engine per slot, a token each in turn",
    )
    intent_router: bool = Field(
        True, description="with an app's tools and tool_choice auto, answer small talk and known "
                          "questions in words without offering a call (needs minilm-l6-v2)"
    )
    queue_size: int = Field(16, ge=0, description="requests that may wait for a free slot")
    retry_after_seconds: int = Field(2, ge=1, description="Retry-After sent with a 503")
    max_request_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="JSON body limit")
    max_upload_bytes: int = Field(25 * 1024 * 1024, ge=1024, description="audio upload limit")
    max_image_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="one image's size limit")
    image_fetch_timeout: float = Field(10.0, gt=0, description="seconds for an http(s) image")
    allow_private_image_urls: bool = Field(
        False, description="let image_url reach loopback and private addresses"
    )
    max_tokens_default: int = Field(512, ge=1)
    max_tokens_limit: int = Field(4096, ge=1)
    temperature_default: float = Field(0.2, ge=0.0, le=2.0)
    speech_voices: list[str] = Field(default_factory=lambda: ["heart"])
    realtime: RealtimeSettings = Field(
        default_factory=RealtimeSettings, description="the realtime WebSocket API and the HUD"
    )
