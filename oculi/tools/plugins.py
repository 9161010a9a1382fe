"""Third-party tools, discovered through package entry points (group `oculi.tools`).

A plugin package declares, in its pyproject:

    [project.entry-points."oculi.tools"]
    weather = "oculi_weather:tools"

and the object named there is a `Tool`, an iterable of Tools, or a callable returning
either (called with no arguments). Only plugins listed in `tools.enabled_plugins` are
imported: an installed package never runs code just by being installed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib.metadata import EntryPoint, entry_points

from oculi.tools.base import Tool
from oculi.tools.errors import PluginLoadError

GROUP = "oculi.tools"


@dataclass(frozen=True)
class PluginInfo:
    name: str
    value: str  # "module:attribute"
    distribution: str | None
    enabled: bool


def available_plugins(enabled: Iterable[str] = ()) -> list[PluginInfo]:
    """Every installed plugin, loaded or not (for `oculi tools list`)."""
    wanted = set(enabled)
    out = []
    for ep in entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist is not None else None
        out.append(PluginInfo(ep.name, ep.value, dist, ep.name in wanted))
    return sorted(out, key=lambda p: p.name)


def _tools_from(ep: EntryPoint) -> list[Tool]:
    try:
        obj = ep.load()
        if callable(obj) and not isinstance(obj, Tool):
            obj = obj()
    except Exception as exc:
        raise PluginLoadError(
            f"plugin {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}",
            hint=f"remove {ep.name!r} from tools.enabled_plugins or fix/reinstall the package",
        ) from exc
    items = [obj] if isinstance(obj, Tool) else list(obj) if isinstance(obj, Iterable) else None
    if items is None or not all(isinstance(t, Tool) for t in items):
        raise PluginLoadError(
            f"plugin {ep.name!r} ({ep.value}) did not provide Tool objects",
            hint="the entry point must name a Tool, a list of Tools, or a function returning them",
        )
    return [replace(t, source=f"plugin:{ep.name}") for t in items]


def load_plugins(enabled: Iterable[str]) -> list[Tool]:
    """Load the enabled plugins' tools; a name that is not installed is a clear error."""
    wanted = list(dict.fromkeys(enabled))
    found = {ep.name: ep for ep in entry_points(group=GROUP)}
    missing = [n for n in wanted if n not in found]
    if missing:
        raise PluginLoadError(
            f"enabled plugin(s) not installed: {', '.join(missing)}",
            hint="install the package that provides them, or remove them from tools.enabled_plugins",
        )
    tools: list[Tool] = []
    for name in wanted:
        tools.extend(_tools_from(found[name]))
    return tools
