"""`oculi doctor`: is this device ready, and if not, the exact command that fixes it."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from oculi.cli.console import console
from oculi.config import load_settings
from oculi.models.providers.registry_package import install_hint, missing_packages
from oculi.models.store import default_store
from oculi.paths import Paths
from oculi.system.endpoint import probe_endpoint
from oculi.system.machine import MachineFacts, package_version


def vision_line(vision) -> str:
    """'vision: default detector (yolov3-tiny); next: …' for doctor and models list."""
    line = f"[bold]vision[/]: level {vision.level}/3, {vision.describe()}"
    return line + (f"\n  next level: {vision.next_step}" if vision.next_step else "")


RUNTIMES = ["llama-cpp-python", "huggingface_hub", "onnxruntime", "faster-whisper", "numpy"]


def doctor(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Check the CPU, memory, disk, configuration and models; say what is missing and how to fix it."""
    settings = load_settings()
    paths = Paths.from_env()
    store = default_store()
    facts = MachineFacts.probe(paths.models)
    needed = [m for m in store.catalog.stack("default")]
    if settings.llm.model not in {m.id for m in needed}:
        needed.insert(0, store.get(settings.llm.model))
    statuses = [store.status(m) for m in needed]
    fixes: list[str] = []
    for s in statuses:
        if s.installed:
            continue
        if s.spec.provider == "registry" and s.missing_packages:
            fixes.append(
                f"oculi models pull {s.spec.id}    # or: "
                f"{install_hint(s.spec, missing_packages(s.spec))}"
            )
        else:
            fixes.append(f"oculi models pull {s.spec.id}")
    runtimes = {name: package_version(name) for name in RUNTIMES}
    from oculi.vision.levels import vision_level

    vision = vision_level(settings.vision, store)
    endpoint = probe_endpoint(settings)
    if endpoint is not None and not endpoint.answers:
        fixes.append(f"the LLM endpoint {endpoint.url} does not answer: start it, or unset "
                     "\\[llm] endpoint (OCULI_LLM__ENDPOINT) to use the on-device model")
    if as_json:
        print(
            json.dumps(
                {
                    "machine": asdict(facts),
                    "threads": settings.llm.threads,
                    "config_file": str(paths.config_file),
                    "models_dir": str(paths.models),
                    "runtimes": runtimes,
                    "models": {s.spec.id: s.installed for s in statuses},
                    "vision": {
                        "level": vision.level,
                        "name": vision.name,
                        "detector": vision.detector,
                        "classifier": vision.classifier,
                        "vlm": vision.vlm,
                        "next": vision.next_step,
                    },
                    "llm_endpoint": asdict(endpoint) if endpoint else None,
                    "fixes": fixes,
                },
                indent=2,
            )
        )
        raise typer.Exit(1 if fixes else 0)

    t = Table(title="device", show_header=False)
    t.add_row("CPU", f"{facts.cpu} ({facts.physical_cores} cores / {facts.logical_cores} threads)")
    t.add_row("SIMD", ", ".join(facts.simd) or "[yellow]none detected: expect slow inference[/]")
    t.add_row("LLM threads", str(settings.llm.threads))
    if endpoint is not None:
        state = "[green]answers[/]" if endpoint.answers else "[red]does not answer[/]"
        images = "images leave too" if endpoint.send_images else "text only, no images"
        t.add_row("LLM endpoint", f"{endpoint.url}: {state} ({endpoint.detail}); {images}")
    t.add_row("RAM", f"{facts.ram_available_mb:,} MB available of {facts.ram_total_mb:,} MB")
    t.add_row("disk", f"{facts.disk_free_mb:,} MB free at {paths.models}")
    cfg = paths.config_file
    t.add_row("config", f"{cfg}" + ("" if cfg.exists() else " [dim](absent: defaults in use)[/]"))
    t.add_row("python", f"{facts.python} on {facts.os}")
    for name, ver in runtimes.items():
        t.add_row(name, ver or "[red]not installed[/]")
    console.print(t)

    m = Table(title="models")
    m.add_column("model")
    m.add_column("task")
    m.add_column("status")
    for s in statuses:
        mark = "[green]✓ ready[/]" if s.installed else f"[red]✗ {s.detail}[/]"
        m.add_row(s.spec.id, s.spec.task, mark)
    console.print(m)
    console.print(vision_line(vision), highlight=False, soft_wrap=True)
    ram_need = max((s.spec.ram_mb for s in statuses), default=0)
    if facts.ram_available_mb < ram_need:
        console.print(f"[red]✗[/] the largest model needs ~{ram_need} MB RAM; free some memory")
    if fixes:
        console.print("[bold]to fix:[/]")
        for f in fixes:
            console.print(f"  {f}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    console.print("[green]all set[/]: try `oculi chat \"what can you do?\"`")
