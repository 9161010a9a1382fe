"""`oculi chat`: one streamed answer, or an interactive conversation."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from oculi.cli.console import console, err_console
from oculi.config import load_settings
from oculi.llm.engine import GenerationOptions, LlamaEngine
from oculi.llm.loader import load_engine
from oculi.llm.messages import ChatMessage, Finished, TextDelta, ToolCallsReady


def _read_json(path: Path | None, what: str) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot read {what} from {path}: {exc}") from exc


def _check_tools(tools: Any, path: Path | None) -> list[dict[str, Any]] | None:
    """An OpenAI `tools` list: checked here, before a model loads, so a wrong file is one line."""
    if tools is None:
        return None
    ok = isinstance(tools, list) and all(
        isinstance(t, dict)
        and isinstance(t.get("function"), dict)
        and isinstance(t["function"].get("name"), str)
        and isinstance(t["function"].get("parameters", {}), dict)
        for t in tools
    )
    if not ok:
        raise typer.BadParameter(
            f"{path} is not an OpenAI tools list: expected "
            '[{"type": "function", "function": {"name": ..., "parameters": {...}}}, ...]'
        )
    return tools


def _check_schema(schema: Any, path: Path | None) -> dict[str, Any] | None:
    if schema is None:
        return None
    if not isinstance(schema, dict):
        raise typer.BadParameter(f"{path} is not a JSON schema: expected a JSON object")
    try:
        import jsonschema

        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise typer.BadParameter(f"{path} is not a valid JSON schema: {exc.message}") from exc
    return schema


def _answer(
    engine: LlamaEngine,
    history: list[ChatMessage],
    opts: GenerationOptions,
    tools: list[dict[str, Any]] | None,
    schema: dict[str, Any] | None,
    json_object: bool,
    stats: bool,
) -> ChatMessage:
    """Stream one answer to stdout; Ctrl-C stops generation and keeps what was said."""
    t0 = time.perf_counter()
    first: float | None = None
    text: list[str] = []
    calls = []
    finished: Finished | None = None
    stream = engine.stream_chat(
        history, tools=tools, json_schema=schema, json_object=json_object, options=opts
    )
    try:
        for ev in stream:
            if first is None:
                first = time.perf_counter() - t0
            if isinstance(ev, TextDelta):
                text.append(ev.text)
                sys.stdout.write(ev.text)
                sys.stdout.flush()
            elif isinstance(ev, ToolCallsReady):
                calls = ev.calls
                for c in calls:
                    sys.stdout.write(json.dumps({"tool_call": c.name, "arguments": c.parsed_arguments()}))
                    sys.stdout.write("\n")
            else:
                finished = ev
    except KeyboardInterrupt:
        stream.close()
        err_console.print("\n[dim](stopped)[/]")
    sys.stdout.write("\n")
    if stats and finished is not None:
        total = time.perf_counter() - t0
        u = finished.usage
        gen_time = max(total - (first or 0.0), 1e-9)
        err_console.print(
            f"[dim]{u.prompt_tokens} prompt tokens ({u.cached_prompt_tokens} cached), "
            f"{u.completion_tokens} generated; first token {first or 0:.2f}s, "
            f"{u.completion_tokens / gen_time:.1f} tok/s, finish: {finished.reason}[/]"
        )
    return ChatMessage(role="assistant", content="".join(text), tool_calls=calls)


def chat(
    question: Annotated[
        str | None, typer.Argument(help="ask once and exit; omit for an interactive chat")
    ] = None,
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    system: Annotated[str | None, typer.Option(help="system prompt")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="answer length limit")] = None,
    temperature: Annotated[float | None, typer.Option(help="0 = deterministic")] = None,
    seed: Annotated[int | None, typer.Option(help="sampling seed")] = None,
    json_object: Annotated[bool, typer.Option("--json", help="answer with a JSON object")] = False,
    schema: Annotated[
        Path | None, typer.Option(help="JSON-schema file the answer must match")
    ] = None,
    tools: Annotated[
        Path | None, typer.Option(help="OpenAI-style tools JSON file the model may call")
    ] = None,
    stats: Annotated[bool, typer.Option(help="print token counts and speed")] = False,
) -> None:
    """Chat with the on-device LLM. Answers stream as they are generated; Ctrl-C stops one."""
    settings = load_settings()
    tool_list = _check_tools(_read_json(tools, "tools"), tools)
    schema_obj = _check_schema(_read_json(schema, "schema"), schema)
    with err_console.status(f"loading {model or settings.llm.model}…"):
        engine = load_engine(settings, model)
    opts = GenerationOptions(
        max_tokens=max_tokens or settings.llm.max_tokens,
        temperature=settings.llm.temperature if temperature is None else temperature,
        seed=seed,
    )
    history = [ChatMessage(role="system", content=system or settings.llm.system_prompt)]
    if question is not None:
        history.append(ChatMessage(role="user", content=question))
        _answer(engine, history, opts, tool_list, schema_obj, json_object, stats)
        return
    console.print("[dim]oculi chat — /reset clears the conversation, /exit or Ctrl-D leaves[/]")
    while True:
        try:
            line = console.input("[bold cyan]you>[/] ")
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not line.strip():
            continue
        if line.strip() in ("/exit", "/quit"):
            return
        if line.strip() == "/reset":
            history = history[:1]
            console.print("[dim](conversation cleared)[/]")
            continue
        history.append(ChatMessage(role="user", content=line))
        history.append(_answer(engine, history, opts, tool_list, schema_obj, json_object, stats))
