"""Many conversations decoded together by one llama.cpp context: one copy of the weights.

Why: `oculi serve --slots N` used to load N engines (N copies of the repacked weights) and
advance them a token each in turn, so four clients shared one client's speed and cost 3.7×
the memory. Decoding is memory-bound: reading the weights once per step for four sequences
costs little more than for one. Here each chat slot is a *sequence* of one context
(`n_seq_max`, a unified KV cache) and a single loop thread runs the steps:

- every step decodes one token for every generating sequence in one `llama_batch`;
- prompts are read in chunks inside the same batches (at most `prefill_chunk` tokens a step
  while others generate), so a long prompt does not stall the other wearers;
- each sequence keeps its own sampler, grammar, stop strings, budget and cancel flag;
- a free slot keeps its tokens: a returning conversation is given the slot holding the
  longest common prefix and reads only what is new;
- system prompts seen twice (or warmed up) are kept as extra sequences and shared into a
  slot with `llama_memory_seq_cp` — in a unified cache the cells are shared, not copied.

`stream_chat` may be called from any number of threads at once (the server's scheduler
calls it from one thread per admitted request); more callers than slots wait their turn.
The single-conversation `LlamaEngine` stays the CLI's engine.
"""

from __future__ import annotations

import codecs
import os
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import llama_cpp

from oculi.errors import ModelLoadError, OculiError
from oculi.llm import tools as toolfmt
from oculi.llm.engine import (
    GenerationOptions,
    LlamaEngine,
    ToolChoice,
    WordsOnlyTokens,
)
from oculi.llm.messages import (
    ChatMessage,
    ChatResult,
    Finished,
    StreamEvent,
    TextDelta,
    ToolCallsReady,
    Usage,
)
from oculi.llm.sampling import SequenceSampler
from oculi.llm.template import ChatTemplate

_DONE = object()


def common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


@dataclass
class _Request:
    tokens: list[int]
    prompt: str
    sys_len: int
    opts: GenerationOptions
    gbnf: str | None
    tools: list[dict[str, Any]] | None
    forced: list[dict[str, Any]] | None
    max_calls: int
    cancel: threading.Event
    emit: Callable[[Any], None]
    prefill_only: bool = False
    save_prefix: bool = False
    words_only: bool = False  # tool_choice "none" with the tools kept in the prompt


@dataclass
class _Slot:
    seq: int
    tokens: list[int] = field(default_factory=list)  # ids whose KV cells this sequence holds
    last_used: float = 0.0
    req: _Request | None = None
    pending: list[int] = field(default_factory=list)  # to read before the next choice
    sampler: SequenceSampler | None = None
    phase: str = "text"  # "text", "probe" (may become a tool call) or "call"
    usage: Usage = field(default_factory=Usage)
    generated: int = 0
    limit: int = 0
    decoder: Any = None
    text: str = ""  # held back: a possible stop string, or a possible call opener
    decided: bool = False
    held: str = ""  # an undecided start of an answer that may be a tool call
    body: list[str] = field(default_factory=list)
    save_at: int = 0  # save tokens[:save_at] as a shared prefix once read (0: no)
    exact: int = 0  # invariant mode: leading tokens whose cells were read in whole aligned chunks


class BatchedEngine(WordsOnlyTokens):
    """A thread-safe chat engine serving up to `slots` conversations from one context."""

    def __init__(
        self,
        model_path: Path,
        *,
        slots: int = 4,
        threads: int = 2,
        context_tokens: int = 4096,
        batch_tokens: int = 256,
        prefill_chunk: int = 64,
        prefix_entries: int = 4,
        min_prefix_tokens: int = 32,
        kv_tokens: int | None = None,
        seed: int = 0,
        invariant: bool = False,
    ) -> None:
        """`invariant`: a sequence's tokens never depend on what else is decoded with it (see
        `_plans`); costs a KV stream of `context_tokens` per sequence and some speed."""
        from llama_cpp import Llama

        if not model_path.is_file():
            raise ModelLoadError(f"model file not found: {model_path}")
        t0 = time.perf_counter()
        try:
            # The Llama object gives the tokenizer, the chat template and the one loaded copy
            # of the weights; its own context is tiny. The sequences live in a second context
            # on the same model, made with the parameters Llama() does not expose.
            self.llm = Llama(model_path=str(model_path), n_ctx=64, n_batch=64, n_ubatch=64,
                             n_threads=threads, n_threads_batch=threads, seed=seed, verbose=False)
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load {model_path.name}: {exc}",
                hint="run `oculi models verify` — the file may be corrupt or not a GGUF model",
            ) from exc
        self.slots = slots
        self.context_tokens = context_tokens
        self.n_batch = batch_tokens
        self.prefill_chunk = min(prefill_chunk, batch_tokens)  # a chunk fits in one batch
        self.min_prefix_tokens = min_prefix_tokens
        params = llama_cpp.llama_context_default_params()
        # One pool of KV cells for every slot (unified): any one conversation may grow to
        # context_tokens, the others share the rest. Wearers' turns are mostly far shorter, so
        # the pool holds half a context per extra slot; when it fills, idle slots' tokens and
        # saved prefixes are forgotten first, then the longest conversation gets a clear error.
        self.kv_tokens = kv_tokens or context_tokens + (slots - 1) * (context_tokens // 2)
        self.invariant = invariant
        if invariant:
            # One KV stream per sequence: attention never spans other wearers' cells (in the
            # unified pool the shared cells and masks change the sums; see `_plans`).
            self.kv_tokens = (slots + prefix_entries) * context_tokens
        params.n_ctx = self.kv_tokens
        params.n_batch = batch_tokens
        params.n_ubatch = batch_tokens
        params.n_seq_max = slots + prefix_entries
        params.kv_unified = not invariant  # any sequence may grow to context_tokens; prefixes shared
        params.n_threads = threads
        params.n_threads_batch = threads
        params.no_perf = True
        # as LlamaEngine (Llama() turns it off): same kernels, same answers at temperature 0
        params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        self.ctx = llama_cpp.llama_init_from_model(self.llm.model, params)
        if not self.ctx:
            raise ModelLoadError(f"cannot make a {slots}-sequence context for {model_path.name}",
                                 hint="lower --slots or llm.context_tokens")
        self.mem = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(batch_tokens, 0, 1)
        self.load_seconds = time.perf_counter() - t0
        self.model_path = model_path
        self.template = ChatTemplate.from_llama(self.llm)
        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._n_vocab = self.llm.n_vocab()
        self._slots = [_Slot(seq=i) for i in range(slots)]
        self._prefix_seqs = list(range(slots, slots + prefix_entries))
        self._prefixes: OrderedDict[tuple[int, ...], int] = OrderedDict()  # key -> seq id
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._inbox: list[_Request] = []
        self._cv = threading.Condition()
        self._stopping = False
        self.steps = 0
        self.decode_seconds = 0.0  # inside llama_decode (batched)
        self.sample_seconds = 0.0  # choosing tokens, grammars, stop strings (per sequence)
        self.prefix_restores = 0
        self._thread = threading.Thread(target=self._loop, name="oculi-batched-decode", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ public API
    def stream_chat(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        tool_choice: ToolChoice = "auto",
        json_schema: dict[str, Any] | None = None,
        json_object: bool = False,
        options: GenerationOptions | None = None,
        cancel: threading.Event | None = None,
        parallel_tool_calls: bool = False,
    ) -> Iterator[StreamEvent]:
        """Like `LlamaEngine.stream_chat`; blocks the calling thread, never the decode loop."""
        opts = options or GenerationOptions()
        # As LlamaEngine: "none" keeps the tools in the prompt (its cache stays valid) and bans
        # the call tag, when the model has it as one token; else the tools leave the prompt.
        words_only = (bool(tools) and tool_choice == "none" and json_schema is None
                      and not json_object and bool(self._call_tag))
        if tool_choice == "none" and not words_only:
            tools = None
        history = [m.to_template_dict() for m in messages]
        prompt = self.template.render(history, tools)
        tokens = self._tokenize(prompt)
        self._check_context(tokens)
        forced = LlamaEngine._forced_tools(tools, tool_choice) if tools and not words_only else None
        gbnf = None
        if not tools:
            if json_schema is not None:
                gbnf = _schema_gbnf(json_schema)
            elif json_object:
                from llama_cpp.llama_grammar import JSON_GBNF

                gbnf = JSON_GBNF
        items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        cancel = cancel or threading.Event()
        req = _Request(
            tokens=tokens, prompt=prompt, sys_len=self._system_prefix_len(history, tools, prompt),
            opts=opts, gbnf=gbnf, tools=tools, forced=forced,
            max_calls=toolfmt.MAX_PARALLEL_CALLS if parallel_tool_calls else 1,
            cancel=cancel, emit=items.put, words_only=words_only,
        )
        if words_only:
            _ = self._not_words  # on this thread, not the decode loop's
        yield from self._run(req, items)

    def prefill(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        wait: bool = True,
        stop: threading.Event | None = None,
    ) -> int:
        """Read a prompt into a free slot ahead of its question (see `LlamaEngine.prefill`).

        A system prompt alone is kept as a shared prefix for every slot. A guess at a question
        stays in the slot it was read into; the real question is given the slot holding the
        longest common prefix, so it finds the guess there. With `wait=False` nothing is read
        when every slot is busy. Returns how many tokens were read.
        """
        history = [m.to_template_dict() for m in messages]
        prompt = self.template.render(history, tools)
        alone = len(history) == 1 and history[0]["role"] == "system"
        if alone:
            probe = self.template.render([*history, {"role": "user", "content": "?"}], tools)
            prompt = os.path.commonprefix([prompt, probe])
        tokens = self._tokenize(prompt)
        if not tokens or len(tokens) >= self.context_tokens:
            return 0
        if tools and alone:
            _ = self._not_words  # found now, not in the first reply in words
        if not wait and self.busy_slots() >= self.slots:
            return 0
        items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        req = _Request(
            tokens=tokens, prompt=prompt, sys_len=len(tokens) if alone else 0,
            opts=GenerationOptions(max_tokens=0), gbnf=None, tools=None, forced=None, max_calls=1,
            cancel=stop or threading.Event(), emit=items.put, prefill_only=True, save_prefix=alone,
        )
        read = 0
        for ev in self._run(req, items):
            if isinstance(ev, Finished):
                read = ev.usage.prompt_tokens - ev.usage.cached_prompt_tokens
        return read

    def chat(self, messages: list[ChatMessage], **kwargs: Any) -> ChatResult:
        text, calls, reason, usage = [], [], "stop", Usage()
        for ev in self.stream_chat(messages, **kwargs):
            if isinstance(ev, TextDelta):
                text.append(ev.text)
            elif isinstance(ev, ToolCallsReady):
                calls = ev.calls
            else:
                reason, usage = ev.reason, ev.usage
        return ChatResult("".join(text), calls, reason, usage)  # type: ignore[arg-type]

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def busy_slots(self) -> int:
        with self._cv:
            return sum(s.req is not None for s in self._slots) + len(self._inbox)

    def close(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify()
        self._thread.join(30)
        if not self._thread.is_alive():
            for s in self._slots:
                if s.sampler is not None:
                    s.sampler.close()
            llama_cpp.llama_batch_free(self.batch)
            llama_cpp.llama_free(self.ctx)
            self.ctx = None

    # ------------------------------------------------------------------ caller side
    def _run(self, req: _Request, items: queue.SimpleQueue[Any]) -> Iterator[StreamEvent]:
        with self._cv:
            if self._stopping:
                raise OculiError("the chat engine is shutting down", code="shutting_down")
            self._inbox.append(req)
            self._cv.notify()
        done = False
        try:
            while True:
                item = items.get()
                if item is _DONE:
                    done = True
                    return
                if isinstance(item, BaseException):
                    done = True
                    raise item
                yield item
        finally:
            if not done:
                req.cancel.set()  # an abandoned stream frees its slot at the next step

    # ------------------------------------------------------------------ decode loop
    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._stopping and not self._inbox and not self._active():
                    self._cv.wait()
                if self._stopping:
                    for s in self._active():
                        self._finish(s, "cancelled")
                    for r in self._inbox:
                        r.emit(OculiError("the chat engine is shutting down", code="shutting_down"))
                        r.emit(_DONE)
                    self._inbox.clear()
                    return
                free = sum(s.req is None for s in self._slots)
                admitted = self._inbox[:free]  # the rest wait for a slot to come free
                del self._inbox[:free]
            for req in admitted:
                try:
                    self._admit(req)
                except Exception as exc:  # noqa: BLE001 - the loop must outlive a bad request
                    req.emit(exc)
                    req.emit(_DONE)
            try:
                self._step()
            except Exception as exc:  # noqa: BLE001 - every active request hears of it
                for s in self._active():
                    self._fail(s, exc)

    def _active(self) -> list[_Slot]:
        return [s for s in self._slots if s.req is not None]

    def _admit(self, req: _Request) -> None:
        if req.cancel.is_set():
            req.emit(Finished("cancelled", Usage(prompt_tokens=len(req.tokens))))
            req.emit(_DONE)
            return
        free = [s for s in self._slots if s.req is None]
        # the slot already holding most of this prompt (its own conversation), else the oldest
        want = req.tokens if req.prefill_only else req.tokens[:-1]
        slot = max(free, key=lambda s: (common_prefix(s.tokens, want), -s.last_used))
        slot.req = req
        slot.usage = Usage(prompt_tokens=len(req.tokens))
        slot.generated = 0
        slot.limit = req.opts.max_tokens
        slot.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        slot.text, slot.held, slot.decided, slot.body = "", "", False, []
        slot.phase = "text"
        if req.tools and req.forced is None and not req.words_only:
            slot.phase = "probe"
        try:
            if req.tools and req.forced is not None:
                self._start_call(slot, req.forced)
                return
            self._place(slot, req.tokens, prefill_only=req.prefill_only)
            slot.sampler = None if req.prefill_only else SequenceSampler(
                self._vocab, self._n_vocab, req.opts, req.gbnf,
                ban=self._call_tag if req.words_only else None,
                ban_first=self._not_words if req.words_only else None)
            if slot.sampler is not None:
                slot.sampler.remember(req.tokens)
        except Exception as exc:  # noqa: BLE001
            self._fail(slot, exc)

    def _place(self, slot: _Slot, tokens: list[int], *, prefill_only: bool = False) -> None:
        """Keep the slot's longest common prefix with `tokens` (or a saved system prompt's),
        forget the rest, and queue what is left to read."""
        req = slot.req
        assert req is not None
        want = tokens if prefill_only else tokens[:-1]  # the last token is read for its logits
        keep = common_prefix(slot.tokens, want)
        sys_len = req.sys_len
        if self.invariant:  # cells are trusted only as a fresh read would have made them
            sys_len -= sys_len % self.prefill_chunk
            keep = min(keep, slot.exact)
            keep -= keep % self.prefill_chunk
        if sys_len >= self.min_prefix_tokens and sys_len <= len(want):
            key = tuple(tokens[:sys_len])
            pseq = self._prefixes.get(key)
            if pseq is not None:
                self._prefixes.move_to_end(key)
                if keep < sys_len:
                    llama_cpp.llama_memory_seq_rm(self.mem, slot.seq, -1, -1)
                    llama_cpp.llama_memory_seq_cp(self.mem, pseq, slot.seq, -1, -1)
                    slot.tokens = list(key)
                    keep = slot.exact = sys_len
                    self.prefix_restores += 1
            elif req.save_prefix or self._seen_before(key):
                slot.save_at = sys_len
        if keep < len(slot.tokens):
            llama_cpp.llama_memory_seq_rm(self.mem, slot.seq, keep, -1)
            del slot.tokens[keep:]
        slot.exact = min(slot.exact, keep)
        slot.pending = list(tokens[keep:])
        if slot.usage.cached_prompt_tokens == 0:
            slot.usage.cached_prompt_tokens = keep
        if slot.save_at and keep >= slot.save_at:
            self._save_prefix(slot)

    def _step(self) -> None:
        active = self._active()
        for s in active:
            if s.req is not None and s.req.cancel.is_set():
                self._finish(s, "cancelled")
            elif s.req is not None and s.req.prefill_only and not s.pending:
                self._finish(s, "stop")  # all of it was held already: nothing to read
        active = [s for s in active if s.req is not None and s.pending]
        if not active:
            return
        generating = [s for s in active if len(s.pending) == 1]
        reading = sorted((s for s in active if len(s.pending) > 1), key=lambda s: len(s.pending))
        plans = self._plans(generating, reading)
        for plan in plans:
            if all(s.req is not None for s, _ in plan):  # none failed in an earlier plan
                self._decode(plan, active)

    def _plans(self, generating: list[_Slot], reading: list[_Slot]) -> list[list[tuple[_Slot, int]]]:
        """What this step reads, as one or more `llama_decode` calls of (slot, tokens) each.

        By default one call holds every generating sequence and as much prompt as fits
        (`prefill_chunk` while others generate, the shortest prompt first).

        Invariant: llama.cpp's CPU kernels give a row bit-identical results only when it meets
        the same kernels as alone. The repacked quantized matrix kernels run rows in blocks
        of four through a `gemm` and the last `n % 4` rows through a `gemv`, and the two round
        differently; attention over a few query rows rounds unlike attention over many, and
        in a unified cache the other sequences' cells change the sums. So each sequence has a
        KV stream of its own, generating sequences go in calls of at most three (all `gemv`,
        as one token alone), and each prompt chunk is a call of its own, cut at multiples of
        `prefill_chunk` counted from the start of the conversation — cells held from earlier
        are kept only up to such a boundary (`_Slot.exact`), so the chunks do not depend on
        what the slot held before either. Measured (docs/architecture.md): a sequence's
        logits are then equal to the last bit whatever shares its step, at the price of one
        more pass over the weights per three generating sequences, and of re-reading up to
        `prefill_chunk - 1` held tokens.
        """
        if not self.invariant:
            room = self.n_batch - len(generating)
            if generating:
                room = min(room, self.prefill_chunk)
            plan: list[tuple[_Slot, int]] = [(s, 1) for s in generating]
            for s in reading:
                if room <= 0:
                    break
                take = min(len(s.pending), room)
                plan.append((s, take))
                room -= take
            return [plan]
        ordered = sorted(generating, key=lambda s: s.seq)
        plans = [[(s, 1) for s in ordered[i:i + 3]] for i in range(0, len(ordered), 3)]
        for s in reading[: 1 if generating else len(reading)]:
            to_boundary = self.prefill_chunk - len(s.tokens) % self.prefill_chunk
            plans.append([(s, min(len(s.pending), to_boundary))])
        return plans

    def _decode(self, plan: list[tuple[_Slot, int]], active: list[_Slot]) -> None:
        """One `llama_decode` of `plan`, then a token chosen for each sequence it completes."""
        b = self.batch
        n = 0
        outputs: list[tuple[_Slot, int]] = []
        for s, take in plan:
            base = len(s.tokens)
            last = take == len(s.pending)
            for j in range(take):
                b.token[n] = s.pending[j]
                b.pos[n] = base + j
                b.n_seq_id[n] = 1
                b.seq_id[n][0] = s.seq
                wants = last and j == take - 1 and not s.req.prefill_only  # type: ignore[union-attr]
                b.logits[n] = 1 if wants else 0
                if wants:
                    outputs.append((s, n))
                n += 1
        b.n_tokens = n
        t0 = time.perf_counter()
        rc = llama_cpp.llama_decode(self.ctx, b)
        if rc == 1 and self._make_room():
            rc = llama_cpp.llama_decode(self.ctx, b)
        if rc == 1:  # still full: the longest conversation gives way, the others go on
            # (with one stream a sequence, the full stream is one of this call's)
            pool = [s for s, _ in plan] if self.invariant else active
            longest = max(pool, key=lambda s: len(s.tokens) + len(s.pending))
            self._fail(longest, OculiError(
                f"the shared KV cache ({self.kv_tokens} tokens for {self.slots} slots) is full",
                hint="start a new conversation, lower --slots or raise llm.context_tokens",
                code="context_length_exceeded"))
            return
        if rc != 0:
            raise OculiError(f"llama_decode failed ({rc})", code="generation_failed")
        self.steps += 1
        t1 = time.perf_counter()
        self.decode_seconds += t1 - t0
        for s, take in plan:
            s.tokens.extend(s.pending[:take])
            del s.pending[:take]
            if s.exact == len(s.tokens) - take and len(s.tokens) % self.prefill_chunk == 0:
                s.exact = len(s.tokens)  # a whole aligned chunk (a decoded token never is one)
            if s.save_at and len(s.tokens) >= s.save_at:
                self._save_prefix(s)
            if s.req is not None and s.req.prefill_only and not s.pending:
                self._finish(s, "stop")
        for s, idx in outputs:
            try:
                assert s.sampler is not None
                tok = s.sampler.sample(llama_cpp.llama_get_logits_ith(self.ctx, idx))
                self._on_token(s, tok)
            except Exception as exc:  # noqa: BLE001 - only this request fails
                self._fail(s, exc)
        self.sample_seconds += time.perf_counter() - t1  # per-sequence work, not batched

    def _on_token(self, s: _Slot, tok: int) -> None:
        req = s.req
        assert req is not None
        if llama_cpp.llama_vocab_is_eog(self._vocab, tok):
            self._end_phase(s, "stop")
            return
        s.generated += 1
        s.usage.completion_tokens += 1
        piece = s.decoder.decode(self.llm.detokenize([tok]))
        s.pending = [tok]
        if s.phase == "call":
            s.body.append(piece)
        elif s.phase == "probe" and not s.decided:
            s.held += piece
            state = toolfmt.opening_state(s.held)
            if state == "call":
                self._start_call(s, req.tools or [])
                return
            if state == "text":
                s.decided = True
                piece, s.held = s.held, ""
        if s.phase != "call" and (s.phase == "text" or s.decided) and self._text_out(s, piece):
            self._end_phase(s, "stop")
            return
        if s.generated >= s.limit or len(s.tokens) + 1 >= self.context_tokens:
            self._end_phase(s, "length")

    def _text_out(self, s: _Slot, piece: str) -> bool:
        """Emit text, holding back what may begin a stop string; True when one was hit."""
        req = s.req
        assert req is not None
        stops = tuple(x for x in req.opts.stop if x)
        s.text += piece
        if not stops:
            if s.text:
                req.emit(TextDelta(s.text))
                s.text = ""
            return False
        hit = min((i for x in stops if (i := s.text.find(x)) >= 0), default=-1)
        if hit >= 0:
            if hit:
                req.emit(TextDelta(s.text[:hit]))
            s.text = ""
            return True
        safe = len(s.text) - max(len(x) for x in stops) + 1
        if safe > 0:
            req.emit(TextDelta(s.text[:safe]))
            s.text = s.text[safe:]
        return False

    def _start_call(self, s: _Slot, allowed: list[dict[str, Any]]) -> None:
        """The call itself, in the canonical format, under a grammar built from the schemas."""
        req = s.req
        assert req is not None
        tokens = self._tokenize(req.prompt + toolfmt.CALL_OPEN + "\n")
        if s.sampler is not None:
            s.sampler.close()
        opts = GenerationOptions(**{**req.opts.__dict__, "temperature": 0.0, "stop": ()})
        s.sampler = SequenceSampler(self._vocab, self._n_vocab, opts,
                                    toolfmt.calls_grammar(allowed, req.max_calls))
        s.phase = "call"
        s.limit = s.generated + max(req.opts.max_tokens, 256)
        s.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._place(s, tokens)

    def _end_phase(self, s: _Slot, reason: str) -> None:
        req = s.req
        assert req is not None
        tail = s.decoder.decode(b"", final=True)
        if s.phase == "call":
            s.body.append(tail)
            calls = toolfmt.parse_calls("".join(s.body))
            if not calls:
                self._fail(s, OculiError(
                    "the tool call was cut short by max_tokens", hint="raise max_tokens",
                    code="tool_call_truncated"))
                return
            req.emit(ToolCallsReady(calls))
            self._finish(s, "tool_calls")
            return
        text = s.held + s.text + tail  # held-back text: a partial stop string or an undecided opener
        if text:
            req.emit(TextDelta(text))
        s.text = s.held = ""
        self._finish(s, reason)

    def _finish(self, s: _Slot, reason: str) -> None:
        req = s.req
        if req is None:
            return
        req.emit(Finished(reason, s.usage))  # type: ignore[arg-type]
        req.emit(_DONE)
        self._release(s)

    def _fail(self, s: _Slot, exc: BaseException) -> None:
        req = s.req
        if req is None:
            return
        req.emit(exc)
        req.emit(_DONE)
        self._release(s)

    def _release(self, s: _Slot) -> None:
        if s.sampler is not None:
            s.sampler.close()
            s.sampler = None
        s.pending = []
        s.save_at = 0
        s.req = None
        s.last_used = time.monotonic()
        with self._cv:
            self._cv.notify()

    # ------------------------------------------------------------------ prefixes and room
    def _seen_before(self, key: tuple[int, ...]) -> bool:
        h = hash(key)
        if h in self._seen:
            del self._seen[h]
            return True
        self._seen[h] = None
        while len(self._seen) > 64:
            self._seen.popitem(last=False)
        return False

    def _save_prefix(self, s: _Slot) -> None:
        key = tuple(s.tokens[: s.save_at])
        s.save_at = 0
        if key in self._prefixes or not self._prefix_seqs:
            return
        if len(self._prefixes) >= len(self._prefix_seqs):
            _, pseq = self._prefixes.popitem(last=False)
        else:
            pseq = next(p for p in self._prefix_seqs if p not in self._prefixes.values())
        llama_cpp.llama_memory_seq_rm(self.mem, pseq, -1, -1)
        if self.invariant:  # across streams llama.cpp copies only whole streams
            llama_cpp.llama_memory_seq_cp(self.mem, s.seq, pseq, -1, -1)
            llama_cpp.llama_memory_seq_rm(self.mem, pseq, len(key), -1)
        else:
            llama_cpp.llama_memory_seq_cp(self.mem, s.seq, pseq, 0, len(key))
        self._prefixes[key] = pseq

    def _make_room(self) -> bool:
        """The shared cache is full: forget idle slots' tokens, then saved prefixes."""
        freed = False
        for s in self._slots:
            if s.req is None and s.tokens:
                llama_cpp.llama_memory_seq_rm(self.mem, s.seq, -1, -1)
                s.tokens = []
                freed = True
        if not freed and self._prefixes:
            for pseq in self._prefixes.values():
                llama_cpp.llama_memory_seq_rm(self.mem, pseq, -1, -1)
            self._prefixes.clear()
            freed = True
        return freed

    # ------------------------------------------------------------------ helpers
    def _tokenize(self, prompt: str) -> list[int]:
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def _system_prefix_len(
        self, history: list[dict[str, Any]], tools: list[dict[str, Any]] | None, prompt: str
    ) -> int:
        return LlamaEngine._system_prefix_len(self, history, tools, prompt)  # type: ignore[arg-type]

    def _check_context(self, tokens: list[int]) -> None:
        if len(tokens) >= self.context_tokens:
            raise OculiError(
                f"the conversation is {len(tokens)} tokens, more than the "
                f"{self.context_tokens}-token context",
                hint="start a new conversation or raise llm.context_tokens",
                code="context_length_exceeded",
            )


def _schema_gbnf(schema: dict[str, Any]) -> str:
    import json

    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        return json_schema_to_gbnf(json.dumps(schema))
    except Exception as exc:
        raise OculiError(f"unsupported JSON schema: {exc}", code="invalid_json_schema") from exc
