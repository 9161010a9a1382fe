"""`oculi chat`: one streamed answer, or an interactive conversation."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
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


def _assistant_answer(assistant: Any, question: str, stats: bool) -> None:
    """One turn of the assistant, streamed; tools run and show on stderr; Ctrl-C stops it."""
    import threading

    from oculi.agent.events import AgentDone, AnswerDelta
    from oculi.assistant.session import TurnResult
    from oculi.cli.assistant_io import print_agent_event

    cancel = threading.Event()
    context = assistant.prepare()
    result = TurnResult(question, context, None)
    t0 = time.perf_counter()
    first: float | None = None
    said: list[str] = []
    try:
        for ev in assistant.turn(question, cancel, context, result):
            if isinstance(ev, AnswerDelta):
                if first is None:
                    first = time.perf_counter() - t0
                said.append(ev.text)
                sys.stdout.write(ev.text)
                sys.stdout.flush()
            elif not isinstance(ev, AgentDone):
                if said and not "".join(said).endswith("\n"):
                    sys.stdout.write("\n")
                print_agent_event(ev)
    except KeyboardInterrupt:
        cancel.set()
        err_console.print("\n[dim](stopped)[/]")
    sys.stdout.write("\n")
    sys.stdout.flush()
    assistant.commit(result, heard="".join(said) if cancel.is_set() else None)
    if stats and result.done is not None:
        u = result.done.usage
        total = time.perf_counter() - t0
        speed = u.completion_tokens / max(total - (first or 0.0), 1e-9)
        err_console.print(
            f"[dim]{u.prompt_tokens} prompt tokens ({u.cached_prompt_tokens} cached), "
            f"{u.completion_tokens} generated over {result.done.steps} model call(s), "
            f"{speed:.1f} tok/s; first word {first or 0:.2f}s, total {total:.2f}s[/]")


def chat(
    question: Annotated[
        str | None, typer.Argument(help="ask once and exit; omit for an interactive chat")
    ] = None,
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    system: Annotated[str | None, typer.Option(help="system prompt")] = None,
    max_tokens: Annotated[int | None, typer.Option(help="answer length limit")] = None,
    temperature: Annotated[float | None, typer.Option(help="0 = deterministic (raw mode)")] = None,
    seed: Annotated[int | None, typer.Option(help="sampling seed (raw mode)")] = None,
    json_object: Annotated[
        bool, typer.Option("--json", help="raw mode: answer with a JSON object")] = False,
    schema: Annotated[
        Path | None, typer.Option(help="raw mode: JSON-schema file the answer must match")
    ] = None,
    tools: Annotated[
        Path | None,
        typer.Option(help="raw mode: an OpenAI-style tools JSON file; the model's calls are "
                     "printed, not run"),
    ] = None,
    image: Annotated[
        Path | None, typer.Option(help="a photo the assistant sees (questions about it are "
                                  "answered from it)")] = None,
    camera: Annotated[
        int | None, typer.Option(help="webcam index the assistant sees through")] = None,
    no_tools: Annotated[
        bool, typer.Option("--no-tools", help="talk to the model alone: no built-in tools")
    ] = False,
    stats: Annotated[bool, typer.Option(help="print token counts and speed")] = False,
) -> None:
    """Talk to the assistant: it answers, runs its tools (timers, reminders, notes, memory,
    Home Assistant, MCP…) asking you first where a tool needs consent, and with --image or
    --camera it sees. Answers stream; Ctrl-C stops one. With --tools, --schema or --json it
    is the raw model instead (for app developers), and tool calls are printed, not run."""
    settings = load_settings()
    tool_list = _check_tools(_read_json(tools, "tools"), tools)
    schema_obj = _check_schema(_read_json(schema, "schema"), schema)
    raw = tool_list is not None or schema_obj is not None or json_object or no_tools
    if image is not None and camera is not None:
        raise typer.BadParameter("give --image or --camera, not both")
    if raw and (image is not None or camera is not None):
        raise typer.BadParameter("--image/--camera need the assistant; drop --tools, --schema, "
                                 "--json and --no-tools")
    if raw:
        _raw_chat(settings, question, model, system, max_tokens, temperature, seed, json_object,
                  schema_obj, tool_list, stats)
        return
    from oculi.assistant.host import AssistantHost
    from oculi.cli.assistant_io import eyes, print_assistant_event, terminal_confirm
    from oculi.cli.checks import require_chat_model

    require_chat_model(settings, model)
    view, stop_eyes = eyes(settings, image, None, None, camera)
    with err_console.status(f"loading {model or settings.llm.model}…"):
        engine = load_engine(settings, model)
    # a one-shot answer fires no reminders: only a conversation lives long enough to hear them
    host = AssistantHost(settings, engine=lambda: engine, run_scheduler=question is None)
    if system:
        settings.llm.system_prompt = system
    assistant = host.session(engine, view=view, confirm=terminal_confirm,
                             max_tokens=max_tokens or settings.llm.max_tokens)
    for problem in host.problems:
        err_console.print(f"[yellow]{problem.code}[/]: {problem.message}", highlight=False)
    try:
        with err_console.status("reading the assistant's instructions (saved for next time)…"):
            assistant.warm_up()
        if question is not None:
            _assistant_answer(assistant, question, stats)
            return
        assistant.subscribe(print_assistant_event)
        _repl(lambda line: _assistant_answer(assistant, line, stats), assistant.reset,
              "; timers and reminders ring here while it runs")
    finally:
        assistant.close()
        host.close()
        stop_eyes()


def _raw_chat(settings: Any, question: str | None, model: str | None, system: str | None,
              max_tokens: int | None, temperature: float | None, seed: int | None,
              json_object: bool, schema_obj: dict[str, Any] | None,
              tool_list: list[dict[str, Any]] | None, stats: bool) -> None:
    """The model alone, as an app sees it through the API: nothing runs."""
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

    def ask(line: str) -> None:
        history.append(ChatMessage(role="user", content=line))
        history.append(_answer(engine, history, opts, tool_list, schema_obj, json_object, stats))

    _repl(ask, lambda: history.__delitem__(slice(1, None)))


def _repl(ask: Callable[[str], None], reset: Callable[[], None], note: str = "") -> None:
    """The interactive loop: /reset, /exit or Ctrl-D; Ctrl-C stops an answer, not the chat."""
    console.print(f"[dim]oculi chat — /reset clears the conversation, /exit or Ctrl-D leaves{note}[/]")
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
            reset()
            console.print("[dim](conversation cleared)[/]")
            continue
        ask(line)
