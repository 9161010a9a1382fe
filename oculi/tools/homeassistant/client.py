"""Home Assistant REST client (https://developers.home-assistant.io/docs/api/rest/).

Synchronous on purpose: tools run on worker threads, and httpx's sync client keeps each
call a plain request with its own timeout. Every failure becomes a `ToolUnavailable` or
`ToolError` that says what to fix (URL, token, entity id).
"""

from __future__ import annotations

from typing import Any

import httpx

from oculi.tools.errors import ToolError, ToolUnavailable


class HomeAssistantClient:
    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ToolUnavailable(
                f"Home Assistant at {self.url} did not answer in time",
                hint="check that it is running and reachable",
            ) from exc
        except httpx.HTTPError as exc:
            raise ToolUnavailable(
                f"cannot reach Home Assistant at {self.url}: {exc}",
                hint="check tools.homeassistant.url and the network",
            ) from exc
        if response.status_code == 401:
            raise ToolUnavailable(
                "Home Assistant refused the access token",
                hint="create a long-lived access token in your HA profile and set tools.homeassistant.token",
            )
        if response.status_code == 404:
            raise ToolError(f"Home Assistant has no {path}", code="ha_not_found",
                            hint="list the entities to find the right id")
        if response.status_code >= 400:
            raise ToolError(
                f"Home Assistant answered {response.status_code}: {response.text[:200]}",
                code="ha_request_failed",
            )
        return response.json() if response.content else None

    def check(self) -> str:
        """GET /api/ — "API running." when the URL and token are right."""
        return str(self._request("GET", "/api/").get("message", ""))

    def states(self) -> list[dict[str, Any]]:
        return list(self._request("GET", "/api/states"))

    def state(self, entity_id: str) -> dict[str, Any]:
        return dict(self._request("GET", f"/api/states/{entity_id}"))

    def call_service(
        self, domain: str, service: str, data: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """POST /api/services/<domain>/<service>; returns the states that changed."""
        result = self._request("POST", f"/api/services/{domain}/{service}", json=data or {})
        if isinstance(result, dict):  # with ?return_response HA wraps the list
            return list(result.get("changed_states", []))
        return list(result or [])
