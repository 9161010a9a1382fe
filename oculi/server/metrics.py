"""Prometheus metrics, one registry per app (no module-level collectors)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.requests = Counter(
            "oculi_http_requests", "HTTP requests answered", ["path", "status"], registry=r
        )
        self.latency = Histogram(
            "oculi_http_request_seconds",
            "time until the response starts (streams keep going after it)",
            ["path"],
            buckets=_LATENCY,
            registry=r,
        )
        self.completion = Histogram(
            "oculi_chat_completion_seconds", "whole chat completion, first byte to last",
            buckets=_LATENCY, registry=r,
        )
        self.ttft = Histogram(
            "oculi_time_to_first_token_seconds", "request received to first generated event",
            buckets=_LATENCY, registry=r,
        )
        self.queue_wait = Histogram(
            "oculi_queue_wait_seconds", "time a chat request waited for a slot",
            buckets=_LATENCY, registry=r,
        )
        self.generated_tokens = Counter(
            "oculi_generated_tokens", "completion tokens generated", registry=r
        )
        self.prompt_tokens = Counter("oculi_prompt_tokens", "prompt tokens read", registry=r)
        self.tokens_per_second = Histogram(
            "oculi_tokens_per_second", "decode rate of each completion, as its client saw it",
            buckets=(1, 2, 5, 10, 20, 40, 80, 160, 320, 640), registry=r,
        )
        self.queue_depth = Gauge("oculi_queue_depth", "chat requests waiting for a slot", registry=r)
        self.active = Gauge("oculi_active_generations", "chat generations in progress", registry=r)
        self.aux_in_flight = Gauge(
            "oculi_aux_in_flight", "embedding/audio requests running or waiting", registry=r
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts requests and times them to the first response byte.

    Pure ASGI on purpose: Starlette's BaseHTTPMiddleware wraps `receive` and would hide a
    client's disconnect from streaming handlers, so abandoned generations would run on.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        import time

        t0 = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self.metrics.latency.labels(self._path(scope)).observe(time.perf_counter() - t0)
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            self.metrics.requests.labels(self._path(scope), str(status)).inc()

    @staticmethod
    def _path(scope: Scope) -> str:
        route = scope.get("route")
        return getattr(route, "path", "unmatched")
