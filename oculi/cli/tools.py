"""`oculi tools list` and `oculi tools call NAME --args JSON`: see and try what the agent can do."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from oculi.cli.console import console, err_console
from oculi.config import Settings, load_settings
from oculi.errors import OculiError
from oculi.paths import Paths
from oculi.tools.plugins import available_plugins
from oculi.tools.registry import ConfirmationRequest
from oculi.tools.runtime import ToolRuntime
from oculi.tools.settings import ToolsSettings

app = typer.Typer(help="List the assistant's tools and call one by hand.", no_args_is_help=True)


def tools_settings(settings: Settings) -> ToolsSettings:
    """The `[tools]` section of the configuration."""
    return settings.tools


def build_runtime(
    settings: Settings,
    *,
    connect: bool = True,
    camera: str | None = None,
    speak_to: Path | None = None,
) -> ToolRuntime:
    """The tools of this process; `camera` overrides `[tools] camera` for one call."""
    from oculi.models.store import default_store
    from oculi.tools.backends import build_backends

    @functools.cache
    def engine() -> Any:
        from oculi.llm.loader import load_engine

        with err_console.status(f"loading {settings.llm.model}…"):
            return load_engine(settings)

    data_dir = Paths.from_env().data
    return ToolRuntime(
        tools_settings(settings),
        data_dir=data_dir,
        engine=engine,
        backends=build_backends(settings, data_dir=data_dir, engine=engine,
                                tools=tools_settings(settings), camera=camera, speak_to=speak_to),
        model_store=default_store(),
        run_scheduler=False,  # a one-shot command fires nothing; a running assistant does
        connect=connect,
    )


def _confirm_label(tool: Any) -> str:
    if callable(tool.confirm):
        return "depends"
    return "yes" if tool.confirm else "no"


@app.command("list")
def list_tools(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (the specs the model sees)")] = False,
    mcp: Annotated[bool, typer.Option(help="start configured MCP servers to list their tools")] = True,
) -> None:
    """List every tool the agent can call, what it touches, and whether it asks first."""
    settings = load_settings()
    with build_runtime(settings, connect=mcp) as rt:
        tools = rt.registry.tools()
        if as_json:
            print(json.dumps(
                [{**t.spec()["function"], "confirm": _confirm_label(t), "data": sorted(t.data),
                  "source": t.source} for t in tools], indent=2, ensure_ascii=False))
            return
        table = Table(show_lines=False)
        for col in ("tool", "asks first", "touches", "from", "what it does"):
            table.add_column(col, overflow="fold")
        for t in tools:
            table.add_row(t.name, _confirm_label(t), ", ".join(sorted(t.data)), t.source, t.description)
        console.print(table)
        plugins = available_plugins(tools_settings(settings).enabled_plugins)
        for p in plugins:
            state = "[green]enabled[/]" if p.enabled else "[dim]installed, not enabled[/]"
            console.print(f"plugin [bold]{p.name}[/] ({p.distribution}): {state}")
        for problem in rt.problems:
            err_console.print(f"[yellow]left out[/] ({problem.code}): {problem.message}", soft_wrap=True)


@app.command("call")
def call_tool(
    name: Annotated[str, typer.Argument(help="tool name, as in `oculi tools list`")],
    args: Annotated[str, typer.Option("--args", help='arguments as a JSON object, e.g. \'{"minutes": 5}\'')] = "{}",
    yes: Annotated[bool, typer.Option("--yes", "-y", help="confirm tools that ask first")] = False,
    image: Annotated[
        Path | None, typer.Option(help="use this photo as the camera (describe_view, read_text_aloud…)")
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(help="use this as the camera: a webcam index, a stream URL, a video or folder"),
    ] = None,
    speak_to: Annotated[
        Path | None, typer.Option(help="read_text_aloud speaks into this WAV file")
    ] = None,
) -> None:
    """Call one tool by hand, exactly as the agent would (validation, confirmation, limits)."""
    settings = load_settings()
    if image is not None and source is not None:
        raise typer.BadParameter("give --image or --source, not both")
    if image is not None and not image.is_file():
        raise OculiError(f"no such photo: {image}", hint="check the --image path", code="file_not_found")
    camera = str(image) if image is not None else source

    def confirm(request: ConfirmationRequest) -> bool:
        if yes:
            return True
        touches = ", ".join(sorted(request.data)) or "nothing listed"
        return typer.confirm(f"Allow {request.summary()}? (touches: {touches})", default=False, err=True)

    with build_runtime(settings, camera=camera, speak_to=speak_to) as rt:
        result = rt.registry.call(name, args, confirm=confirm)
    if result.ok:
        print(result.content)
        if result.truncated:
            err_console.print("[yellow](result truncated)[/]")
        return
    try:
        body = json.loads(result.content)
    except ValueError:
        body = {"message": result.content}
    raise OculiError(body.get("message", result.content), hint=body.get("hint"), code=result.error_code or "tool_failed")
