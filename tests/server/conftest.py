"""A live `oculi serve` (tiny model, 8 slots, all backends) shared by the server tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from oculi.server.live import LiveServer

TINY = "smollm2-135m-instruct"


@pytest.fixture(scope="session")
def live(tiny_model_path: Path) -> Iterator[LiveServer]:
    with LiveServer("--model", TINY, "--slots", "8", "--queue-size", "32") as server:
        yield server


@pytest.fixture(scope="session")
def client(live: LiveServer):
    from openai import OpenAI

    return OpenAI(base_url=live.base_url + "/v1", api_key="unused", max_retries=0, timeout=120)
