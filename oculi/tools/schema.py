"""Typed Python function → JSON schema, through pydantic.

The schema is what the model sees and what the grammar is compiled from, so it is kept
small and plain: no titles, `Optional[X] = None` becomes an optional `X` (never `null`, which
small models then write out of habit), and the docstring's `Args:` lines become
descriptions when a parameter has no `Field(description=...)` of its own.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from oculi.tools.errors import ToolDefinitionError

_ARG_LINE = re.compile(r"^\s{2,}(\w+)\s*(?:\([^)]*\))?:\s*(.+)$")


def split_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """(description, {param: description}) from a Google-style docstring."""
    if not doc:
        return "", {}
    doc = inspect.cleandoc(doc)
    head, _, rest = doc.partition("\nArgs:\n")
    description = " ".join(head.split("\n\n")[0].split())
    params: dict[str, str] = {}
    last = None
    for line in ("    " + ln if ln and not ln.startswith(" ") else ln for ln in rest.splitlines()):
        m = _ARG_LINE.match(line)
        if m:
            last = m.group(1)
            params[last] = m.group(2).strip()
        elif last and line.strip() and line.startswith("      "):
            params[last] += " " + line.strip()
        elif line.strip() and not line.startswith(" "):
            break
    return description, params


def arguments_model(func: Callable[..., Any], name: str) -> type[BaseModel]:
    """A pydantic model of `func`'s parameters (extra keys are rejected)."""
    try:
        hints = get_type_hints(func, include_extras=True)
    except Exception as exc:
        raise ToolDefinitionError(f"tool {name!r}: cannot read its type hints: {exc}") from exc
    _, arg_docs = split_docstring(func.__doc__)
    fields: dict[str, Any] = {}
    for pname, param in inspect.signature(func).parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolDefinitionError(f"tool {name!r}: *args/**kwargs cannot be described to a model")
        if pname not in hints:
            raise ToolDefinitionError(
                f"tool {name!r}: parameter {pname!r} has no type hint",
                hint="annotate every parameter: the hint becomes the JSON schema",
            )
        default = ... if param.default is param.empty else param.default
        if pname in arg_docs:
            fields[pname] = (hints[pname], Field(default, description=arg_docs[pname]))
        else:
            fields[pname] = (hints[pname], default)
    model_name = "".join(p.capitalize() for p in re.split(r"\W+|_", name) if p) + "Args"
    return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)


def clean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Strip titles and nullable unions from a pydantic JSON schema (recursively)."""

    defs = schema.get("$defs", {})

    def walk(node: Any, depth: int = 0) -> Any:
        if depth > 20:
            raise ToolDefinitionError("recursive argument types cannot be offered to a model")
        if isinstance(node, list):
            return [walk(n, depth + 1) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            # Inline: the grammar compiler and small models both do better without refs.
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return walk({**defs[ref.removeprefix("#/$defs/")], **rest}, depth + 1)
        out = {k: walk(v, depth + 1) for k, v in node.items() if k not in ("title", "$defs")}
        variants = out.get("anyOf")
        if isinstance(variants, list):
            non_null = [v for v in variants if v != {"type": "null"}]
            if len(non_null) == 1 and len(non_null) < len(variants):
                out.pop("anyOf")
                merged = {**non_null[0], **out}
                if merged.get("default", 0) is None:
                    merged.pop("default")
                out = merged
        if "properties" in out and isinstance(out["properties"], dict):
            # `properties` maps names to schemas; a property may itself be called "title".
            out["properties"] = {
                k: walk(v, depth + 1) for k, v in node["properties"].items()
            }
        return out

    cleaned = walk(schema)
    cleaned.setdefault("type", "object")
    cleaned.setdefault("properties", {})
    return cleaned


def function_schema(model: type[BaseModel]) -> dict[str, Any]:
    return clean_schema(model.model_json_schema())
