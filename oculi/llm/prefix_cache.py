"""Saved KV states of system prompts, so switching conversations does not re-read them.

One llama.cpp context holds one token sequence. The glasses switch between conversations
all the time — a spoken question, a look at a sign, a tool call, an API client — and each
starts with its own long system prompt (the look prompt's rules, a tool list of a thousand
tokens). Prefix reuse alone keeps only the last one; on a 2-core CPU re-reading a 300-token
system prompt costs seconds. Here each system prompt's KV cells are copied out once
(`llama_state_seq_get_data`, a few MB) and copied back when that conversation returns,
which takes milliseconds. A prefix is saved the second time it is seen: system prompts that
carry per-question data (recalled memories, say) never repeat and never evict useful states.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from typing import Any

import llama_cpp


def cached_tokens(llm: Any, tokens: list[int]) -> int:
    """How many leading `tokens` the context already holds (evaluated, KV cells present)."""
    n = 0
    for a, b in zip(llm._input_ids[: llm.n_tokens], tokens):
        if a != b:
            break
        n += 1
    return n


def truncate(llm: Any, n: int) -> None:
    """Forget every token from position `n` on: its KV cells and its id."""
    llm._ctx.kv_cache_seq_rm(-1, n, -1)
    _set_tokens(llm, n)


def _set_tokens(llm: Any, n: int) -> None:
    # Llama.generate compares its whole token buffer with the prompt: stale ids past the
    # end would count as cached.
    llm.n_tokens = n
    llm._input_ids[n:] = -1
    llm._requires_eval = True


class PrefixStates:
    def __init__(self, llm: Any, *, max_entries: int = 4, min_tokens: int = 32) -> None:
        self.llm = llm
        self.max_entries = max_entries
        self.min_tokens = min_tokens  # shorter prefixes are cheaper to re-read than to restore
        self._saved: OrderedDict[tuple[int, ...], bytes] = OrderedDict()
        self._seen: OrderedDict[int, None] = OrderedDict()  # hashes of prefixes seen once
        self.restores = 0

    def prepare(self, tokens: list[int], prefix_len: int, *, save_now: bool = False) -> None:
        """Leave the context holding at least `tokens[:prefix_len]`: kept, restored or read
        once and saved. Called under the engine's lock, before generation. `save_now` saves
        at the first sighting: for a warm-up, which knows the prompt will come back."""
        if prefix_len < self.min_tokens or prefix_len > len(tokens):
            return
        key = tuple(tokens[:prefix_len])
        if key in self._saved:
            if cached_tokens(self.llm, tokens) < prefix_len:
                self._restore(key)
            self._saved.move_to_end(key)
            return
        if not self._seen_before(key) and not save_now:
            return
        held = cached_tokens(self.llm, tokens)
        if held >= prefix_len:
            truncate(self.llm, prefix_len)  # what follows belongs to another turn anyway
            self._save(key)
            return
        truncate(self.llm, held)
        self.llm.eval(list(key[held:]))
        self._save(key)

    # ------------------------------------------------------------------ internals
    def _seen_before(self, key: tuple[int, ...]) -> bool:
        h = hash(key)
        if h in self._seen:
            del self._seen[h]
            return True
        self._seen[h] = None
        while len(self._seen) > 64:
            self._seen.popitem(last=False)
        return False

    def _save(self, key: tuple[int, ...]) -> None:
        ctx = self.llm._ctx.ctx
        size = llama_cpp.llama_state_seq_get_size(ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(ctx, buf, size, 0)
        if not written:
            return
        self._saved[key] = bytes(buf)[:written]
        while len(self._saved) > self.max_entries:
            self._saved.popitem(last=False)

    def _restore(self, key: tuple[int, ...]) -> None:
        data = self._saved[key]
        self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if not llama_cpp.llama_state_seq_set_data(self.llm._ctx.ctx, buf, len(data), 0):
            del self._saved[key]  # refused (e.g. another context size): read it again
            _set_tokens(self.llm, 0)
            self.llm.eval(list(key))
            self._save(key)
            return
        _set_tokens(self.llm, len(key))
        self.llm._input_ids[: len(key)] = key
        self.restores += 1
