"""A chat engine that hands LLM turns to an existing OpenAI-compatible server.

Why: a household server or a GPU cluster runs a bigger model (vLLM, llama-server, Ollama,
llama-cpp-python's server) than the glasses can. `[llm] endpoint` points every interface's
LLM turns at it while speech, perception and memory stay on the device. Only text leaves:
image parts are replaced by a note unless `[llm] send_images = true` (oculi itself turns
images into text — OCR, detections — before a chat turn, so nothing is lost by default).

Contract: the same as `LlamaEngine.stream_chat` (text deltas or one ToolCallsReady, then
Finished with usage). Cancellation closes the HTTP stream, which stops the remote
generation on every server that notices a closed connection. Tool calls use the server's
own tool calling; when it refuses `tools`, or answers with a call written as text, oculi's
own format (tools.py) is taught in the system prompt and parsed from the text.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

from oculi.errors import OculiError
from oculi.llm import tools as toolfmt
from oculi.llm.engine import GenerationOptions, ToolChoice
from oculi.llm.messages import (
    ChatMessage,
    ChatResult,
    Finished,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallsReady,
    Usage,
)

IMAGE_WITHHELD = "[an image was here; it was not sent to the remote model ([llm] send_images is off)]"


def outgoing_messages(
    messages: list[ChatMessage], *, send_images: bool, tools_as_text: bool = False
) -> list[dict[str, Any]]:
    """OpenAI-shaped messages; image parts dropped (and said so) unless images may leave."""
    out: list[dict[str, Any]] = []
    for m in messages:
        d: dict[str, Any] = {"role": m.role}
        content: Any = m.content
        if isinstance(content, list):  # OpenAI content parts, if a caller passes them through
            parts = []
            for p in content:
                kind = p.get("type") if isinstance(p, dict) else None
                if kind == "text":
                    parts.append({"type": "text", "text": p.get("text", "")})
                elif send_images and kind == "image_url":
                    parts.append(p)
                else:
                    parts.append({"type": "text", "text": IMAGE_WITHHELD})
            content = parts if send_images else "\n".join(p["text"] for p in parts)
        d["content"] = content if content is not None else ""
        if m.tool_calls:
            d["tool_calls"] = [c.to_openai() for c in m.tool_calls]
            if not m.content:
                d["content"] = None
        if m.tool_call_id:
            d["tool_call_id"] = m.tool_call_id
        if m.name:
            d["name"] = m.name
        out.append(d)
    if tools_as_text:
        plain = toolfmt.as_plain_history(
            [{**d, "tool_calls": [
                {"function": {"name": c["function"]["name"],
                              "arguments": json.loads(c["function"]["arguments"])}}
                for c in d["tool_calls"]]} if d.get("tool_calls") else d for d in out])
        out = [{k: v for k, v in d.items() if k in ("role", "content")} for d in plain]
    return out


class RemoteEngine:
    """`stream_chat` over an OpenAI-compatible `/v1/chat/completions`; thread-safe."""

    def __init__(
        self,
        endpoint: str,
        *,
        api_key: str | None = None,
        model: str | None = None,
        send_images: bool = False,
        timeout: float = 120.0,
        slots: int = 4,
    ) -> None:
        from openai import OpenAI

        base = endpoint.rstrip("/")
        if not base.endswith("/v1"):
            base += "/v1"
        self.endpoint = base
        self.send_images = send_images
        self.slots = slots  # how many streams the server's scheduler may open at once
        self._model = model
        self._native_tools = True  # until the server refuses them
        self._schema_beside_json_object = False  # until json_schema is refused
        self.client = OpenAI(base_url=base, api_key=api_key or "not-needed", timeout=timeout,
                             max_retries=1)

    @property
    def model(self) -> str:
        if self._model is None:
            try:
                listed = self.client.models.list().data
            except Exception as exc:  # noqa: BLE001
                raise self._error(exc) from None
            self._model = listed[0].id if listed else "default"
        return self._model

    def probe(self) -> str:
        """The served model's name; raises OculiError when the endpoint does not answer."""
        try:
            listed = self.client.models.list().data
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc) from None
        return ", ".join(m.id for m in listed) or "(no models listed)"

    # ------------------------------------------------------------------ ChatEngine
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
        opts = options or GenerationOptions()
        if tool_choice == "none":
            tools = None
        native = bool(tools) and self._native_tools
        body = self._body(messages, tools if native else None, tool_choice, json_schema,
                          json_object, opts, tools_as_text=bool(tools) and not native)
        if tools and not native:
            body["messages"] = self._teach_tools(body["messages"], tools)
        try:
            try:
                stream = self._open(body)
            except OculiError:
                rf = body.get("response_format", {})
                if rf.get("type") != "json_schema":
                    raise
                # servers without OpenAI's json_schema (llama-cpp-python's, Ollama's older
                # ones) take the schema beside json_object instead
                self._schema_beside_json_object = True
                body["response_format"] = self._json_format(json_schema or {})
                stream = self._open(body)
        except OculiError as exc:
            if not (native and exc.code == "endpoint_rejected"):
                raise
            self._native_tools = False  # this server has no tool calling: use oculi's format
            yield from self.stream_chat(messages, tools=tools, tool_choice=tool_choice,
                                        options=options, cancel=cancel,
                                        parallel_tool_calls=parallel_tool_calls)
            return
        yield from self._events(stream, bool(tools), cancel)

    def prefill(self, messages: list[ChatMessage], **_: Any) -> int:
        """Nothing to warm on this side: the remote server keeps its own prompt cache."""
        return 0

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
        return max(1, len(text) // 4)  # the remote tokenizer is unknown; a usual estimate

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------------ internals
    def _body(
        self, messages: list[ChatMessage], tools: list[dict[str, Any]] | None,
        tool_choice: ToolChoice, json_schema: dict[str, Any] | None, json_object: bool,
        opts: GenerationOptions, *, tools_as_text: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": outgoing_messages(messages, send_images=self.send_images,
                                          tools_as_text=tools_as_text),
            "stream": True,
            "max_tokens": opts.max_tokens,
            "temperature": opts.temperature,
            "top_p": opts.top_p,
        }
        if opts.seed is not None:
            body["seed"] = opts.seed
        if opts.stop:
            body["stop"] = list(opts.stop)[:4]
        if tools:
            body["tools"] = tools
            body["tool_choice"] = tool_choice
        elif json_schema is not None:
            body["response_format"] = self._json_format(json_schema)
        elif json_object:
            body["response_format"] = {"type": "json_object"}
        return body

    def _json_format(self, schema: dict[str, Any]) -> dict[str, Any]:
        if self._schema_beside_json_object:
            return {"type": "json_object", "schema": schema}
        return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}

    @staticmethod
    def _teach_tools(msgs: list[dict[str, Any]], tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        lesson = toolfmt.system_prompt_for_tools(tools)
        if msgs and msgs[0]["role"] == "system":
            return [{"role": "system", "content": f"{msgs[0]['content']}\n\n{lesson}"}, *msgs[1:]]
        return [{"role": "system", "content": lesson}, *msgs]

    def _open(self, body: dict[str, Any]) -> Any:
        extra = {k: v for k, v in body.items() if k not in ("model", "messages", "stream")}
        try:
            return self.client.chat.completions.create(
                model=body["model"], messages=body["messages"], stream=True, **extra)
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc) from None

    def _events(self, stream: Any, tools_given: bool, cancel: threading.Event | None) -> Iterator[StreamEvent]:
        usage = Usage()
        reason = "stop"
        calls: dict[int, dict[str, str]] = {}
        held, decided = "", not tools_given  # text that may be a call written as text
        try:
            for chunk in stream:
                if cancel is not None and cancel.is_set():
                    reason = "cancelled"
                    break
                if chunk.usage is not None:
                    usage.prompt_tokens = chunk.usage.prompt_tokens or 0
                    usage.completion_tokens = chunk.usage.completion_tokens or 0
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                delta = choice.delta
                for tc in delta.tool_calls or []:
                    slot = calls.setdefault(tc.index or 0, {"id": "", "name": "", "arguments": ""})
                    if tc.id:
                        slot["id"] = tc.id
                    if tc.function is not None:
                        # names come whole (some servers repeat them in every chunk);
                        # arguments come in pieces, or whole again so far (cumulative)
                        slot["name"] = tc.function.name or slot["name"]
                        args = tc.function.arguments or ""
                        cumulative = len(slot["arguments"]) > 1 and args.startswith(slot["arguments"])
                        slot["arguments"] = args if cumulative else slot["arguments"] + args
                if delta.content:
                    if chunk.usage is None:
                        usage.completion_tokens += 1  # one chunk is about one token
                    if decided:
                        yield TextDelta(delta.content)
                    else:
                        held += delta.content
                        state = toolfmt.opening_state(held)
                        if state == "text":
                            decided = True
                            yield TextDelta(held)
                            held = ""
                if choice.finish_reason:
                    reason = {"length": "length", "tool_calls": "tool_calls"}.get(
                        choice.finish_reason, "stop")
        except Exception as exc:  # noqa: BLE001
            raise self._error(exc) from None
        finally:
            stream.close()  # cancels the remote generation when it is still running
        if reason == "cancelled":
            yield Finished("cancelled", usage)
            return
        parsed = [ToolCall(name=c["name"], arguments=c["arguments"] or "{}", **(
            {"id": c["id"]} if c["id"] else {})) for _, c in sorted(calls.items())]
        if not parsed and held:
            parsed = _calls_in_text(held)
            if not parsed:
                yield TextDelta(held)
        if parsed:
            yield ToolCallsReady(parsed)
            yield Finished("tool_calls", usage)
            return
        yield Finished(reason, usage)  # type: ignore[arg-type]

    def _error(self, exc: BaseException) -> OculiError:
        import openai

        if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError):
            return OculiError(f"the LLM endpoint {self.endpoint} does not answer: {exc}",
                              hint="check [llm] endpoint, or unset it to use the on-device model",
                              code="endpoint_unreachable")
        if isinstance(exc, openai.APIStatusError):
            code = "endpoint_rejected" if exc.status_code in (400, 404, 422) else "endpoint_error"
            return OculiError(f"the LLM endpoint answered {exc.status_code}: {exc.message}",
                              hint="check [llm] endpoint_model and api_key", code=code)
        return OculiError(f"the LLM endpoint failed: {exc}", code="endpoint_error")


def _calls_in_text(text: str) -> list[ToolCall]:
    """Calls a model wrote as text (`<tool_call>{…}</tool_call>`, a JSON block, bare JSON, or
    JSON inside the `<tools>` tag Qwen's template lists the tools in)."""
    opening, closing = toolfmt.TOOLS_WRAPPER
    body = text.strip().removeprefix(opening).removesuffix(closing).strip()
    for fence in ("```json", "```"):
        body = body.removeprefix(fence)
    body = body.removesuffix("```").strip()
    if body.startswith("{{") and body.endswith("}}"):
        body = body[1:-1]
    if not body.startswith(toolfmt.CALL_OPEN):
        body = toolfmt.CALL_OPEN + "\n" + body
    try:
        calls = toolfmt.parse_calls(body)
    except (KeyError, TypeError):
        return []
    return calls
