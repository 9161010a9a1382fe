"""8 streaming clients at once all finish, and each makes progress before any other finishes."""

from __future__ import annotations

import threading
import time

import pytest
from openai import OpenAI

from oculi.server.live import LiveServer
from tests.server.conftest import TINY

TOPICS = ["cats", "rain", "bread", "trains", "the moon", "music", "apples", "rivers"]


@pytest.mark.slow
def test_eight_streaming_clients_interleave(live: LiveServer) -> None:
    starts: dict[int, float] = {}
    firsts: dict[int, float] = {}
    ends: dict[int, float] = {}
    texts: dict[int, str] = {}
    errors: list[BaseException] = []
    gate = threading.Barrier(len(TOPICS))

    def one(i: int) -> None:
        try:
            client = OpenAI(base_url=live.base_url + "/v1", api_key="x", max_retries=0, timeout=300)
            gate.wait()
            starts[i] = time.perf_counter()
            parts = []
            for chunk in client.chat.completions.create(
                model=TINY, max_tokens=10, temperature=0, stream=True,
                messages=[{"role": "user", "content": f"Write a long poem about {TOPICS[i]}."}],
            ):
                if chunk.choices and chunk.choices[0].delta.content:
                    firsts.setdefault(i, time.perf_counter())
                    parts.append(chunk.choices[0].delta.content)
            ends[i] = time.perf_counter()
            texts[i] = "".join(parts)
        except BaseException as exc:  # noqa: BLE001 - reported below, with the others' results
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(TOPICS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors
    assert len(ends) == len(TOPICS) and all(texts.values())
    # Interleaved: every client had its first token before the first client was done.
    assert max(firsts.values()) < min(ends.values()), (firsts, ends)
