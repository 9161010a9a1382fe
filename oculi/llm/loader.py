"""Resolve the configured chat model to a loaded engine, with clear errors on the way.

With `[llm] endpoint` set, every interface that loads its engine here (chat, ask, listen,
look, recall, tools, the server) talks to that OpenAI-compatible server instead of loading
the on-device model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from oculi.config import Settings
from oculi.errors import OculiError
from oculi.llm.engine import LlamaEngine
from oculi.models.resources import require_ram
from oculi.models.store import ModelStore, default_store


def remote_engine(settings: Settings, *, slots: int = 4) -> Any:
    """The `[llm] endpoint` engine, or None when no endpoint is configured."""
    llm = settings.llm
    if not llm.endpoint:
        return None
    from oculi.llm.remote import RemoteEngine

    return RemoteEngine(
        llm.endpoint,
        api_key=llm.api_key.get_secret_value() if llm.api_key else None,
        model=llm.endpoint_model,
        send_images=llm.send_images,
        slots=slots,
    )


def _model_path(settings: Settings, mid: str, store: ModelStore) -> Path:
    spec = store.get(mid)
    if spec.format != "gguf" or spec.task not in ("chat", "vision-language"):
        raise OculiError(
            f"'{mid}' is a {spec.task} model ({spec.format}), not a chat model",
            hint="see `oculi models list` for models whose task is 'chat'",
            code="wrong_model_task",
        )
    path = store.path(mid)
    require_ram(spec.ram_mb, mid)
    return path


def load_engine(
    settings: Settings, model_id: str | None = None, store: ModelStore | None = None
) -> LlamaEngine:
    """One conversation at a time (the CLI's engine), or the endpoint when one is set."""
    remote = remote_engine(settings, slots=1)
    if remote is not None:
        return remote  # type: ignore[no-any-return]  # same ChatEngine contract
    store = store or default_store()
    path = _model_path(settings, model_id or settings.llm.model, store)
    from oculi.paths import Paths

    return LlamaEngine(
        path,
        threads=settings.llm.threads,
        context_tokens=settings.llm.context_tokens,
        batch_tokens=settings.llm.batch_tokens,
        prefix_dir=Paths.from_env().models.parent / "prefix-states",
    )


def load_batched_engine(
    settings: Settings, slots: int, model_id: str | None = None, store: ModelStore | None = None
) -> Any:
    """The server's engine: `slots` conversations decoded together from one weight copy, or
    the endpoint (which batches them itself) when one is set."""
    remote = remote_engine(settings, slots=slots)
    if remote is not None:
        return remote
    from oculi.llm.batched import BatchedEngine

    store = store or default_store()
    path = _model_path(settings, model_id or settings.llm.model, store)
    return BatchedEngine(
        path,
        slots=slots,
        threads=settings.llm.threads,
        context_tokens=settings.llm.context_tokens,
        batch_tokens=settings.llm.batch_tokens,
        invariant=settings.llm.batch_invariant,
    )
