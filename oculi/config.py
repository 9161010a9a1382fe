"""One settings model for the CLI, the environment and the config file.

Precedence, highest first: explicit overrides (CLI flags) > `OCULI_*` environment variables
(nested with `__`, e.g. `OCULI_LLM__THREADS=4`) > the TOML config file > defaults. The config
file is `$OCULI_CONFIG`, else `$OCULI_HOME/config.toml`, else the platform's user config
folder (`oculi doctor` prints which one is in use).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from oculi.errors import ConfigError
from oculi.memory.settings import MemorySettings
from oculi.paths import Paths
from oculi.server.settings import ServerSettings
from oculi.tools.settings import ToolsSettings
from oculi.vision.settings import VisionSettings
from oculi.voice.settings import VoiceSettings


def _default_threads() -> int:
    # llama.cpp decodes fastest on physical cores; hyper-threads only add contention.
    try:
        import psutil

        return max(1, psutil.cpu_count(logical=False) or os.cpu_count() or 1)
    except Exception:  # pragma: no cover - psutil is a dependency, this is belt and braces
        return max(1, os.cpu_count() or 1)


class LLMSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str = Field("qwen2.5-coder-1.5b-instruct", description="catalog id of the chat model")
    threads: int = Field(default_factory=_default_threads, ge=1, description="CPU threads")
    context_tokens: int = Field(4096, ge=256, description="context window in tokens")
    max_tokens: int = Field(512, ge=1, description="default answer length limit")
    temperature: float = Field(0.2, ge=0.0, le=2.0)
    batch_tokens: int = Field(256, ge=8, description="prompt tokens evaluated per batch")
    # The server's batched engine: with it, an answer never depends on which other wearers'
    # answers were decoded beside it (temperature 0 gives the same words under any load); it
    # costs a KV stream of context_tokens per slot and some speed (oculi/llm/batched.py).
    batch_invariant: bool = Field(
        False, description="server: answers independent of what is decoded beside them"
    )
    system_prompt: str = Field(
        "You are oculi, a private assistant running on the wearer's own smart glasses. "
        "Answer briefly and plainly; say so when you do not know.",
    )
    # An existing OpenAI-compatible server (vLLM, llama-server, Ollama, ...) to send LLM turns
    # to instead of the on-device model. `model` above stays the catalog id of the local one.
    endpoint: str | None = Field(None, description="base URL of an OpenAI-compatible server")
    api_key: SecretStr | None = Field(None, description="bearer key for the endpoint")
    endpoint_model: str | None = Field(
        None, description="model name the endpoint serves (default: the first it lists)"
    )
    send_images: bool = Field(
        False, description="let image parts leave the device for the endpoint (text only if off)"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OCULI_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    llm: LLMSettings = Field(default_factory=LLMSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    vision: VisionSettings = Field(default_factory=VisionSettings)
    tools: ToolsSettings = Field(default_factory=ToolsSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Paths.from_env().config_file
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=config_file),
        )


def load_settings(**overrides: Any) -> Settings:
    """Read settings, turning validation failures into one clear ConfigError."""
    config_file: Path = Paths.from_env().config_file
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"invalid configuration: {problems}",
            hint=f"check {config_file} and your OCULI_* environment variables",
        ) from exc
    except Exception as exc:  # a TOML syntax error surfaces as a decoder error
        raise ConfigError(
            f"cannot read configuration {config_file}: {exc}",
            hint="fix the TOML syntax or remove the file to use the defaults",
        ) from exc
