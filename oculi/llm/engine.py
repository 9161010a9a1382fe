"""The chat engine on llama-cpp-python: stream, cancel, tools, JSON schema, KV-cache reuse.

Design notes
- Generation drives `Llama.generate` directly (the same loop the raw benchmark runs), so the
  engine adds only per-token detokenisation and stop checks to the decode path.
- `Llama.generate` keeps the tokens already in the KV cache and evaluates only the part of
  a new prompt after the longest common prefix. Re-rendering the whole conversation each
  turn is therefore cheap: a follow-up turn pays only for its new tokens.
- One Llama context is not thread-safe: a lock serialises generations; callers that need
  concurrency queue in front of the engine (the server does).
- Cancellation is checked between tokens; a cancelled stream ends with reason "cancelled".
"""

from __future__ import annotations

import codecs
import functools
import json
import os
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from oculi.errors import ModelLoadError, OculiError
from oculi.llm import tools as toolfmt
from oculi.llm.greedy_grammar import greedy_under_grammar
from oculi.llm.messages import (
    ChatMessage,
    ChatResult,
    Finished,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsReady,
    Usage,
    collect,
)
from oculi.llm.prefix_cache import PrefixStates, cached_tokens, truncate
from oculi.llm.template import ChatTemplate

ToolChoice = Literal["auto", "none", "required"] | dict[str, Any]
PREFILL_STEP = 4  # tokens read between checks of a stoppable prefill (~0.1 s on 2 cores)


@dataclass
class GenerationOptions:
    max_tokens: int = 512
    temperature: float = 0.2
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    seed: int | None = None
    stop: tuple[str, ...] = ()


class WordsOnlyTokens:
    """The tokens a reply in words under tool_choice "none" bans, found once per engine (both
    engines keep the tools in the prompt and ban these instead of dropping the tools)."""

    llm: Any

    def _tokenize(self, prompt: str) -> list[int]:
        raise NotImplementedError

    @functools.cached_property
    def _not_words(self) -> list[int]:
        return not_words_ids(self.llm)

    @functools.cached_property
    def _call_tag(self) -> list[int]:
        return call_tag_ids(self._tokenize)


class LlamaEngine(WordsOnlyTokens):
    def __init__(
        self,
        model_path: Path,
        *,
        threads: int = 2,
        context_tokens: int = 4096,
        batch_tokens: int = 256,
        seed: int = 0,
        prefix_dir: Path | None = None,
    ) -> None:
        """`prefix_dir` keeps saved system-prompt states across processes (prefix_cache)."""
        from llama_cpp import Llama

        if not model_path.is_file():
            raise ModelLoadError(f"model file not found: {model_path}")
        t0 = time.perf_counter()
        try:
            self.llm = Llama(
                model_path=str(model_path),
                n_ctx=context_tokens,
                n_batch=batch_tokens,
                n_threads=threads,
                n_threads_batch=threads,
                seed=seed,
                verbose=False,
            )
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load {model_path.name}: {exc}",
                hint="run `oculi models verify` — the file may be corrupt or not a GGUF model",
            ) from exc
        self.load_seconds = time.perf_counter() - t0
        self.model_path = model_path
        self.template = ChatTemplate.from_llama(self.llm)
        self._lock = threading.Lock()
        self._grammar_cache: dict[str, Any] = {}
        stat = model_path.stat()
        self.prefixes = PrefixStates(
            self.llm, disk=prefix_dir,
            disk_key=f"{model_path.name}:{stat.st_size}:{context_tokens}:{batch_tokens}")
        import llama_cpp

        self._vocab = llama_cpp.llama_model_get_vocab(self.llm.model)
        self._is_eog = llama_cpp.llama_vocab_is_eog

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
        """Yield text deltas (or one ToolCallsReady), then Finished with usage.

        `parallel_tool_calls` allows several calls in one turn. It is off by default: under
        the grammar, small models asked for one call tend to append needless extra ones.
        """
        opts = options or GenerationOptions()
        words_only = bool(tools) and tool_choice == "none" and json_schema is None and not json_object
        if tool_choice == "none" and not (words_only and self._call_tag):
            # a model without a one-token call tag cannot be kept from calling by a ban:
            # the tools leave its prompt
            tools, words_only = None, False
        history = [m.to_template_dict() for m in messages]
        prompt = self.template.render(history, tools)
        with self._lock:
            tokens = self._tokenize(prompt)
            self.prefixes.prepare(tokens, self._system_prefix_len(history, tools, prompt))
            if opts.seed is not None:
                self.llm.set_seed(opts.seed)
            if words_only:
                yield from self._words_only(tokens, history, opts, cancel)
            elif tools:
                forced = self._forced_tools(tools, tool_choice)
                max_calls = toolfmt.MAX_PARALLEL_CALLS if parallel_tool_calls else 1
                yield from self._chat_with_tools(prompt, tokens, tools, forced, opts, cancel, max_calls)
            else:
                grammar = None
                if json_schema is not None:
                    grammar = self._grammar_for_schema(json_schema)
                elif json_object:
                    grammar = self._json_grammar()
                yield from self._plain(tokens, grammar, opts, cancel)

    def prefill(
        self,
        messages: list[ChatMessage],
        *,
        tools: list[dict[str, Any]] | None = None,
        wait: bool = True,
        stop: threading.Event | None = None,
    ) -> int:
        """Read a prompt into the context ahead of its generation, which then pays only for
        the tokens after the longest common prefix (llama.cpp keeps it).

        Two uses: a warm-up, which reads and saves a system prompt before the first question
        (pass just the system message); and a guess at a question still being spoken (the
        partial transcript as if it were final): when the guess is right, the answer's first
        token costs one decode step; when the last words differ, only they are read again.
        With `wait=False` a busy engine is left alone and 0 is returned. `stop` ends the read
        early (checked every few tokens; what was read stays useful), so a guess never delays
        the real question. Returns how many of the prompt's tokens the context did not hold
        before (read, or restored from a save).
        """
        history = [m.to_template_dict() for m in messages]
        prompt = self.template.render(history, tools)
        warm_up = len(history) == 1 and history[0]["role"] == "system"
        if warm_up:
            # a system prompt alone: only what every conversation under it begins with
            probe = self.template.render([*history, {"role": "user", "content": "?"}], tools)
            prompt = os.path.commonprefix([prompt, probe])
        if not self._lock.acquire(blocking=wait):
            return 0
        try:
            if tools and warm_up:
                _ = self._not_words  # find them now, not in the first reply in words
            tokens = self._tokenize(prompt)
            if not tokens or len(tokens) >= self.llm.n_ctx():
                return 0
            alone = len(history) == 1
            sys_len = len(tokens) if alone else self._system_prefix_len(history, tools, prompt)
            before = cached_tokens(self.llm, tokens)
            self.prefixes.prepare(tokens, sys_len, save_now=alone)
            held = cached_tokens(self.llm, tokens)
            if held < len(tokens):
                truncate(self.llm, held)
                step = PREFILL_STEP if stop is not None else len(tokens)
                for i in range(held, len(tokens), step):
                    if stop is not None and stop.is_set():
                        return cached_tokens(self.llm, tokens) - before
                    self.llm.eval(tokens[i:i + step])
            return len(tokens) - before
        finally:
            self._lock.release()

    def chat(self, messages: list[ChatMessage], **kwargs: Any) -> ChatResult:
        return collect(self.stream_chat(messages, **kwargs))

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    # ------------------------------------------------------------------ generation
    def _plain(
        self, tokens: list[int], grammar: Any, opts: GenerationOptions, cancel: threading.Event | None,
        ban_first: list[int] | None = None,
    ) -> Iterator[StreamEvent]:
        usage = Usage(prompt_tokens=len(tokens), cached_prompt_tokens=cached_tokens(self.llm, tokens[:-1]))
        reason = "stop"
        for kind, value in self._decode(tokens, grammar, opts, cancel, usage, ban_first=ban_first):
            if kind == "text":
                yield TextDelta(value)
            else:
                reason = value
        yield Finished(reason, usage)  # type: ignore[arg-type]

    def _words_only(
        self, tokens: list[int], history: list[dict[str, Any]], opts: GenerationOptions,
        cancel: threading.Event | None,
    ) -> Iterator[StreamEvent]:
        """tool_choice "none": the tools stay in the prompt, as OpenAI keeps them known to the
        model, so the prompt is the same as the "auto" one and its cache is reused (a reply in
        words after the model declined every tool costs no re-reading); the call tag is never
        sampled, nor, as the first token, an end or the start of a JSON or fenced block (a
        reply in words was asked for; the model otherwise writes the call it may not make as
        text). A call written another way still is dropped and the reply is written again
        from a prompt without the tools."""
        usage = Usage(prompt_tokens=len(tokens), cached_prompt_tokens=cached_tokens(self.llm, tokens[:-1]))
        calling, reason = yield from _text_until_call(
            self._decode(tokens, None, opts, cancel, usage, ban=self._call_tag, ban_first=self._not_words))
        if not calling:
            yield Finished(reason, usage)  # type: ignore[arg-type]
            return
        plain = self.template.render(history, None)
        plain_tokens = self._tokenize(plain)
        self.prefixes.prepare(plain_tokens, self._system_prefix_len(history, None, plain))
        for ev in self._plain(plain_tokens, None, opts, cancel, ban_first=self._not_words):
            if isinstance(ev, Finished):
                ev.usage.completion_tokens += usage.completion_tokens
            yield ev

    def _chat_with_tools(
        self,
        prompt: str,
        tokens: list[int],
        tools: list[dict[str, Any]],
        forced: list[dict[str, Any]] | None,
        opts: GenerationOptions,
        cancel: threading.Event | None,
        max_calls: int,
    ) -> Iterator[StreamEvent]:
        usage = Usage(prompt_tokens=len(tokens), cached_prompt_tokens=cached_tokens(self.llm, tokens[:-1]))
        if forced is None:
            # Let the model choose: hold back text while it could still be a call opener.
            calling, reason = yield from _text_until_call(self._decode(tokens, None, opts, cancel, usage))
            if not calling:
                yield Finished(reason, usage)  # type: ignore[arg-type]
                return
            allowed = tools
        else:
            allowed = forced
        # The call itself, in the canonical format, under a grammar built from the schemas.
        body_prompt = prompt + toolfmt.CALL_OPEN + "\n"
        tokens = self._tokenize(body_prompt)
        grammar = self._grammar_from_gbnf(toolfmt.calls_grammar(allowed, max_calls))
        call_opts = GenerationOptions(**{**opts.__dict__, "temperature": 0.0, "stop": ()})
        call_opts.max_tokens = max(opts.max_tokens, 256)
        body, reason = [], "stop"
        settled: str | None = None
        for kind, value in self._decode(tokens, grammar, call_opts, cancel, usage):
            if kind == "text":
                body.append(value)
                if max_calls == 1 and (settled := toolfmt.settled_argless_call("".join(body), allowed)):
                    break  # the rest is forced: `"arguments": {}}` and the closing tag
            else:
                reason = value
        if reason == "cancelled":
            yield Finished("cancelled", usage)
            return
        if settled is not None:
            yield ToolCallsReady([ToolCall(name=settled, arguments="{}")])
            yield Finished("tool_calls", usage)
            return
        calls = toolfmt.parse_calls("".join(body))
        if not calls:  # only possible when max_tokens cut the first call short
            raise OculiError(
                f"the tool call was cut short after {call_opts.max_tokens} tokens",
                hint="raise max_tokens",
                code="tool_call_truncated",
            )
        yield ToolCallsReady(calls)
        yield Finished("tool_calls", usage)

    def _decode(
        self,
        tokens: list[int],
        grammar: Any,
        opts: GenerationOptions,
        cancel: threading.Event | None,
        usage: Usage,
        ban: list[int] | None = None,
        ban_first: list[int] | None = None,
    ) -> Iterator[tuple[str, str]]:
        """Yield ("text", piece)… then ("end", reason). Stop strings are never emitted;
        `ban`ned tokens are never sampled, `ban_first` ones not as the first token."""
        self._check_context(tokens, opts.max_tokens)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""  # text held back while it might be the start of a stop string
        stops = tuple(s for s in opts.stop if s)
        longest_stop = max((len(s) for s in stops), default=0)
        n = 0
        reason = "length"
        if grammar is not None and opts.temperature == 0.0 and opts.repeat_penalty == 1.0:
            gen = greedy_under_grammar(self.llm, self._vocab, tokens, grammar)
        else:
            if grammar is not None:
                grammar.reset() if hasattr(grammar, "reset") else None
            gen = self.llm.generate(
                tokens,
                top_k=opts.top_k,
                top_p=opts.top_p,
                min_p=opts.min_p,
                temp=opts.temperature,
                repeat_penalty=opts.repeat_penalty,
                grammar=grammar,
                reset=True,
                logits_processor=_banning(ban or [], ban_first or [], len(tokens))
                if ban or ban_first else None,
            )
        try:
            for tok in gen:
                if cancel is not None and cancel.is_set():
                    reason = "cancelled"
                    break
                if self._is_eog(self._vocab, tok):
                    reason = "stop"
                    break
                n += 1
                usage.completion_tokens += 1
                pending += decoder.decode(self.llm.detokenize([tok]))
                if stops:
                    hit = min((i for s in stops if (i := pending.find(s)) >= 0), default=-1)
                    if hit >= 0:
                        if hit:
                            yield ("text", pending[:hit])
                        pending = ""
                        reason = "stop"
                        break
                    safe = len(pending) - longest_stop + 1
                    if safe > 0:
                        yield ("text", pending[:safe])
                        pending = pending[safe:]
                elif pending:
                    yield ("text", pending)
                    pending = ""
                if n >= opts.max_tokens:
                    reason = "length"
                    break
        finally:
            gen.close()
        pending += decoder.decode(b"", final=True)
        if pending:
            yield ("text", pending)
        yield ("end", reason)

    # ------------------------------------------------------------------ helpers
    def _tokenize(self, prompt: str) -> list[int]:
        # Chat templates write the special tokens (BOS included) themselves.
        return self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def _system_prefix_len(
        self, history: list[dict[str, Any]], tools: list[dict[str, Any]] | None, prompt: str
    ) -> int:
        """Tokens of the prompt that belong to its system message (with any tool list)."""
        if not history or history[0]["role"] != "system" or len(history) < 2:
            return 0
        alone = self.template.render(history[:1], tools)
        n = 0
        for a, b in zip(alone, prompt):
            if a != b:
                break
            n += 1
        return len(self._tokenize(prompt[:n])) if n else 0

    def _check_context(self, tokens: list[int], max_tokens: int) -> None:
        n_ctx = self.llm.n_ctx()
        if len(tokens) >= n_ctx:
            raise OculiError(
                f"the conversation is {len(tokens)} tokens, more than the {n_ctx}-token context",
                hint="start a new conversation or raise llm.context_tokens",
                code="context_length_exceeded",
            )

    @staticmethod
    def _forced_tools(
        tools: list[dict[str, Any]], choice: ToolChoice
    ) -> list[dict[str, Any]] | None:
        if choice == "required":
            return tools
        if isinstance(choice, dict) and choice.get("type") == "allowed_tools":
            # OpenAI's shape for "call one of these": the whole list stays in the prompt (its
            # cache with it), only the choice is narrowed. Mode "auto" is not offered here.
            allowed = choice.get("allowed_tools", {})
            names = {t.get("function", t).get("name") for t in allowed.get("tools", [])}
            chosen = [t for t in tools if toolfmt.tool_name(t) in names]
            if allowed.get("mode") != "required" or not chosen:
                raise OculiError(
                    "allowed_tools needs mode 'required' and names among the tools",
                    code="invalid_tool_choice",
                )
            return chosen
        if isinstance(choice, dict):
            name = choice.get("function", {}).get("name")
            chosen = [t for t in tools if toolfmt.tool_name(t) == name]
            if not chosen:
                raise OculiError(
                    f"tool_choice names '{name}', which is not among the tools",
                    code="invalid_tool_choice",
                )
            return chosen
        return None

    def _grammar_from_gbnf(self, gbnf: str) -> Any:
        from llama_cpp import LlamaGrammar

        if gbnf not in self._grammar_cache:
            self._grammar_cache[gbnf] = LlamaGrammar.from_string(gbnf, verbose=False)
        return self._grammar_cache[gbnf]

    def _grammar_for_schema(self, schema: dict[str, Any]) -> Any:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        try:
            gbnf = json_schema_to_gbnf(json.dumps(schema))
        except Exception as exc:
            raise OculiError(
                f"unsupported JSON schema: {exc}", code="invalid_json_schema"
            ) from exc
        return self._grammar_from_gbnf(gbnf)

    def _json_grammar(self) -> Any:
        from llama_cpp.llama_grammar import JSON_GBNF

        return self._grammar_from_gbnf(JSON_GBNF)


def not_words_ids(llm: Any) -> list[int]:
    """Tokens a reply in words never starts with: ends of generation, and pieces that open a
    JSON object or a fenced block (one pass over the vocabulary; callers keep the result)."""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    ids = []
    for t in range(llm.n_vocab()):
        piece = llm.detokenize([t]).lstrip()
        if llama_cpp.llama_vocab_is_eog(vocab, t) or piece[:1] in (b"{", b"`"):
            ids.append(t)
    return ids


def call_tag_ids(tokenize: Any) -> list[int]:
    """The call tag's token, when the template has it as one token (Qwen's `<tool_call>`);
    else empty: such a model cannot be kept from calling by a ban."""
    ids = tokenize(toolfmt.CALL_OPEN)
    return ids if len(ids) == 1 else []


def _text_until_call(
    decoded: Iterator[tuple[str, str]],
) -> Generator[TextDelta, None, tuple[bool, str]]:
    """Stream `_decode`'s text, held back while it could still open a tool call; returns
    (a call opened, the end reason). Held text is let out when no call opened."""
    held, decided, reason = "", False, "stop"
    for kind, value in decoded:
        if kind != "text":
            reason = value
            break
        if decided:
            yield TextDelta(value)
            continue
        held += value
        state = toolfmt.opening_state(held)
        if state == "call":
            return True, reason
        if state == "text":
            decided = True
            yield TextDelta(held)
    if held and not decided:
        yield TextDelta(held)
    return False, reason


def _banning(always: list[int], first: list[int], prompt_len: int) -> Any:
    """A llama-cpp-python logits processor that makes `always` tokens impossible, and
    `first` ones impossible as the first generated token."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    def ban(ids: Any, scores: Any) -> Any:
        if always:
            scores[always] = -np.inf
        if first and len(ids) <= prompt_len:
            scores[first] = -np.inf
        return scores

    return LogitsProcessorList([ban])
