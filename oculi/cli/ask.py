"""`oculi ask`: look at a photo, a video moment, a camera or a stream, and answer a question."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from PIL import Image

from oculi.cli.checks import require_chat_model
from oculi.cli.console import err_console
from oculi.config import Settings, load_settings
from oculi.errors import OculiError
from oculi.llm.loader import load_engine
from oculi.look import LookSettings
from oculi.look.agent import VLM_PROMPT
from oculi.models.store import default_store
from oculi.vision.annotate import annotate, blur_all
from oculi.vision.perception import Perception, build_perceiver
from oculi.vision.perception.faces import FaceStep
from oculi.vision.settings import VisionSettings
from oculi.vision.sources import (
    CameraSource,
    FrameSource,
    VideoFileSource,
    first_frame,
    open_source,
)
from oculi.vision.vlm import load_vlm


def vision_settings(settings: Settings) -> VisionSettings:
    """The `[vision]` section of the configuration."""
    return settings.vision


def pick_source(
    image: Path | None, video: Path | None, at: float | None, camera: int | None, source: str | None,
    max_pixels: int,
) -> FrameSource:
    chosen = [x for x in (image, video, camera, source) if x is not None]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --image, --video, --camera or --source")
    if at is not None and video is None and source is None:
        raise typer.BadParameter("--at only applies to --video")
    if video is not None:
        return VideoFileSource(video, at=at, max_pixels=max_pixels)
    if camera is not None:
        return CameraSource(camera, warmup_frames=5)
    if image is not None:
        return open_source(str(image), max_pixels=max_pixels)
    return open_source(str(source), at=at, max_pixels=max_pixels)


def summary(p: Perception) -> str:
    parts = []
    if p.quality and p.quality.problems:
        parts.append(f"quality: {', '.join(p.quality.problems)}")
    parts.append(f"{len(p.text)} text line(s)")
    if p.codes:
        parts.append(f"{len(p.codes)} code(s)")
    parts.append(f"{len(p.faces)} face(s)")
    if p.objects is not None:
        parts.append(f"objects: {', '.join(sorted({o.label for o in p.objects})) or 'none'}")
    for step, err in p.errors.items():
        parts.append(f"{step} failed: {err}")
    return "; ".join(parts)


def ask(
    question: Annotated[str, typer.Argument(help='what to ask, e.g. "Read me this label."')],
    image: Annotated[Path | None, typer.Option(help="a photo (JPEG, PNG, WebP…)")] = None,
    video: Annotated[Path | None, typer.Option(help="a video file")] = None,
    at: Annotated[float | None, typer.Option(help="seconds into the video to look at")] = None,
    camera: Annotated[int | None, typer.Option(help="webcam index (0 = first camera)")] = None,
    source: Annotated[
        str | None,
        typer.Option(help="a folder, an http:// MJPEG or rtsp:// stream, or - for JPEGs on stdin"),
    ] = None,
    show: Annotated[
        Path | None, typer.Option(help="write the frame annotated with what was seen (faces blurred)")
    ] = None,
    model: Annotated[str | None, typer.Option(help="catalog id of the chat model")] = None,
    stats: Annotated[bool, typer.Option(help="print what was seen and the time per stage")] = False,
) -> None:
    """Answer a question about what the camera sees (one turn of the assistant, looking at
    this frame): reads text, codes, people and objects, and says what it cannot see."""
    settings = load_settings()
    vs = vision_settings(settings)
    t0 = time.perf_counter()
    frame = first_frame(pick_source(image, video, at, camera, source, vs.max_pixels))
    decode_s = time.perf_counter() - t0
    require_chat_model(settings, model)  # before the perception models load
    store = default_store()
    with err_console.status("loading perception models…"):
        perceiver = build_perceiver(vs, store=store)
        vlm = load_vlm(vs, store, threads=settings.llm.threads)
    if vlm is None:
        can = "text, barcodes, faces, picture quality" + (", objects" if perceiver.has_objects else "")
        err_console.print(
            f"[dim]no vision-language model installed: answering from what oculi can detect ({can})"
            + ("" if perceiver.has_objects else "; objects cannot be named (add a detector with `oculi models add`)")
            + "[/]"
        )
    t1 = time.perf_counter()
    perception = perceiver.perceive(frame.image)
    if vlm is not None:
        try:
            perception.caption = "".join(vlm.describe(frame.image, f"{VLM_PROMPT} Question: {question}",
                                                      LookSettings().vlm_max_tokens, None))
        except Exception as exc:  # noqa: BLE001 - a failing VLM must not cost the answer
            perception.errors["vlm"] = str(exc)
    perceive_s = time.perf_counter() - t1
    if stats:
        err_console.print(f"[dim]seen: {summary(perception)}[/]", highlight=False)
    if show is not None:
        _write_annotated(show, frame.image, perception)
    with err_console.status(f"loading {model or settings.llm.model}…"):
        engine = load_engine(settings, model)
    from oculi.assistant.host import AssistantHost
    from oculi.assistant.view import still_view
    from oculi.cli.assistant_io import terminal_confirm
    from oculi.cli.chat import _assistant_answer

    host = AssistantHost(settings, engine=lambda: engine, run_scheduler=False)
    assistant = host.session(engine, view=still_view(frame, perception, perceiver.has_objects),
                             confirm=terminal_confirm, max_tokens=settings.llm.max_tokens)
    try:
        with err_console.status("reading the assistant's instructions (saved for next time)…"):
            assistant.warm_up()
        t2 = time.perf_counter()
        _assistant_answer(assistant, question, stats)
        if stats:
            err_console.print(f"[dim]decode {decode_s:.2f}s, perception {perceive_s:.2f}s, "
                              f"answer {time.perf_counter() - t2:.2f}s[/]")
    finally:
        assistant.close()
        host.close()


def _write_annotated(path: Path, image, perception: Perception) -> None:
    """Faces found by the thorough (blurring) detector; if it cannot run, the whole frame is blurred."""
    try:
        out = annotate(image, perception, faces=FaceStep.for_blurring().detect(image))
    except Exception as exc:  # noqa: BLE001 - fail closed: never write an unblurred face
        err_console.print(f"[yellow]face detection failed ({exc}): the whole picture is blurred[/]")
        out = annotate(blur_all(image), perception, faces=[])
    try:
        Image.fromarray(out).save(path)
    except (OSError, ValueError) as exc:
        raise OculiError(f"cannot write {path}: {exc}", hint="check the folder exists and the suffix (.png, .jpg)",
                         code="write_failed") from exc
    err_console.print(f"[dim]annotated frame (faces blurred) → {path}[/]")
