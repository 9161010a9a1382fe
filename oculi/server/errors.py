"""Typed API errors that render OpenAI's error body, and the handlers that install them.

OpenAI's clients read `{"error": {"message", "type", "param", "code"}}` and pick an exception
class by status code; they retry 408/409/429/5xx unless `x-should-retry: false` is sent, so
deterministic failures carry that header and are not retried.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from oculi.errors import OculiError

log = logging.getLogger("oculi.server")

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "server_error",
}

# OculiError codes that are the caller's fault (400) or a missing resource (404).
_CLIENT_CODES = {
    "context_length_exceeded": 400,
    "invalid_json_schema": 400,
    "invalid_tool_choice": 400,
    "tool_call_truncated": 400,
    "model_not_found": 404,
}


class ApiError(Exception):
    """An error with an HTTP status and OpenAI's error fields."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type or _TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JSONResponse:
        headers = dict(self.headers)
        if self.status != 429 and self.status != 503:
            headers.setdefault("x-should-retry", "false")
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def invalid(message: str, *, param: str | None = None, code: str = "invalid_request") -> ApiError:
    return ApiError(400, message, param=param, code=code)


def unsupported(param: str, why: str = "oculi does not support it") -> ApiError:
    return ApiError(
        400, f"parameter '{param}' is not supported: {why}", param=param, code="unsupported_parameter"
    )


def from_oculi(exc: OculiError) -> ApiError:
    """Map a library error to an API error; the hint travels in the message."""
    status = _CLIENT_CODES.get(exc.code, 500)
    message = f"{exc.message} (hint: {exc.hint})" if exc.hint else exc.message
    return ApiError(status, message, code=exc.code)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None, str]:
    errors = exc.errors()
    if not errors:
        return "invalid request", None, "invalid_request"
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    param = ".".join(loc) or None
    if first.get("type") == "extra_forbidden":
        return f"parameter '{param}' is not supported by oculi", param, "unsupported_parameter"
    if first.get("type") == "json_invalid":
        return "the request body is not valid JSON", None, "invalid_json"
    msg = first.get("msg", "invalid value")
    return (f"{param}: {msg}" if param else msg), param, "invalid_request"


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(OculiError)
    async def _oculi_error(_: Request, exc: OculiError) -> JSONResponse:
        return from_oculi(exc).response()

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        message, param, code = _validation_message(exc)
        return ApiError(400, message, param=param, code=code).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return ApiError(exc.status_code, str(exc.detail), headers=exc.headers).response()

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return ApiError(500, f"internal error: {type(exc).__name__}", code="internal_error").response()
