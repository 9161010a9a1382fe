"""Argument checks that must run before any model loads, so a typo costs a second, not the
half-minute it takes to load speech and vision models first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oculi.errors import ModelNotInstalled, OculiError


def require_model(model_id: str) -> None:
    """Known to the catalog (else ModelNotFound) and installed (else how to install it)."""
    from oculi.models.store import default_store

    store = default_store()
    status = store.status(store.get(model_id))
    if not status.installed:
        raise ModelNotInstalled(
            f"model '{model_id}' is not installed ({status.detail})",
            hint=f"run `oculi models pull {model_id}`",
        )


def require_chat_model(settings: Any, model_id: str | None) -> None:
    """`require_model` for the chat model, unless `[llm] endpoint` answers the LLM turns:
    then no chat model needs to be on the device (`load_engine` hands every turn to it)."""
    if settings.llm.endpoint:
        return
    require_model(model_id or settings.llm.model)


def require_folder(path: Path, what: str, option: str) -> None:
    if path.exists() and not path.is_dir():
        raise OculiError(f"{what} must be a folder, but {path} is a file",
                         hint=f"pass a folder with {option}", code="not_a_folder")
