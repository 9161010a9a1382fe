"""One sequence's token choice from its row of logits: temperature, top-k/p, min-p, grammar.

Why not `llama_sampler_sample(chain, ctx, i)` with the grammar in the chain: llama.cpp then
checks the grammar against all of Qwen's 151k tokens at every step, which dominated tool
calls on a 2-core CPU. As in llama.cpp's own `common_sampler` ("grammar first" off), the
token is chosen without the grammar first and only checked against it; when the grammar
refuses it, the whole vocabulary is filtered and the choice made again. The tokens chosen are
those of the full check (see greedy_grammar.py for the argument at temperature 0).
"""

from __future__ import annotations

import ctypes
import random
from typing import Any

import llama_cpp
import numpy as np

from oculi.llm.engine import GenerationOptions

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
REPEAT_WINDOW = 64  # tokens a repeat penalty looks back on (llama-cpp-python's default)


class SequenceSampler:
    """Owns llama.cpp sampler objects for one sequence; `close()` frees them."""

    def __init__(
        self, vocab: Any, n_vocab: int, opts: GenerationOptions, gbnf: str | None,
        *, ban: list[int] | None = None, ban_first: list[int] | None = None,
    ) -> None:
        self.n_vocab = n_vocab
        # never sampled / not as the first token (a reply in words under tool_choice "none")
        self.ban = list(ban or [])
        self.ban_first = list(ban_first or [])
        self.chosen = 0
        self.greedy = opts.temperature <= 0.0
        self.repeat_penalty = opts.repeat_penalty
        self.recent: list[int] = []
        self.chain = None
        if not self.greedy:
            chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
            add = llama_cpp.llama_sampler_chain_add
            if opts.top_k > 0:
                add(chain, llama_cpp.llama_sampler_init_top_k(opts.top_k))
            if opts.top_p < 1.0:
                add(chain, llama_cpp.llama_sampler_init_top_p(opts.top_p, 1))
            if opts.min_p > 0.0:
                add(chain, llama_cpp.llama_sampler_init_min_p(opts.min_p, 1))
            add(chain, llama_cpp.llama_sampler_init_temp(opts.temperature))
            seed = opts.seed if opts.seed is not None else random.getrandbits(32)
            add(chain, llama_cpp.llama_sampler_init_dist(seed & 0xFFFFFFFF))
            self.chain = chain
        self.grammar = None
        if gbnf is not None:
            self.grammar = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
            if not self.grammar:
                self.close()
                raise ValueError("llama.cpp rejected the grammar")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._single = llama_cpp.llama_token_data_array(self._one, 1, -1, False)
        self._full: Any = None
        self._view: Any = None

    def remember(self, tokens: list[int]) -> None:
        """The prompt's tail, for the repeat penalty."""
        self.recent = list(tokens[-REPEAT_WINDOW:])

    def sample(self, logits_ptr: Any) -> int:
        logits = np.ctypeslib.as_array(logits_ptr, shape=(self.n_vocab,))
        if self.repeat_penalty != 1.0 and self.recent:
            logits = logits.copy()
            ids = np.unique(np.asarray(self.recent, dtype=np.int64))
            vals = logits[ids]
            logits[ids] = np.where(vals > 0, vals / self.repeat_penalty, vals * self.repeat_penalty)
        banned = self.ban + (self.ban_first if self.chosen == 0 else [])
        if banned:
            if not logits.flags.owndata:  # llama.cpp's own buffer stays as it was
                logits = logits.copy()
            logits[banned] = -np.inf
        tok = self._choose(logits, None)
        if self.grammar is not None and not self._grammar_allows(tok, float(logits[tok])):
            view = self._fill(logits)
            everything = llama_cpp.llama_token_data_array(self._full, self.n_vocab, -1, False)
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(everything))
            tok = self._choose(view["logit"], everything)
        if self.grammar is not None:
            llama_cpp.llama_sampler_accept(self.grammar, tok)
        if self.chain is not None:
            llama_cpp.llama_sampler_accept(self.chain, tok)
        self.chosen += 1
        self.recent.append(tok)
        if len(self.recent) > REPEAT_WINDOW:
            del self.recent[0]
        return tok

    def close(self) -> None:
        for s in (self.chain, self.grammar):
            if s:
                llama_cpp.llama_sampler_free(s)
        self.chain = self.grammar = None

    # ------------------------------------------------------------------ internals
    def _choose(self, logits: Any, filtered: Any) -> int:
        """Greedy: the best logit; else the chain's draw (on `filtered` when given)."""
        if self.greedy:
            return int(np.argmax(logits))
        if filtered is None:
            self._fill(logits)
            filtered = llama_cpp.llama_token_data_array(self._full, self.n_vocab, -1, False)
        llama_cpp.llama_sampler_apply(self.chain, ctypes.byref(filtered))
        return int(self._view["id"][filtered.selected])

    def _fill(self, logits: Any) -> Any:
        if self._full is None:
            self._full = (llama_cpp.llama_token_data * self.n_vocab)()
            self._view = np.ctypeslib.as_array(self._full).view(_TOKEN_DATA).reshape(-1)
        self._view["id"] = np.arange(self.n_vocab, dtype=np.int32)
        self._view["logit"] = logits
        self._view["p"] = 0.0
        return self._view

    def _grammar_allows(self, tok: int, logit: float) -> bool:
        self._one[0].id, self._one[0].logit, self._one[0].p = tok, logit, 0.0
        self._single.size, self._single.selected, self._single.sorted = 1, -1, False
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(self._single))
        return bool(np.isfinite(self._one[0].logit))
