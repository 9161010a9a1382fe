"""Provider: the user's own model files (GGUF, ONNX, TFLite), registered where they lie."""

from __future__ import annotations

import re
from pathlib import Path

from oculi.errors import OculiError
from oculi.models.assemble import sha256_file
from oculi.models.catalog import FileSpec, ModelSpec

FORMATS = {".gguf": "gguf", ".onnx": "onnx", ".tflite": "tflite"}
DEFAULT_TASK = {"gguf": "chat", "onnx": "detector", "tflite": "classifier"}


def sniff_format(path: Path) -> str:
    """Name the file's format from its extension, and check its magic bytes agree."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OculiError(
            f"{path.name}: unsupported model file type '{path.suffix}'",
            hint="oculi can register .gguf, .onnx and .tflite files",
            code="unsupported_model_format",
        )
    with path.open("rb") as f:
        head = f.read(8)
    ok = {
        "gguf": head[:4] == b"GGUF",
        "tflite": head[4:8] == b"TFL3",
        "onnx": len(head) > 0 and head[0] == 0x08,  # protobuf field 1 (ir_version), varint
    }[fmt]
    if not ok:
        raise OculiError(
            f"{path.name} does not look like a {fmt.upper()} file (its first bytes are wrong)",
            hint="the file is corrupt or misnamed",
            code="corrupt_model_file",
        )
    return fmt


def make_spec(path: Path, model_id: str | None = None, task: str | None = None) -> ModelSpec:
    path = path.expanduser().resolve()
    if not path.is_file():
        raise OculiError(f"no such file: {path}", code="file_not_found")
    fmt = sniff_format(path)
    mid = model_id or re.sub(r"[^a-z0-9.\-]+", "-", path.stem.lower()).strip("-")
    return ModelSpec(
        id=mid,
        task=task or DEFAULT_TASK[fmt],
        role="added by you",
        provider="local",
        format=fmt,
        license="(your file: check its licence)",
        description=f"local file {path}",
        files=[FileSpec(name=path.name, sha256=sha256_file(path), size=path.stat().st_size)],
        disk_mb=path.stat().st_size // (1024 * 1024),
        source_path=str(path),
    )
