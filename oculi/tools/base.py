"""What a tool is: a name, a description, a JSON schema, a handler, and what it may touch.

Tools are declared as typed Python functions (`function_tool`) or, when the schema comes
from elsewhere (an MCP server, Home Assistant), from a schema and a handler (`Tool`).
Each declares whether the wearer must confirm it — statically, or from its arguments
("unlock the door" asks, "what is the temperature" does not) — and which kinds of data it
touches, so interfaces can show it and settings can restrict it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from oculi.tools.errors import InvalidToolArguments, ToolDefinitionError
from oculi.tools.schema import arguments_model, function_schema, split_docstring

ConfirmRule = bool | Callable[[dict[str, Any]], bool]

# Kinds of data a tool may touch (free-form strings are allowed; these are the usual ones).
DATA_KINDS = (
    "camera", "microphone", "speaker", "memory", "notes", "reminders", "device",
    "home", "network", "llm", "external",
)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: dict[str, Any]
    handler: Callable[[dict[str, Any]], Any]  # receives validated arguments
    confirm: ConfirmRule = False
    data: frozenset[str] = frozenset()
    source: str = "builtin"
    timeout: float | None = None  # seconds; None = the registry's default
    validator: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        if not self.name or not all(c.isalnum() or c in "_-" for c in self.name) or len(self.name) > 64:
            raise ToolDefinitionError(
                f"tool name {self.name!r} is not a valid function name",
                hint="use 1-64 letters, digits, '_' or '-'",
            )
        if self.parameters.get("type", "object") != "object":
            raise ToolDefinitionError(f"tool {self.name!r}: parameters must be a JSON object schema")

    def spec(self) -> dict[str, Any]:
        """The OpenAI-style tool dict the engine takes."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def needs_confirmation(self, arguments: dict[str, Any]) -> bool:
        if callable(self.confirm):
            return bool(self.confirm(arguments))
        return bool(self.confirm)

    def validate(self, arguments: dict[str, Any]) -> dict[str, Any]:
        if self.validator is not None:
            return self.validator(arguments)
        return validate_with_json_schema(self.parameters, arguments)


def validate_with_json_schema(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))
    if errors:
        raise InvalidToolArguments(
            "; ".join(f"{'.'.join(map(str, e.path)) or 'arguments'}: {e.message}" for e in errors[:5])
        )
    return arguments


def _pydantic_validator(model: type[BaseModel]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def validate(arguments: dict[str, Any]) -> dict[str, Any]:
        try:
            parsed = model.model_validate(arguments)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in exc.errors()[:5]
            )
            raise InvalidToolArguments(problems) from exc
        return {name: getattr(parsed, name) for name in model.model_fields}

    return validate


def function_tool(
    func: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    confirm: ConfirmRule = False,
    data: Iterable[str] = (),
    source: str = "builtin",
    timeout: float | None = None,
) -> Tool:
    """A Tool from a typed function (or bound method): its hints and docstring become the schema."""
    tool_name = name or func.__name__
    doc_description, _ = split_docstring(func.__doc__)
    model = arguments_model(func, tool_name)
    return Tool(
        name=tool_name,
        description=description or doc_description,
        parameters=function_schema(model),
        handler=lambda args: func(**args),
        confirm=confirm,
        data=frozenset(data),
        source=source,
        timeout=timeout,
        validator=_pydantic_validator(model),
    )


def tool(
    *,
    name: str | None = None,
    confirm: ConfirmRule = False,
    data: Iterable[str] = (),
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]:
    """Decorator form of `function_tool`, for plugins that declare module-level tools."""

    def wrap(func: Callable[..., Any]) -> Tool:
        return function_tool(func, name=name, confirm=confirm, data=data, source=func.__module__, timeout=timeout)

    return wrap


@dataclass
class ToolResult:
    """What one call produced; `content` is exactly what the model reads back."""

    name: str
    ok: bool
    content: str
    error_code: str | None = None
    truncated: bool = False
    seconds: float = 0.0
    value: Any = field(default=None, repr=False)  # the raw return value, for interfaces


def render_value(value: Any) -> str:
    """A tool's return value as text for the model: strings as is, the rest as JSON."""
    if value is None:
        return "done"
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def with_validator(tool: Tool, wrap: Callable[[Callable[[dict[str, Any]], dict[str, Any]]],
                                              Callable[[dict[str, Any]], dict[str, Any]]]) -> Tool:
    """The tool with its schema validator wrapped: for arguments that need normalising (a
    spoken time to the moment it means) before anything runs or is shown."""
    assert tool.validator is not None
    return dataclasses.replace(tool, validator=wrap(tool.validator))
