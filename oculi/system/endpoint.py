"""Is the configured `[llm] endpoint` answering? One short request, for `oculi doctor`."""

from __future__ import annotations

from dataclasses import dataclass

from oculi.config import Settings
from oculi.errors import OculiError


@dataclass
class EndpointStatus:
    url: str
    answers: bool
    detail: str  # the models it lists, or why it does not answer
    send_images: bool


def probe_endpoint(settings: Settings, timeout: float = 5.0) -> EndpointStatus | None:
    """None when no endpoint is configured (LLM turns stay on the device)."""
    llm = settings.llm
    if not llm.endpoint:
        return None
    from oculi.llm.remote import RemoteEngine

    engine = RemoteEngine(llm.endpoint, api_key=llm.api_key.get_secret_value() if llm.api_key
                          else None, model=llm.endpoint_model, timeout=timeout)
    try:
        return EndpointStatus(engine.endpoint, True, engine.probe(), llm.send_images)
    except OculiError as exc:
        return EndpointStatus(engine.endpoint, False, exc.message, llm.send_images)
    finally:
        engine.close()
