"""`oculi ask` and `oculi bench look` through typer, with the real models (tiny LLM)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from oculi.cli.ask import ask
from oculi.cli.bench_look import bench_look
from oculi.vision.errors import ImageDecodeError, NoFrames
from tests.vision.conftest import text_image, write_empty_video, write_video

TINY = "smollm2-135m-instruct"


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("ask")(ask)
    app.command("bench-look")(bench_look)
    return app


def test_ask_bad_image_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "photo.jpg"
    bad.write_text("not a photo")
    result = CliRunner().invoke(_app(), ["ask", "--image", str(bad), "What is it?"])
    assert isinstance(result.exception, ImageDecodeError)


def test_ask_empty_video_is_a_clear_error(tmp_path: Path) -> None:
    p = tmp_path / "empty.mp4"
    write_empty_video(p)
    result = CliRunner().invoke(_app(), ["ask", "--video", str(p), "--at", "0", "What is it?"])
    assert isinstance(result.exception, NoFrames)


def test_ask_needs_exactly_one_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["ask", "--camera", "0", "--image", "x.jpg", "What?"])
    assert result.exit_code == 2 and "exactly one" in result.output


@pytest.mark.slow  # a whole assistant turn: loads the LLM and reads its instructions
def test_ask_image_with_show(tmp_path: Path, tiny_model_path: Path) -> None:
    img = tmp_path / "sign.png"
    Image.fromarray(text_image(["PLATFORM 4"], paper=210)).save(img)
    out = tmp_path / "seen.png"
    result = CliRunner().invoke(
        _app(), ["ask", "--image", str(img), "--show", str(out), "--model", TINY, "--stats", "What does the sign say?"]
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and np.asarray(Image.open(out)).shape == (400, 900, 3)
    assert result.stdout.strip()  # the streamed answer


@pytest.mark.slow
def test_ask_video_at(tmp_path: Path, tiny_model_path: Path) -> None:
    p = tmp_path / "v.mp4"
    write_video(p, frames=10, fps=10)
    result = CliRunner().invoke(_app(), ["ask", "--video", str(p), "--at", "0.5", "--model", TINY, "--stats", "Is it dark?"])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_bench_look(tmp_path: Path, tiny_model_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(text_image(["EXIT"], paper=210)).save(photos / "a.png")
    Image.fromarray(text_image(["OPEN 24 HOURS"], paper=190)).save(photos / "b.png")
    out = tmp_path / "look.json"
    result = CliRunner().invoke(
        _app(), ["bench-look", "--images", str(photos), "--model", TINY, "--max-tokens", "8", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert len(data["photos"]) == 2 and data["path"] == "perception"
    for k in ("decode_s", "perception_s", "llm_first_token_s", "first_token_s", "total_s", "chat_first_token_s"):
        assert data["medians"][k] > 0
    assert set(data["photos"][0]["steps"]) >= {"quality", "ocr", "codes", "faces"}
    assert "median time to first token" in result.output


@pytest.mark.slow
def test_bench_look_scenes_needs_no_photo_folder(tmp_path: Path, tiny_model_path: Path) -> None:
    """A fresh install without ../shared: the scene set brings its own photos, warm-up included."""
    pytest.importorskip("skimage")
    scenes = tmp_path / "scenes.json"
    scenes.write_text(json.dumps({"questions": [
        {"id": "cup", "image": "skimage:coffee.png", "category": "objects", "group": "objects",
         "question": "What is on the table?", "expect": ["cup"]},
    ]}))
    out = tmp_path / "scenes-bench.json"
    result = CliRunner().invoke(_app(), [
        "bench-look", "--scenes", "--scene-file", str(scenes), "--images", str(tmp_path / "absent"),
        "--model", TINY, "--max-tokens", "8", "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [r["id"] for r in data["results"]] == ["cup"] and data["first_token_p50_s"] > 0
