"""The official openai client against a live server: chat, streaming, tools, JSON, errors."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import openai
import pytest

from tests.server.conftest import TINY

Q = [{"role": "user", "content": "Name three colours."}]


def test_models_lists_every_backend(client) -> None:
    ids = {m.id for m in client.models.list()}
    assert {TINY, "minilm-l6-v2", "whisper-base", "hibari-tts"} <= ids
    assert client.models.retrieve(TINY).owned_by == "oculi"


def test_plain_chat(client) -> None:
    r = client.chat.completions.create(model=TINY, messages=Q, max_tokens=12, temperature=0)
    choice = r.choices[0]
    assert r.object == "chat.completion" and r.model == TINY
    assert choice.message.role == "assistant" and choice.message.content.strip()
    assert choice.finish_reason in ("stop", "length")
    assert r.usage.prompt_tokens > 0 and 0 < r.usage.completion_tokens <= 12
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_streamed_chat_with_usage(client) -> None:
    plain = client.chat.completions.create(model=TINY, messages=Q, max_tokens=12, temperature=0)
    stream = client.chat.completions.create(
        model=TINY, messages=Q, max_tokens=12, temperature=0, stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content  # same seedless greedy answer
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finishes == [plain.choices[0].finish_reason]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens
    assert all(c.usage is None for c in chunks[:-1])


def test_max_tokens_and_max_completion_tokens(client) -> None:
    for kw in ({"max_tokens": 3}, {"max_completion_tokens": 3}):
        r = client.chat.completions.create(
            model=TINY, messages=[{"role": "user", "content": "Write a long story about a dog."}],
            temperature=0, **kw)
        assert r.choices[0].finish_reason == "length" and r.usage.completion_tokens == 3


def test_stop_sequence_cuts_the_answer(client) -> None:
    msgs = [{"role": "user", "content": "Count from 1 to 10, separated by commas."}]
    full = client.chat.completions.create(model=TINY, messages=msgs, max_tokens=40, temperature=0)
    text = full.choices[0].message.content
    words = text.split()
    assert len(words) >= 3, text
    stop = words[len(words) // 2]
    cut = client.chat.completions.create(
        model=TINY, messages=msgs, max_tokens=40, temperature=0, stop=[stop])
    assert cut.choices[0].finish_reason == "stop"
    assert cut.choices[0].message.content == text[: text.index(stop)]


def test_seed_makes_sampling_repeatable(client) -> None:
    msgs = [{"role": "user", "content": "Invent a name for a cat."}]
    a, b = (client.chat.completions.create(model=TINY, messages=msgs, max_tokens=15,
                                           temperature=1.2, seed=7) for _ in range(2))
    assert a.choices[0].message.content == b.choices[0].message.content


WEATHER = [{
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]},
    },
}]
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.mark.slow  # grammar-constrained decoding is the slow part
def test_tool_call_plain(client) -> None:
    r = client.chat.completions.create(model=TINY, messages=ASK, tools=WEATHER,
                                       tool_choice="required", max_tokens=64)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    assert isinstance(json.loads(call.function.arguments)["city"], str)
    # The answer goes back in as history, with the tool's result, and the model replies.
    follow = client.chat.completions.create(model=TINY, max_tokens=8, messages=[
        *ASK, choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": '{"temp_c": 21}'},
    ])
    assert follow.choices[0].message.content


@pytest.mark.slow  # grammar-constrained decoding is the slow part
def test_tool_call_streamed_in_openai_delta_shape(client) -> None:
    with client.chat.completions.stream(
        model=TINY, messages=ASK, tools=WEATHER, max_tokens=64,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    ) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert final.choices[0].finish_reason == "tool_calls"
    assert call.id.startswith("call_") and call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)


@pytest.mark.slow  # grammar-constrained decoding is the slow part
def test_json_schema_and_json_object(client) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"},
              "age": {"type": "integer"}}, "required": ["name", "age"],
              "additionalProperties": False}
    r = client.chat.completions.create(
        model=TINY, max_tokens=60, temperature=0,
        messages=[{"role": "user", "content": "Describe a person as JSON."}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "person", "schema": schema}})
    obj = json.loads(r.choices[0].message.content)
    assert set(obj) == {"name", "age"} and isinstance(obj["age"], int)
    r = client.chat.completions.create(
        model=TINY, max_tokens=200, temperature=0,
        messages=[{"role": "user", "content": "Reply with a JSON object with the key city."}],
        response_format={"type": "json_object"})
    assert isinstance(json.loads(r.choices[0].message.content), dict)


@pytest.mark.parametrize("extra,param", [
    ({"extra_body": {"frobnicate": True}}, "frobnicate"),
    ({"n": 2}, "n"),
    ({"presence_penalty": 0.5}, "presence_penalty"),
    ({"logprobs": True}, "logprobs"),
])
def test_unsupported_parameters_are_400(client, extra, param) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=TINY, messages=Q, **extra)
    assert err.value.status_code == 400
    assert err.value.code == "unsupported_parameter" and err.value.param == param


def test_error_shapes(client) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4o", messages=Q)
    assert err.value.code == "model_not_found" and "GET /v1/models" in err.value.message
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=TINY, messages=[])
    assert err.value.param == "messages"
    assert err.value.response.headers["x-should-retry"] == "false"


def _image_message(url: str) -> list[dict]:
    return [{"role": "user", "content": [
        {"type": "text", "text": "What is written here?"},
        {"type": "image_url", "image_url": {"url": url}}]}]


def test_image_data_url_is_read_and_reaches_the_model(client, shared: Path) -> None:
    photo = shared / "data" / "vizwiz_captions" / "images" / "VizWiz_val_00000002.jpg"
    if not photo.is_file():
        pytest.skip(f"{photo.name} is absent from ../shared")
    url = "data:image/jpeg;base64," + base64.b64encode(photo.read_bytes()).decode()
    with_image = client.chat.completions.create(model=TINY, messages=_image_message(url),
                                                max_tokens=8, temperature=0)
    text_only = client.chat.completions.create(
        model=TINY, max_tokens=8, temperature=0,
        messages=[{"role": "user", "content": "What is written here?"}])
    assert with_image.choices[0].message.content
    # The text read from the library card ("DUE DATE", dates) was put before the model.
    assert with_image.usage.prompt_tokens > text_only.usage.prompt_tokens + 10


def test_image_url_errors(client, live) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=TINY, messages=_image_message(live.base_url + "/x.png"))
    assert err.value.code == "image_url_forbidden"
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=TINY, messages=_image_message(
            "data:image/png;base64," + base64.b64encode(b"not an image").decode()))
    assert err.value.code == "invalid_image"


def test_failure_mid_stream_is_an_error_event(client) -> None:
    """A too-long conversation fails inside the engine, after the 200: an SSE error event."""
    long = [{"role": "user", "content": "hello " * 5000}]
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model=TINY, messages=long, max_tokens=5)
    assert err.value.code == "context_length_exceeded"
    stream = client.chat.completions.create(model=TINY, messages=long, max_tokens=5, stream=True)
    with pytest.raises(openai.APIError) as err:
        list(stream)
    assert "context" in err.value.message
