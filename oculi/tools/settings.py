"""The `[tools]` settings section (to be mounted as `Settings.tools`).

Plugins, Home Assistant and MCP servers are off until configured: nothing third-party
runs, and no process is started, just because it is installed.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class HomeAssistantSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(None, description="e.g. http://homeassistant.local:8123; unset = off")
    token: SecretStr | None = Field(None, description="a long-lived access token")
    timeout_seconds: float = Field(10.0, gt=0)
    confirm_domains: list[str] = Field(
        default_factory=lambda: ["lock", "alarm_control_panel", "cover", "garage_door", "camera"],
        description="service calls in these domains need the wearer's confirmation",
    )
    max_entities: int = Field(200, ge=1, description="entities listed to the model at most")


class MCPServerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command: str = Field(description="the program that runs the server (stdio transport)")
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    cwd: str | None = None
    enabled: bool = True
    confirm: bool | None = Field(
        None,
        description="true: confirm every call; false: never; unset: confirm unless the "
        "server marks a tool read-only",
    )
    startup_timeout_seconds: float = Field(20.0, gt=0)


class ToolsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled_plugins: list[str] = Field(
        default_factory=list, description="entry-point names (group oculi.tools) to load"
    )
    disabled: list[str] = Field(
        default_factory=list,
        description='tool names never offered; shell patterns work ("home_*"; "*": no tools, '
        "the assistant only talks)",
    )
    timeout_seconds: float = Field(20.0, gt=0, description="per call, unless the tool says")
    max_result_chars: int = Field(4000, ge=200, description="longer results are truncated")
    max_steps: int = Field(4, ge=1, description="model turns per request, tool rounds included")
    camera: str | None = Field(
        None,
        description="the glasses' camera for take_photo, record_video, describe_view and "
        'read_text_aloud: a webcam index ("0"), an http(s):// MJPEG or rtsp:// stream, or a '
        "photo, folder or video file; unset = those tools are not offered",
    )
    media_folder: Path | None = Field(
        None, description="where photos and clips are saved (default: the data folder's media/)"
    )
    memory: bool = Field(True, description="offer remember and recall over the memory store")
    intent_router: bool = Field(
        True,
        description="answer a question that plainly needs no tool in words at once, judged by "
        "sentence embeddings (the memory's MiniLM); off: the model alone decides",
    )
    homeassistant: HomeAssistantSettings = Field(default_factory=HomeAssistantSettings)
    mcp_servers: dict[str, MCPServerSettings] = Field(default_factory=dict)

    def is_disabled(self, tool_name: str) -> bool:
        return any(fnmatch.fnmatchcase(tool_name, pattern) for pattern in self.disabled)
