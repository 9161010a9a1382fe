"""`oculi models add`: the user's own files, registered where they lie."""

from __future__ import annotations

from pathlib import Path

import pytest

from oculi.errors import OculiError
from oculi.models.store import ModelStore


def test_a_real_gguf_is_registered_and_loads(oculi_home: Path, tiny_model_path: Path) -> None:
    from oculi.llm.engine import LlamaEngine
    from oculi.llm.messages import ChatMessage
    from oculi.llm.engine import GenerationOptions

    store = ModelStore(oculi_home / "models")
    spec = store.add(tiny_model_path, model_id="my-tiny")
    assert (spec.provider, spec.format, spec.task) == ("local", "gguf", "chat")
    assert store.path("my-tiny") == tiny_model_path.resolve()
    assert ModelStore(oculi_home / "models").status(spec).installed  # survives a new store
    engine = LlamaEngine(store.path("my-tiny"), threads=2, context_tokens=512)
    out = engine.chat([ChatMessage("user", "Say hi")], options=GenerationOptions(max_tokens=4))
    assert out.usage.completion_tokens > 0
    assert all(r.ok for r in store.verify(["my-tiny"]))
    store.remove("my-tiny")
    assert "my-tiny" not in {m.id for m in store.models()}
    assert tiny_model_path.exists(), "removing a registration never deletes the user's file"


def test_a_real_onnx_detector_is_registered(oculi_home: Path, shared: Path) -> None:
    store = ModelStore(oculi_home / "models")
    spec = store.add(shared / "models" / "yolox_nano.onnx")
    assert (spec.id, spec.format) == ("yolox-nano-local", "onnx")  # the catalog has a hub "yolox-nano"
    assert spec.files[0].sha256 == "d39bee73564e338080378b0ad567fbb40e818b55bbfaf971de82a0267ed16b8a"


def test_a_real_tflite_classifier_is_registered(oculi_home: Path, shared: Path) -> None:
    spec = ModelStore(oculi_home / "models").add(shared / "models" / "mobilenet_v2_1.0_224_quant.tflite")
    assert (spec.format, spec.task) == ("tflite", "classifier")


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("notes.gguf", b"this is text, not a model", "corrupt_model_file"),
        ("weights.bin", b"GGUF....", "unsupported_model_format"),
        ("empty.onnx", b"", "corrupt_model_file"),
    ],
)
def test_bad_files_are_refused_clearly(
    oculi_home: Path, tmp_path: Path, name: str, content: bytes, code: str
) -> None:
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(OculiError) as err:
        ModelStore(oculi_home / "models").add(f)
    assert err.value.code == code


def test_a_changed_file_is_reported_by_verify(oculi_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "mine.gguf"
    f.write_bytes(b"GGUF" + b"\x00" * 100)
    store = ModelStore(oculi_home / "models")
    store.add(f)
    f.write_bytes(b"GGUF" + b"\x01" * 100)  # same size, other bytes
    (result,) = store.verify(["mine"])
    assert not result.ok and "checksum mismatch" in result.detail
    assert f.exists(), "oculi never deletes a user's own file"


def test_a_catalog_id_cannot_be_taken(oculi_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "x.gguf"
    f.write_bytes(b"GGUF")
    with pytest.raises(OculiError, match="catalog model id"):
        ModelStore(oculi_home / "models").add(f, model_id="qwen2.5-coder-1.5b-instruct")
