"""POST /v1/embeddings. The official client asks for base64 by default, so both encodings work."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
from fastapi import APIRouter, Request

from oculi.server.errors import invalid, unsupported
from oculi.server.protocol import EmbeddingRequest
from oculi.server.state import get_state, not_configured, wrong_model

router = APIRouter()
MAX_INPUTS = 2048


@router.post("/v1/embeddings", tags=["openai"])
async def embeddings(body: EmbeddingRequest, request: Request) -> dict[str, Any]:
    state = get_state(request)
    emb = state.backends.embedder
    if emb is None:
        raise not_configured("embedding", body.model)
    if body.model != emb.model_id:
        raise wrong_model(body.model, emb.model_id)
    if body.dimensions is not None and body.dimensions != emb.dimensions:
        raise unsupported("dimensions", f"{emb.model_id} only gives {emb.dimensions} dimensions")
    texts = [body.input] if isinstance(body.input, str) else body.input
    if not texts or not all(isinstance(t, str) for t in texts):
        raise unsupported("input", "give text; token arrays are not accepted")
    if len(texts) > MAX_INPUTS:
        raise invalid(f"at most {MAX_INPUTS} inputs per request", param="input")
    if any(not t for t in texts):  # type: ignore[union-attr]
        raise invalid("input strings must not be empty", param="input")
    strs: list[str] = texts  # type: ignore[assignment]
    vectors = await state.aux.run(emb.embed, strs)
    tokens = await state.aux.run(emb.count_tokens, strs)
    data = []
    for i, vec in enumerate(vectors):
        value: Any = vec
        if body.encoding_format == "base64":
            value = base64.b64encode(np.asarray(vec, dtype="<f4").tobytes()).decode()
        data.append({"object": "embedding", "index": i, "embedding": value})
    return {
        "object": "list",
        "data": data,
        "model": emb.model_id,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
