"""Build a tiny random-weight vision-language model: a LLaVA-style GGUF pair made here.

No VLM weights can be downloaded in CI, but the VLM code path (`LlamaMtmdVlm`: llama.cpp's
libmtmd loading a GGUF language model and its "mmproj" projector, encoding an image and
generating) must still run for real. So the test writes the two files itself with the `gguf`
package: a 1-layer Llama-architecture language model with a byte-level SentencePiece vocabulary
and a chat template, and a 2-layer CLIP vision encoder (32 px images, 8 px patches) with a
LLaVA MLP projector into the language model's embedding width. Random weights produce random
tokens; what is tested is that every stage runs. Both files together are well under 1 MB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: "
    "{% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for p in m['content'] %}{{ p['text'] }}{% endfor %}{% endif %}\n"
    "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
)

TEXT_EMBD = 64
VISION_EMBD = 32
IMAGE = 32
PATCH = 8


def _rand(rng: np.random.Generator, *shape: int, scale: float = 0.05) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def write_language_model(path: Path, seed: int = 0) -> None:
    import gguf

    rng = np.random.default_rng(seed)
    tokens = [b"<unk>", b"<s>", b"</s>"] + [f"<0x{i:02X}>".encode() for i in range(256)]
    types = [gguf.TokenType.UNKNOWN, gguf.TokenType.CONTROL, gguf.TokenType.CONTROL] + [gguf.TokenType.BYTE] * 256
    words = [w.encode() for w in ("\u2581a", "\u2581the", "\u2581cup", "\u2581cat", "\u2581photo", "\u2581of", "e", "t", "a", "o")]
    tokens += words
    types += [gguf.TokenType.NORMAL] * len(words)
    n_vocab, n_embd, n_ff, n_head = len(tokens), TEXT_EMBD, 128, 2
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("oculi-tiny-random-vlm")
    w.add_context_length(4096)
    w.add_embedding_length(n_embd)
    w.add_block_count(1)
    w.add_feed_forward_length(n_ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_head)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_dimension_count(n_embd // n_head)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * 3 + [-1000.0] * 256 + [-float(i) for i in range(len(words))])
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_chat_template(CHAT_TEMPLATE)
    w.add_tensor("token_embd.weight", _rand(rng, n_vocab, n_embd, scale=0.5))
    w.add_tensor("output_norm.weight", np.ones(n_embd, np.float32))
    w.add_tensor("output.weight", _rand(rng, n_vocab, n_embd, scale=0.5))
    w.add_tensor("blk.0.attn_norm.weight", np.ones(n_embd, np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        w.add_tensor(f"blk.0.{name}.weight", _rand(rng, n_embd, n_embd))
    w.add_tensor("blk.0.ffn_norm.weight", np.ones(n_embd, np.float32))
    w.add_tensor("blk.0.ffn_gate.weight", _rand(rng, n_ff, n_embd))
    w.add_tensor("blk.0.ffn_up.weight", _rand(rng, n_ff, n_embd))
    w.add_tensor("blk.0.ffn_down.weight", _rand(rng, n_embd, n_ff))
    _finish(w)


def write_projector(path: Path, seed: int = 1) -> None:
    import gguf

    rng = np.random.default_rng(seed)
    n_embd, n_ff, n_layer, n_pos = VISION_EMBD, 64, 2, (IMAGE // PATCH) ** 2
    w = gguf.GGUFWriter(str(path), "clip")
    w.add_name("oculi-tiny-random-vlm projector")
    w.add_bool("clip.has_vision_encoder", True)
    w.add_bool("clip.has_text_encoder", False)
    w.add_string("clip.projector_type", "mlp")
    w.add_bool("clip.use_gelu", True)
    w.add_uint32("clip.vision.image_size", IMAGE)
    w.add_uint32("clip.vision.patch_size", PATCH)
    w.add_uint32("clip.vision.embedding_length", n_embd)
    w.add_uint32("clip.vision.feed_forward_length", n_ff)
    w.add_uint32("clip.vision.block_count", n_layer)
    w.add_uint32("clip.vision.projection_dim", TEXT_EMBD)
    w.add_uint32("clip.vision.attention.head_count", 2)
    w.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    w.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    w.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    w.add_uint32("general.file_type", 1)
    w.add_tensor("v.patch_embd.weight", _rand(rng, n_embd, 3, PATCH, PATCH).astype(np.float16))
    w.add_tensor("v.position_embd.weight", _rand(rng, n_pos, n_embd))
    w.add_tensor("v.pre_ln.weight", np.ones(n_embd, np.float32))
    w.add_tensor("v.pre_ln.bias", np.zeros(n_embd, np.float32))
    for i in range(n_layer):
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(f"v.blk.{i}.{name}.weight", _rand(rng, n_embd, n_embd))
            w.add_tensor(f"v.blk.{i}.{name}.bias", np.zeros(n_embd, np.float32))
        for name in ("ln1", "ln2"):
            w.add_tensor(f"v.blk.{i}.{name}.weight", np.ones(n_embd, np.float32))
            w.add_tensor(f"v.blk.{i}.{name}.bias", np.zeros(n_embd, np.float32))
        w.add_tensor(f"v.blk.{i}.ffn_up.weight", _rand(rng, n_ff, n_embd))
        w.add_tensor(f"v.blk.{i}.ffn_up.bias", np.zeros(n_ff, np.float32))
        w.add_tensor(f"v.blk.{i}.ffn_down.weight", _rand(rng, n_embd, n_ff))
        w.add_tensor(f"v.blk.{i}.ffn_down.bias", np.zeros(n_embd, np.float32))
    w.add_tensor("mm.0.weight", _rand(rng, TEXT_EMBD, n_embd))
    w.add_tensor("mm.0.bias", np.zeros(TEXT_EMBD, np.float32))
    w.add_tensor("mm.2.weight", _rand(rng, TEXT_EMBD, TEXT_EMBD))
    w.add_tensor("mm.2.bias", np.zeros(TEXT_EMBD, np.float32))
    _finish(w)


def _finish(w) -> None:
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def build(folder: Path) -> tuple[Path, Path]:
    """(model.gguf, mmproj.gguf) in `folder`, named as a hub VLM's pair would be."""
    folder.mkdir(parents=True, exist_ok=True)
    model, proj = folder / "tiny-random-vlm-f32.gguf", folder / "mmproj-tiny-random-vlm-f16.gguf"
    write_language_model(model)
    write_projector(proj)
    return model, proj
