"""Entry point: assembles the command groups and renders oculi errors as clear messages."""

from __future__ import annotations

import sys

import typer

from oculi import __version__
from oculi.cli import (
    ask,
    bench,
    bench_look,
    bench_memory,
    bench_realtime,
    bench_voice,
    chat,
    doctor,
    listen,
    live,
    memory,
    models,
    serve,
    tools,
)
from oculi.cli.console import print_error
from oculi.errors import OculiError

app = typer.Typer(
    name="oculi",
    help="oculi — an open, on-device AI assistant for smart glasses and XR headsets.\n\n"
    "Everything runs on this device's CPU with open models; nothing leaves it unless you ask.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(models.app, name="models")
app.add_typer(bench.app, name="bench")
app.add_typer(memory.app, name="memory")
app.add_typer(tools.app, name="tools")
app.command("remember")(memory.remember)
app.command("recall")(memory.recall)
app.command("chat")(chat.chat)
app.command("doctor")(doctor.doctor)
app.command("ask")(ask.ask)
app.command("listen")(listen.listen)
app.command("live")(live.live)
app.command("serve")(serve.serve)
bench.app.command("voice")(bench_voice.bench_voice)
bench.app.command("serve")(serve.bench_serve)
bench.app.command("memory")(bench_memory.bench_memory)
bench.app.command("look")(bench_look.bench_look)
bench.app.command("realtime")(bench_realtime.bench_realtime)


def _version(value: bool) -> None:
    if value:
        print(f"oculi {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """oculi: see, hear, remember and act — on the device."""


def main() -> None:
    try:
        app()
    except OculiError as exc:
        print_error(exc)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
