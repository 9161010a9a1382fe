"""Resolve the configured chat model to a loaded engine, with clear errors on the way."""

from __future__ import annotations

from oculi.config import Settings
from oculi.errors import OculiError
from oculi.llm.engine import LlamaEngine
from oculi.models.resources import require_ram
from oculi.models.store import ModelStore, default_store


def load_engine(
    settings: Settings, model_id: str | None = None, store: ModelStore | None = None
) -> LlamaEngine:
    store = store or default_store()
    mid = model_id or settings.llm.model
    spec = store.get(mid)
    if spec.format != "gguf" or spec.task not in ("chat", "vision-language"):
        raise OculiError(
            f"'{mid}' is a {spec.task} model ({spec.format}), not a chat model",
            hint="see `oculi models list` for models whose task is 'chat'",
            code="wrong_model_task",
        )
    path = store.path(mid)
    require_ram(spec.ram_mb, mid)
    from oculi.paths import Paths

    return LlamaEngine(
        path,
        threads=settings.llm.threads,
        context_tokens=settings.llm.context_tokens,
        batch_tokens=settings.llm.batch_tokens,
        prefix_dir=Paths.from_env().models.parent / "prefix-states",
    )
