"""An MCP server's tools as oculi tools: their input schema is offered to the model as is.

A schema the grammar compiler cannot handle is left out (with a logged reason) rather than
breaking every turn. Confirmation: per server setting, else ask unless the server marks the
tool read-only (`annotations.readOnlyHint`).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from oculi.tools.base import Tool
from oculi.tools.mcp.client import MCPServerConnection

log = logging.getLogger(__name__)


def oculi_name(server: str, tool: str) -> str:
    raw = re.sub(r"[^A-Za-z0-9_-]", "_", f"{server}_{tool}")
    return raw[:64]


def _compiles(schema: dict[str, Any]) -> bool:
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        json_schema_to_gbnf(json.dumps(schema))
        return True
    except Exception as exc:
        log.warning("schema not usable for constrained decoding: %s", exc)
        return False


def mcp_tools(conn: MCPServerConnection, confirm: bool | None = None, timeout: float = 30.0) -> list[Tool]:
    out: list[Tool] = []
    for t in conn.tools:
        schema = dict(t.inputSchema or {})
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        if not _compiles(schema):
            log.warning("MCP tool %s/%s left out: its input schema cannot be compiled", conn.name, t.name)
            continue
        read_only = bool(t.annotations and t.annotations.readOnlyHint)
        needs_confirm = confirm if confirm is not None else not read_only

        def handler(args: dict[str, Any], _tool: str = t.name) -> Any:
            return conn.call_tool(_tool, args, timeout)

        out.append(
            Tool(
                name=oculi_name(conn.name, t.name),
                description=(t.description or t.title or t.name).strip(),
                parameters=schema,
                handler=handler,
                confirm=needs_confirm,
                data=frozenset({"external", f"mcp:{conn.name}"}),
                source=f"mcp:{conn.name}",
                timeout=timeout + 2,
            )
        )
    return out
