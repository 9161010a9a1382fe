"""Memory settings; until `oculi.config` grows a `[memory]` section, built with defaults.

Kept as a plain pydantic model so it can be nested into `Settings` unchanged later.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from oculi.paths import Paths


class MemorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: Path | None = Field(
        None, description="where memory.db and thumbs/ live (default: data/memory)"
    )
    retention_days: float = Field(
        30.0, ge=0, description="moments older than this expire; 0 = keep forever"
    )
    embed_model: str = Field("minilm-l6-v2", description="catalog id of the sentence embedder")
    sample_fps: float = Field(2.0, gt=0, description="frames per second considered for keyframes")
    scene_threshold: float = Field(
        0.35, ge=0, le=2, description="histogram distance that counts as a new scene"
    )
    max_keyframe_gap_s: float = Field(
        30.0, gt=0, description="store a keyframe at least this often"
    )
    min_sharpness: float = Field(
        15.0, ge=0, description="variance of Laplacian below which a frame is too blurred"
    )
    thumb_px: int = Field(320, ge=64, description="longest side of stored thumbnails")
    threads: int = Field(
        2, ge=1, description="CPU threads for OCR and speech (embeddings use one: faster)"
    )
    min_similarity: float = Field(
        0.30, ge=-1, le=1, description="cosine similarity a meaning-only match needs"
    )
    top_k: int = Field(6, ge=1, description="moments handed to the LLM")

    def resolved_folder(self, paths: Paths | None = None) -> Path:
        return self.folder or (paths or Paths.from_env()).data / "memory"
