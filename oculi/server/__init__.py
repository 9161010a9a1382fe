"""oculi's HTTP server: an OpenAI-compatible API over the on-device models.

`create_app(deps, settings)` builds a FastAPI app from injected backends (chat scheduler,
embedder, transcriber, speech synthesiser, image describer); nothing lives at module level,
so tests and the CLI build as many independent apps as they like.

The names below are imported lazily: `oculi.config` reads `oculi.server.settings`, and
loading the settings must not pull in FastAPI.
"""

from typing import Any

__all__ = ["Backends", "ServerSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from oculi.server.app import create_app

        return create_app
    if name == "Backends":
        from oculi.server.state import Backends

        return Backends
    if name == "ServerSettings":
        from oculi.server.settings import ServerSettings

        return ServerSettings
    raise AttributeError(name)
