"""Every frame source, fed real bytes: files, folders, video, webcam path, MJPEG, stdin, RTSP."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import io
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from oculi.vision.errors import FrameSourceError, ImageDecodeError, NoFrames
from oculi.vision.sources import (
    CameraSource,
    FolderSource,
    FrameSource,
    ImageFileSource,
    MjpegSource,
    RtspSource,
    StdinJpegSource,
    VideoFileSource,
    first_frame,
    open_source,
)
from oculi.vision.sources.jpeg_stream import read_jpegs
from tests.vision.conftest import jpeg_bytes, write_empty_video, write_video


def _grey(v: int, h: int = 48, w: int = 64) -> np.ndarray:
    return np.full((h, w, 3), v, dtype=np.uint8)


def test_image_file(tmp_path: Path) -> None:
    p = tmp_path / "a.jpg"
    p.write_bytes(jpeg_bytes(_grey(100)))
    src = ImageFileSource(p)
    assert isinstance(src, FrameSource)
    frame = first_frame(src)
    assert frame.image.shape == (48, 64, 3) and frame.timestamp > 0 and frame.source == str(p)


def test_folder_skips_bad_files_and_keeps_going(tmp_path: Path) -> None:
    (tmp_path / "1.jpg").write_bytes(jpeg_bytes(_grey(10)))
    (tmp_path / "2.jpg").write_bytes(b"")  # 0-byte
    (tmp_path / "3.png").write_bytes(b"not a png")
    (tmp_path / "4.jpg").write_bytes(jpeg_bytes(_grey(200)))
    (tmp_path / "readme.txt").write_text("ignored")
    src = FolderSource(tmp_path)
    frames = list(src.frames())
    assert [f.index for f in frames] == [0, 3]
    assert abs(int(frames[1].image.mean()) - 200) < 3
    assert len(src.skipped) == 2 and all(isinstance(e, ImageDecodeError) for e in src.skipped)


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(NoFrames):
        list(FolderSource(tmp_path).frames())


def test_video_frames_and_seek(tmp_path: Path) -> None:
    p = tmp_path / "v.mp4"
    write_video(p, frames=10, fps=10)
    frames = list(VideoFileSource(p).frames())
    assert len(frames) == 10
    assert [round(f.timestamp, 2) for f in frames[:3]] == [0.0, 0.1, 0.2]
    at = first_frame(VideoFileSource(p, at=0.5))
    assert abs(at.timestamp - 0.5) < 1e-6
    assert abs(float(at.image.mean()) - 100) < 12  # frame 5 was drawn at brightness 100


def test_video_seek_past_end(tmp_path: Path) -> None:
    p = tmp_path / "v.mp4"
    write_video(p, frames=5, fps=10)
    with pytest.raises(FrameSourceError, match="cannot look at") as e:
        first_frame(VideoFileSource(p, at=30))
    assert e.value.code == "bad_seek"


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_video_with_no_frames(tmp_path: Path, suffix: str) -> None:
    p = tmp_path / f"empty{suffix}"
    write_empty_video(p)
    with pytest.raises(NoFrames, match="no video") as e:
        first_frame(VideoFileSource(p))
    assert e.value.code == "no_frames" and e.value.hint


def test_corrupt_video(tmp_path: Path) -> None:
    p = tmp_path / "bad.mp4"
    p.write_bytes(np.random.default_rng(1).integers(0, 255, 20000, dtype=np.uint8).tobytes())
    with pytest.raises(FrameSourceError, match="cannot open|damaged") as e:
        first_frame(VideoFileSource(p))
    assert e.value.hint


def test_truncated_video_keeps_good_frames_or_errors_clearly(tmp_path: Path) -> None:
    p = tmp_path / "v.mp4"
    write_video(p, frames=10)
    data = p.read_bytes()
    p.write_bytes(data[: int(len(data) * 0.6)])
    src = VideoFileSource(p)
    try:
        frames = list(src.frames())
    except (FrameSourceError, NoFrames) as exc:
        assert exc.hint  # a clear error is acceptable; a crash is not
    else:
        assert len(frames) <= 10


def test_camera_source_reads_through_opencv(tmp_path: Path) -> None:
    """No webcam here: VideoCapture opens a file through the same code path a camera uses."""
    p = tmp_path / "cam.mp4"
    write_video(p, frames=6)
    frames = list(CameraSource(str(p)).frames())
    assert len(frames) == 6 and frames[0].image.shape == (120, 160, 3)
    assert frames[-1].image.mean() > frames[0].image.mean()  # RGB, in order


def test_missing_camera_is_a_clear_error() -> None:
    with pytest.raises(FrameSourceError) as e:
        first_frame(CameraSource(97))
    assert e.value.code == "camera_unavailable" and "camera" in e.value.hint


def _jpeg_with_thumbnail(v: int) -> bytes:
    """A JPEG whose EXIF block embeds a thumbnail (with its own FF D9 end marker)."""
    from PIL import Image

    img = Image.fromarray(_grey(v, 120, 160))
    thumb = io.BytesIO()
    img.resize((32, 24)).save(thumb, format="JPEG")
    exif = Image.Exif()
    exif[0x0112] = 1
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes() + thumb.getvalue())
    return buf.getvalue()


def test_stdin_splits_concatenated_jpegs_and_skips_a_corrupt_one() -> None:
    good = [jpeg_bytes(_grey(40)), _jpeg_with_thumbnail(120), jpeg_bytes(_grey(220))]
    corrupt = bytearray(jpeg_bytes(_grey(90)))
    corrupt[2:6] = b"\xff\xe0\x00\x01"  # a segment length that cannot be right
    stream = io.BytesIO(b"junk" + good[0] + good[1] + bytes(corrupt) + good[2])
    src = StdinJpegSource(stream)
    frames = list(src.frames())
    means = [round(float(f.image.mean()) / 10) for f in frames]
    assert means == [4, 12, 22]
    assert len(src.skipped) == 1 and isinstance(src.skipped[0], ImageDecodeError)


def test_stdin_stream_cut_mid_frame() -> None:
    data = jpeg_bytes(_grey(40))
    with pytest.raises(ImageDecodeError, match="ended inside a JPEG"):
        list(read_jpegs(io.BytesIO(data[:-50])))


class _MjpegHandler(http.server.BaseHTTPRequestHandler):
    frames: ClassVar[list[bytes]] = []
    with_length = True

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for data in self.frames:
            head = b"--frame\r\nContent-Type: image/jpeg\r\n"
            if self.with_length:
                head += f"Content-Length: {len(data)}\r\n".encode()
            self.wfile.write(head + b"\r\n" + data + b"\r\n")
            self.wfile.flush()
            time.sleep(0.01)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mjpeg_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _MjpegHandler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/stream.mjpg"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("with_length", [True, False])
def test_mjpeg_stream(mjpeg_server: str, with_length: bool) -> None:
    _MjpegHandler.frames = [jpeg_bytes(_grey(v)) for v in (30, 130, 230)]
    _MjpegHandler.with_length = with_length
    src = open_source(mjpeg_server)
    assert isinstance(src, MjpegSource)
    frames = list(src.frames())
    assert [round(float(f.image.mean()) / 10) for f in frames] == [3, 13, 23]
    assert frames[0].timestamp <= frames[-1].timestamp


def test_mjpeg_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FrameSourceError, match="cannot open MJPEG"):
        first_frame(MjpegSource(f"http://127.0.0.1:{port}/x", timeout=2))


def test_rtsp_unreachable_is_a_clear_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FrameSourceError) as e:
        first_frame(RtspSource(f"rtsp://127.0.0.1:{port}/live", timeout=2))
    assert e.value.hint


@pytest.fixture
def rtsp_server(tmp_path: Path) -> Iterator[str]:
    """A real RTSP server (aio-rtsp-toolkit, RTP over the RTSP connection) serving an H.264
    clip whose frame i has brightness 8*i, on a free loopback port."""
    av = pytest.importorskip("av")
    server = pytest.importorskip("aio_rtsp_toolkit.server", reason="pip install -e '.[test]' brings the RTSP server")
    with av.open(str(tmp_path / "clip.mp4"), "w") as out:
        stream = out.add_stream("h264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), 8 * i, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    async def serve() -> None:
        with contextlib.suppress(asyncio.CancelledError):  # the fixture's teardown
            await server.serve(str(tmp_path), host="127.0.0.1", port=port)

    loop = asyncio.new_event_loop()
    task = loop.create_task(serve())
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    yield f"rtsp://127.0.0.1:{port}/clip.mp4"
    loop.call_soon_threadsafe(task.cancel)
    thread.join(timeout=10)
    loop.close()


def test_rtsp_stream_frames(rtsp_server: str) -> None:
    src = open_source(rtsp_server)
    assert isinstance(src, RtspSource)
    frames = []
    for frame in src.frames():
        frames.append(frame)
        if len(frames) == 8:
            break
    assert [f.image.shape for f in frames] == [(240, 320, 3)] * 8
    brightness = [float(f.image.mean()) for f in frames]
    assert brightness == sorted(brightness) and brightness[-1] > brightness[0]  # the clip, in order
    assert frames[0].timestamp <= frames[-1].timestamp


def test_open_source_dispatch(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(jpeg_bytes(_grey(1)))
    write_video(tmp_path / "v.mp4", frames=2)
    assert isinstance(open_source(str(tmp_path / "a.jpg")), ImageFileSource)
    assert isinstance(open_source(str(tmp_path)), FolderSource)
    assert isinstance(open_source(str(tmp_path / "v.mp4"), at=0.1), VideoFileSource)
    assert isinstance(open_source("0"), CameraSource)
    assert isinstance(open_source("-"), StdinJpegSource)
    assert isinstance(open_source("rtsp://127.0.0.1/x"), RtspSource)
    with pytest.raises(FrameSourceError):
        open_source(str(tmp_path / "missing.mp4"))


def test_camera_warmup_frames_are_dropped(tmp_path: Path) -> None:
    p = tmp_path / "cam.mp4"
    write_video(p, frames=6)
    frames = list(CameraSource(str(p), warmup_frames=2).frames())
    assert len(frames) == 4 and frames[0].image.mean() > 30  # the third frame (brightness 40)
