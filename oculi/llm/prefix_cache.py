"""Saved KV states of system prompts, so switching conversations does not re-read them.

One llama.cpp context holds one token sequence. The glasses switch between conversations
all the time — a spoken question, a look at a sign, a tool call, an API client — and each
starts with its own long system prompt (the look prompt's rules, a tool list of a thousand
tokens). Prefix reuse alone keeps only the last one; on a 2-core CPU re-reading a 300-token
system prompt costs seconds. Here each system prompt's KV cells are copied out once
(`llama_state_seq_get_data`, a few MB) and copied back when that conversation returns,
which takes milliseconds. A prefix is saved the second time it is seen: system prompts that
carry per-question data (recalled memories, say) never repeat and never evict useful states.

With a `disk` folder, saved states are also written there (atomically) and read back by the
next process: a one-shot `oculi chat "…"` or `oculi ask` with the assistant's tool list would
otherwise re-read ~1,500 tokens (half a minute on 2 cores) at every start.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import uuid
from collections import OrderedDict
from pathlib import Path
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


log = logging.getLogger(__name__)


class PrefixStates:
    def __init__(
        self,
        llm: Any,
        *,
        max_entries: int = 4,
        min_tokens: int = 32,
        disk: Path | None = None,
        disk_key: str = "",
        max_disk_entries: int = 8,
    ) -> None:
        """`disk_key` names the model and context settings the states belong to."""
        self.llm = llm
        self.disk = disk
        self.disk_key = disk_key
        self.max_disk_entries = max_disk_entries
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
        if key not in self._saved:
            self._load(key)
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
        self._write(key, self._saved[key])

    def _path(self, key: tuple[int, ...]) -> Path | None:
        if self.disk is None:
            return None
        h = hashlib.sha256(self.disk_key.encode())
        h.update(b"".join(t.to_bytes(4, "little", signed=True) for t in key))
        return self.disk / f"{h.hexdigest()[:32]}.kv"

    def _write(self, key: tuple[int, ...], data: bytes) -> None:
        path = self._path(key)
        if path is None or path.exists():
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)  # a half-written state never carries the real name
            old = sorted(path.parent.glob("*.kv"), key=lambda p: p.stat().st_mtime)
            for stale in old[: max(0, len(old) - self.max_disk_entries)]:
                stale.unlink(missing_ok=True)
        except OSError as exc:  # a full or read-only disk costs speed, never an answer
            log.warning("prefix state not written to %s: %s", path, exc)

    def _load(self, key: tuple[int, ...]) -> None:
        path = self._path(key)
        if path is None or not path.is_file():
            return
        try:
            self._saved[key] = path.read_bytes()
            path.touch()
        except OSError:
            return
        while len(self._saved) > self.max_entries:
            self._saved.popitem(last=False)

    def _restore(self, key: tuple[int, ...]) -> None:
        data = self._saved[key]
        self.llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
        if not llama_cpp.llama_state_seq_set_data(self.llm._ctx.ctx, buf, len(data), 0):
            del self._saved[key]  # refused (e.g. another context size): read it again
            path = self._path(key)
            if path is not None:
                path.unlink(missing_ok=True)
            _set_tokens(self.llm, 0)
            self.llm.eval(list(key))
            self._save(key)
            return
        _set_tokens(self.llm, len(key))
        self.llm._input_ids[: len(key)] = key
        self.restores += 1
