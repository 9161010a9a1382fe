"""Sentence embeddings with all-MiniLM-L6-v2 (int8 ONNX) — meaning search without a GPU.

Mean pooling over the attention mask and L2 normalisation, as sentence-transformers does for
this model, so a dot product is the cosine similarity.

Ingest and recall embed one short sentence at a time. For that, one ONNX thread is faster
than two (measured with `oculi bench memory` on 2 cores: ~10 ms vs ~12–23 ms, worse when
other processes load the CPU), and worker threads must not spin-wait between calls: a
spinning pool burns the core that the full-text search of the same recall runs on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from oculi.memory.errors import MemoryDependencyMissing

MAX_TOKENS = 128


class MiniLMEmbedder:
    dim = 384

    def __init__(self, folder: Path, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MemoryDependencyMissing(
                f"embeddings need onnxruntime and tokenizers ({exc.name} is missing)",
                hint="pip install onnxruntime tokenizers",
            ) from exc
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(
            str(folder / "model.onnx"), opts, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}

    def embed(self, texts: list[str]) -> NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        enc = self.tokenizer.encode_batch([t if t.strip() else "." for t in texts])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feed)[0]  # (batch, tokens, 384)
        m = mask[..., None].astype(np.float32)
        pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def load_embedder(model_id: str = "minilm-l6-v2", threads: int = 1) -> MiniLMEmbedder:
    from oculi.models.store import default_store

    return MiniLMEmbedder(default_store().path(model_id), threads=threads)
