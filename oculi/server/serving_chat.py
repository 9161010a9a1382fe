"""POST /v1/chat/completions: validation, conversion to engine calls, plain and SSE answers.

With tools and `tool_choice` "auto", the model is also offered the agent's way to decline
tools (`answer_directly`, with a one-line rule before the latest user message, see
oculi.agent.prompt): a small model shown an app's tool list otherwise calls one of them for a
remark or a general-knowledge question. The escape and its rule stay inside the server: when
the model takes it, the answer is generated again from the same prompt with tool_choice
"none" (no call can be sampled; the prompt's cache is reused) and the client receives plain
assistant content, as OpenAI's "auto" allows. "required", a named
tool and "none" are left exactly as OpenAI defines them: no escape is offered.

A request whose latest user message names a Home Assistant entity id ("mute
media_player.den_radio") while home tools are offered may call only those; with oculi's own
tools, so may a plain household command, and a request for a translation may call only
`translate` (`agent.said.tools_asked_for`): the model otherwise made such requests
reminders or notes, or answered them in words. Calls whose
arguments contradict the request are mended (oculi.agent.said: an entity id as said, a
service the domain has, and with oculi's own tools and "auto" the words to translate as
said, a stated fact for the memory, not a reminder); a question about the view or the
wearer's past that the model declined through the escape goes to the camera or the memory
(`call_instead_of_words`).

Before that, with "auto", the intent router (oculi.agent.router, `route_for_tools`) may
answer a request in words at once: small talk or a question the model knows, close to none
of the app's tools. The job then runs with tool_choice "none" (the same prompt, so its cache
is reused) and the model never reads a decision it would get wrong half the time.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from oculi.agent.prompt import DIRECT_ANSWER, DIRECT_ANSWER_SPEC, ESCAPE_RULE
from oculi.agent.router import IntentRouter
from oculi.agent.said import call_instead_of_words, kept_to_the_request, tools_asked_for
from oculi.errors import OculiError
from oculi.llm.engine import GenerationOptions
from oculi.llm.messages import ChatMessage, Finished, TextDelta, ToolCall, ToolCallsReady, Usage
from oculi.server.backends.protocols import ImageDescriber
from oculi.server.errors import ApiError, from_oculi, invalid, unsupported
from oculi.server.images import FetchedImage, decode_data_url, fetch_image
from oculi.server.metrics import Metrics
from oculi.server.protocol import ChatCompletionRequest, ImagePart, Message
from oculi.server.scheduler import END, ChatJob, ChatScheduler
from oculi.server.settings import ServerSettings

log = logging.getLogger("oculi.server")


def check_supported(req: ChatCompletionRequest, settings: ServerSettings) -> None:
    """Refuse what oculi cannot honour, naming the parameter (never silently ignore it)."""
    if req.n not in (None, 1):
        raise unsupported("n", "oculi generates one choice per request")
    if req.logprobs:
        raise unsupported("logprobs")
    if req.top_logprobs:
        raise unsupported("top_logprobs")
    if req.presence_penalty not in (None, 0, 0.0):
        raise unsupported("presence_penalty")
    if req.frequency_penalty not in (None, 0, 0.0):
        raise unsupported("frequency_penalty")
    if req.logit_bias:
        raise unsupported("logit_bias")
    if req.parallel_tool_calls is False:
        raise unsupported("parallel_tool_calls", "oculi cannot limit an answer to one call")
    if req.stream_options is not None and not req.stream:
        raise invalid("stream_options is only allowed with stream=true", param="stream_options")
    if req.max_tokens and req.max_completion_tokens and req.max_tokens != req.max_completion_tokens:
        raise invalid("max_tokens and max_completion_tokens disagree; send one",
                      param="max_completion_tokens")
    limit = req.max_completion_tokens or req.max_tokens or 0
    if limit > settings.max_tokens_limit:
        raise invalid(f"max_tokens may be at most {settings.max_tokens_limit}",
                      param="max_completion_tokens")
    stops = [req.stop] if isinstance(req.stop, str) else (req.stop or [])
    if len(stops) > 4:
        raise invalid("stop takes at most 4 sequences", param="stop")
    if req.tool_choice is not None and not isinstance(req.tool_choice, str) and not req.tools:
        raise invalid("tool_choice names a function but no tools were given", param="tool_choice")
    if req.tools and req.response_format is not None and req.response_format.type != "text":
        raise unsupported("response_format", "it cannot be combined with tools")
    rf = req.response_format
    if rf is not None and rf.type == "json_schema" and rf.json_schema.schema_ is None:
        raise invalid("response_format.json_schema.schema is required", param="response_format")


async def _image_text(
    part: ImagePart, question: str, describer: ImageDescriber | None, settings: ServerSettings
) -> str:
    if describer is None:
        raise ApiError(
            400,
            "this server has no image model configured, so it cannot read image_url parts",
            param="messages",
            code="images_unsupported",
        )
    url = part.image_url.url
    if url.startswith("data:"):
        img: FetchedImage = decode_data_url(url, settings.max_image_bytes)
    else:
        img = await fetch_image(
            url,
            max_bytes=settings.max_image_bytes,
            timeout=settings.image_fetch_timeout,
            allow_private=settings.allow_private_image_urls,
        )
    text = await asyncio.to_thread(describer.describe, img.data, img.mime, question)
    return f"[image: {text}]"


def _tool_calls(msg: Message, index: int) -> list[ToolCall]:
    calls = []
    for c in msg.tool_calls or []:
        try:
            args = json.loads(c.function.arguments)
        except ValueError:
            args = None
        if not isinstance(args, dict):
            raise invalid(f"messages[{index}].tool_calls: arguments must be a JSON object",
                          param=f"messages.{index}.tool_calls")
        calls.append(ToolCall(name=c.function.name, arguments=c.function.arguments, id=c.id))
    return calls


async def to_chat_messages(
    req: ChatCompletionRequest, describer: ImageDescriber | None, settings: ServerSettings
) -> list[ChatMessage]:
    out: list[ChatMessage] = []
    for i, m in enumerate(req.messages):
        if m.audio is not None or m.function_call is not None:
            raise unsupported(f"messages.{i}.function_call")
        if isinstance(m.content, list):
            texts = [p.text for p in m.content if p.type == "text"]
            question = " ".join(texts)
            pieces = []
            for p in m.content:
                if isinstance(p, ImagePart):
                    if m.role != "user":
                        raise invalid("image_url parts are only allowed in user messages",
                                      param=f"messages.{i}.content")
                    pieces.append(await _image_text(p, question, describer, settings))
                else:
                    pieces.append(p.text)
            content: str | None = "\n".join(pieces)
        else:
            content = m.content
        if m.role == "tool" and not m.tool_call_id:
            raise invalid(f"messages[{i}] has role 'tool' but no tool_call_id",
                          param=f"messages.{i}.tool_call_id")
        role = "system" if m.role == "developer" else m.role
        out.append(ChatMessage(role=role, content=content, tool_calls=_tool_calls(m, i),
                               tool_call_id=m.tool_call_id, name=m.name))
    return out


def user_request(messages: list[ChatMessage]) -> str:
    """The user's words when the latest message is theirs ("" after a tool result or an
    assistant turn): what the router and the home rules judge."""
    last = messages[-1] if messages else None
    return (last.content or "") if last is not None and last.role == "user" else ""


def plainly_words(router: IntentRouter | None, req: ChatCompletionRequest,
                  messages: list[ChatMessage], tools: list[dict[str, Any]]) -> bool:
    """Whether the router answers this request in words, offering the app's tools no call.

    It stands aside (the model decides) unless the app sent tools with "auto", the latest
    message is the user's, and the turn before it used no tool: a follow-up such as "make it
    ten minutes instead" reads like small talk but changes what a tool did."""
    if router is None or not req.tools or req.tool_choice not in (None, "auto"):
        return False
    request = user_request(messages)
    if not request.strip():
        return False
    users = [i for i, m in enumerate(messages) if m.role == "user"]
    previous = messages[users[-2] + 1:users[-1]] if len(users) > 1 else messages[:users[-1]]
    if any(m.tool_calls or m.role == "tool" for m in previous):
        return False
    route = router.route_for_tools(request, tools)
    log.info("intent router: %s (words ahead by %+.3f)%s", route.kind, route.margin,
             ": answered in words" if route.words_only else "")
    return route.words_only


def app_tools(req: ChatCompletionRequest) -> list[dict[str, Any]] | None:
    """The request's tools as plain dicts (the engine's and the router's shape)."""
    return [t.model_dump(exclude_none=True) for t in req.tools] if req.tools else None


def build_job(
    req: ChatCompletionRequest, messages: list[ChatMessage], settings: ServerSettings,
    *, tools: list[dict[str, Any]] | None = None, words_only: bool = False,
) -> ChatJob:
    """The engine job of a request. `words_only` (plainly_words): the app's tools stay in
    the prompt, but no call can be made and no escape is offered."""
    stops = [req.stop] if isinstance(req.stop, str) else list(req.stop or [])
    options = GenerationOptions(
        max_tokens=req.max_completion_tokens or req.max_tokens or settings.max_tokens_default,
        temperature=settings.temperature_default if req.temperature is None else req.temperature,
        seed=req.seed,
        stop=tuple(stops),
    )
    if req.top_p is not None:
        options.top_p = req.top_p
    tool_choice: Any = "auto"
    if isinstance(req.tool_choice, str):
        tool_choice = req.tool_choice
    elif req.tool_choice is not None:
        tool_choice = req.tool_choice.model_dump()
    client_choice = tool_choice
    rf = req.response_format
    tools = app_tools(req) if tools is None else list(tools)  # the escape may be appended
    asked = tools_asked_for(user_request(messages), tools) if tools else None
    if tools and words_only:
        tool_choice = "none"
    elif tool_choice == "auto" and asked is not None:
        tool_choice = asked  # plainly a home command or a translation: see agent.said
    elif tools and tool_choice == "auto" and all(t["function"]["name"] != DIRECT_ANSWER for t in tools):
        tools.append(DIRECT_ANSWER_SPEC)  # the model may decline; see offers_escape
        messages = with_escape_rule(messages)
    return ChatJob(
        messages=messages,
        tools=tools,
        tool_choice=tool_choice,
        client_choice=client_choice,
        json_schema=rf.json_schema.schema_ if rf is not None and rf.type == "json_schema" else None,
        json_object=rf is not None and rf.type == "json_object",
        options=options,
    )


def with_escape_rule(messages: list[ChatMessage]) -> list[ChatMessage]:
    """The messages with ESCAPE_RULE as a system line just before the latest user message
    (where the agent puts its turn rule: what the model reads last)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=len(messages))
    rule = ChatMessage(role="system", content=ESCAPE_RULE)
    return [*messages[:last_user], rule, *messages[last_user:]]


def offers_escape(job: ChatJob) -> bool:
    """Whether the server (not the client) added `answer_directly` to this job's tools."""
    return any(t is DIRECT_ANSWER_SPEC for t in job.tools or [])


def _usage(u: Usage) -> dict[str, Any]:
    return {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.total_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cached_prompt_tokens},
    }


class ChatRun:
    """One request's trip through the scheduler, with its metrics."""

    def __init__(self, job: ChatJob, scheduler: ChatScheduler, metrics: Metrics, model: str):
        self.job, self.scheduler, self.metrics, self.model = job, scheduler, metrics, model
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.t0 = time.perf_counter()
        self.first: float | None = None

    def start(self) -> None:
        """Join the scheduler's line now, so a full queue is a 503 before any byte is sent."""
        self.scheduler.submit(self.job)

    async def _items(self, job: ChatJob) -> AsyncIterator[Any]:
        """One job's engine events until END; failures raised as ApiError."""
        while True:
            item = await job.queue.get()
            if item is END:
                return
            if isinstance(item, ApiError):
                raise item
            if isinstance(item, OculiError):
                raise from_oculi(item)
            if isinstance(item, Exception):
                raise ApiError(500, f"generation failed: {type(item).__name__}: {item}",
                               code="generation_failed")
            yield item

    async def events(self) -> AsyncIterator[Any]:
        """Engine events; raises ApiError for failures. Cancels the generation if abandoned.

        When the model takes the server's escape (`answer_directly` alone), that pass is not
        shown: a second pass with no tools writes the answer, in the same cancel scope, and
        the usage reported covers both passes.
        """
        escape = offers_escape(self.job)
        request = user_request(self.job.messages)
        offered = {t["function"]["name"] for t in self.job.tools or []}
        free = self.job.client_choice == "auto"  # calls mended to what was said: agent.said
        try:
            declined: Usage | None = None
            async for item in self._items(self.job):
                if isinstance(item, ToolCallsReady) and request:
                    item = ToolCallsReady(kept_to_the_request(item.calls, request, offered, free=free))
                if escape and isinstance(item, ToolCallsReady):
                    calls = [c for c in item.calls if c.name != DIRECT_ANSWER]
                    instead = None if calls else call_instead_of_words(request, offered, free=free)
                    if instead is not None:  # the view or the past, declined: look or recall
                        calls = [instead]
                    if not calls:
                        declined = Usage()
                        continue
                    item = ToolCallsReady(calls)
                if declined is not None and isinstance(item, Finished) and item.reason != "cancelled":
                    declined = item.usage
                    continue
                yield self._seen(item)
            if declined is not None:
                # the same prompt, calling nothing: its cache is reused, nothing is read again
                self.job = replace(self.job, tool_choice="none", queue=asyncio.Queue(), loop=None,
                                   submitted=time.perf_counter(), started=None)
                self.scheduler.submit(self.job)
                async for item in self._items(self.job):
                    if isinstance(item, Finished):
                        item.usage.prompt_tokens += declined.prompt_tokens
                        item.usage.completion_tokens += declined.completion_tokens
                        item.usage.cached_prompt_tokens += declined.cached_prompt_tokens
                    yield self._seen(item)
        finally:
            self.job.cancel.set()

    def _seen(self, item: Any) -> Any:
        """Metrics for an event the client will see; a cancelled generation becomes a 503."""
        if self.first is None:
            self.first = time.perf_counter()
            self.metrics.ttft.observe(self.first - self.t0)
            if self.job.started is not None:
                self.metrics.queue_wait.observe(self.job.started - self.job.submitted)
        if isinstance(item, Finished):
            self._observe(item)
            if item.reason == "cancelled":
                raise ApiError(503, "the generation was cancelled (server shutting down)",
                               code="generation_cancelled")
        return item

    def _observe(self, fin: Finished) -> None:
        end = time.perf_counter()
        self.metrics.completion.observe(end - self.t0)
        self.metrics.generated_tokens.inc(fin.usage.completion_tokens)
        self.metrics.prompt_tokens.inc(fin.usage.prompt_tokens)
        if self.first is not None and fin.usage.completion_tokens > 1 and end > self.first:
            self.metrics.tokens_per_second.observe(fin.usage.completion_tokens / (end - self.first))

    def chunk(self, delta: dict[str, Any], finish: str | None = None, usage: bool = False) -> str:
        body: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if usage:
            body["usage"] = None
        return f"data: {json.dumps(body)}\n\n"

    async def complete(self) -> dict[str, Any]:
        text: list[str] = []
        calls: list[ToolCall] = []
        fin = Finished("stop", Usage())
        async for ev in self.events():
            if isinstance(ev, TextDelta):
                text.append(ev.text)
            elif isinstance(ev, ToolCallsReady):
                calls = ev.calls
            elif isinstance(ev, Finished):
                fin = ev
        message: dict[str, Any] = {"role": "assistant", "content": None if calls else "".join(text),
                                   "refusal": None}
        if calls:
            message["tool_calls"] = [c.to_openai() for c in calls]
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": fin.reason}],
            "usage": _usage(fin.usage),
        }

    async def stream(self, include_usage: bool) -> AsyncIterator[str]:
        """SSE lines; a failure after the first byte becomes an error event, then [DONE]."""
        try:
            yield self.chunk({"role": "assistant", "content": ""}, usage=include_usage)
            async for ev in self.events():
                if isinstance(ev, TextDelta):
                    if ev.text:
                        yield self.chunk({"content": ev.text}, usage=include_usage)
                elif isinstance(ev, ToolCallsReady):
                    for i, c in enumerate(ev.calls):
                        head = {"index": i, "id": c.id, "type": "function",
                                "function": {"name": c.name, "arguments": ""}}
                        yield self.chunk({"tool_calls": [head]}, usage=include_usage)
                        args = {"index": i, "function": {"arguments": c.arguments}}
                        yield self.chunk({"tool_calls": [args]}, usage=include_usage)
                elif isinstance(ev, Finished):
                    yield self.chunk({}, finish=ev.reason, usage=include_usage)
                    if include_usage:
                        tail = {"id": self.id, "object": "chat.completion.chunk",
                                "created": self.created, "model": self.model,
                                "system_fingerprint": None, "choices": [],
                                "usage": _usage(ev.usage)}
                        yield f"data: {json.dumps(tail)}\n\n"
        except ApiError as exc:
            yield f"data: {json.dumps(exc.body())}\n\n"
        yield "data: [DONE]\n\n"
