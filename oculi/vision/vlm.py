"""Vision-language models: an optional backend that looks at the pixels itself.

No VLM ships in a registry package, so none is installed by default; users with a network
pull one (e.g. `smolvlm-256m-instruct`: a GGUF plus its multimodal projector "mmproj") or
register their own files. `LlamaMtmdVlm` loads such a pair through llama-cpp-python's libmtmd
chat handler. Every failure to load (missing file, not a GGUF, projector that does not fit
the model) becomes a `VlmLoadError` that names the file, so a half-downloaded model is
diagnosed instead of crashing a session. The look-and-ask agent only sees the protocol.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from oculi.errors import ModelNotFound, ModelNotInstalled
from oculi.models.store import ModelStore
from oculi.vision.decode import encode_jpeg
from oculi.vision.errors import VlmLoadError
from oculi.vision.settings import VisionSettings

HANDLERS = ("mtmd", "llava15", "llava16", "moondream", "nanollava", "qwen25vl", "minicpmv26")


@runtime_checkable
class VisionLanguageModel(Protocol):
    """Answers a question about an image, streaming text pieces."""

    name: str

    def describe(
        self, image: np.ndarray, prompt: str, max_tokens: int = 96, cancel: threading.Event | None = None
    ) -> Iterator[str]: ...


def check_gguf(path: Path, what: str) -> None:
    if not path.is_file():
        raise VlmLoadError(
            f"{what} not found: {path}",
            hint="pull the model again (`oculi models pull ID`) or fix the path",
            code="file_not_found",
        )
    with path.open("rb") as f:
        head = f.read(4)
    if head != b"GGUF":
        raise VlmLoadError(
            f"{what} {path.name} is not a GGUF file (it starts with {head!r})",
            hint="the download is incomplete or the file is something else; pull it again",
            code="corrupt_model_file",
        )


class LlamaMtmdVlm:
    """A GGUF language model + mmproj projector, run by llama.cpp's multimodal library."""

    def __init__(
        self,
        model_path: Path,
        mmproj_path: Path,
        *,
        handler: str = "mtmd",
        threads: int = 2,
        context_tokens: int = 4096,
    ) -> None:
        model_path, mmproj_path = Path(model_path), Path(mmproj_path)
        check_gguf(model_path, "VLM model")
        check_gguf(mmproj_path, "VLM projector (mmproj)")
        self.name = model_path.stem
        try:
            from llama_cpp import Llama
            from llama_cpp import llama_chat_format as fmt
        except ImportError as exc:
            raise VlmLoadError("llama-cpp-python is not installed", hint="pip install llama-cpp-python") from exc
        cls = {
            "mtmd": fmt.MTMDChatHandler,
            "llava15": fmt.Llava15ChatHandler,
            "llava16": fmt.Llava16ChatHandler,
            "moondream": fmt.MoondreamChatHandler,
            "nanollava": fmt.NanoLlavaChatHandler,
            "qwen25vl": fmt.Qwen25VLChatHandler,
            "minicpmv26": fmt.MiniCPMv26ChatHandler,
        }.get(handler)
        if cls is None:
            raise VlmLoadError(f"unknown VLM chat handler '{handler}'", hint=f"one of: {', '.join(HANDLERS)}")
        try:
            self._handler = cls(clip_model_path=str(mmproj_path), verbose=False)
            self._llm = Llama(
                model_path=str(model_path),
                chat_handler=self._handler,
                n_ctx=context_tokens,
                n_threads=threads,
                n_threads_batch=threads,
                verbose=False,
            )
            # the handler loads the projector lazily; load it now so a mismatch fails here
            self._handler._init_mtmd_context(self._llm)
        except VlmLoadError:
            raise
        except Exception as exc:
            raise VlmLoadError(
                f"cannot load VLM {model_path.name} with projector {mmproj_path.name}: {exc}",
                hint="the files are damaged or the projector belongs to another model",
            ) from exc
        self._lock = threading.Lock()

    def describe(
        self, image: np.ndarray, prompt: str, max_tokens: int = 96, cancel: threading.Event | None = None
    ) -> Iterator[str]:
        url = "data:image/jpeg;base64," + base64.b64encode(encode_jpeg(image)).decode()
        messages = [
            {
                "role": "user",
                "content": [{"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": prompt}],
            }
        ]
        with self._lock:
            for chunk in self._llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=0.0, stream=True
            ):
                if cancel is not None and cancel.is_set():
                    return
                piece = chunk["choices"][0].get("delta", {}).get("content")
                if piece:
                    yield piece


def find_vlm_files(folder: Path) -> tuple[Path, Path]:
    """(model, mmproj) in a model folder: the projector's name contains 'mmproj'."""
    ggufs = sorted(Path(folder).glob("*.gguf"))
    proj = [p for p in ggufs if "mmproj" in p.name.lower()]
    main = [p for p in ggufs if "mmproj" not in p.name.lower()]
    if len(proj) != 1 or len(main) != 1:
        raise VlmLoadError(
            f"{folder} should hold one model GGUF and one mmproj GGUF (found {len(main)} and {len(proj)})",
            hint="pull the vision-language model again",
            code="file_not_found",
        )
    return main[0], proj[0]


def load_vlm(settings: VisionSettings, store: ModelStore, threads: int = 2) -> VisionLanguageModel | None:
    """The configured VLM, else any installed one (the best vision level, see levels.py), or
    None when there is none (perception only)."""
    from oculi.vision.levels import vision_level

    model_id = vision_level(settings, store).vlm
    if not model_id:
        return None
    try:
        path = store.path(model_id)
    except (ModelNotFound, ModelNotInstalled):
        return None
    model, proj = find_vlm_files(path if path.is_dir() else path.parent)
    return LlamaMtmdVlm(model, proj, threads=threads)
