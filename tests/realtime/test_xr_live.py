"""The HUD's XR view in Chromium with Meta's Immersive Web Emulation Runtime (IWER, from npm),
against a live server: enter AR on an emulated Quest 3, see the panel drawn with WebGL
(SwiftShader), hold the right trigger to ask the spoken question through Chromium's fake
microphone, and see the real answer reach the panel; the left trigger returns to the 2-D page.

IWER is fetched by this test (`npm pack`, pinned and checked, cached in pytest's cache) and
injected before the page's scripts; oculi never serves it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import wave
from pathlib import Path

import cv2
import numpy as np
import pytest

from oculi.server.live import LiveServer
from tests.realtime.conftest import SIGN_TEXT, render_sign

pytestmark = pytest.mark.slow
IWER_VERSION = "2.5.0"
IWER_SHA512 = ("grq7iMyWo4s2DYnATKLPPoAByhcNuwLjMHHOILrFU9q8EGHIEzHyUuq1mz"
               "+9Xqy6+xrYPn3Ho8Z9eymZCE+D6w==")  # npm's "integrity" of the tarball
ARGS = ["--headless", "--no-sandbox", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        # WebGL2 without a GPU
        "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
        "--ignore-gpu-blocklist",
        # the camera and microphone are files; no permission prompt
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        "--autoplay-policy=no-user-gesture-required"]
LEAD_S = 1.5
SCREENSHOT_ENV = "OCULI_XR_SCREENSHOT"  # a path: also save the XR view there (docs/xr-panel.png)


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt install chromium; `make browser`)")
    return path


@pytest.fixture(scope="session")
def iwer_js(request: pytest.FixtureRequest) -> str:
    """IWER's browser build, from npm once, then from pytest's cache."""
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    folder = (Path(cache.mkdir(f"iwer-{IWER_VERSION}")) if cache is not None
              else request.getfixturevalue("tmp_path_factory").mktemp("iwer"))
    script = folder / "iwer.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: the XR test fetches IWER with it (apt install npm)")
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([npm, "pack", f"iwer@{IWER_VERSION}", "--silent"], cwd=tmp,
                                  capture_output=True, text=True, timeout=300, check=False)
            tarball = Path(tmp) / f"iwer-{IWER_VERSION}.tgz"
            if proc.returncode != 0 or not tarball.is_file():
                pytest.skip(f"npm could not fetch iwer@{IWER_VERSION}: "
                            f"{proc.stderr.strip()[-300:]}")
            digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
            assert digest == IWER_SHA512, "the iwer tarball is not the pinned one"
            with tarfile.open(tarball) as tar:
                member = tar.extractfile("package/build/iwer.min.js")
                assert member is not None
                script.write_bytes(member.read())
    return script.read_text(encoding="utf-8")


def _media_files(folder: Path, pcm: bytes, rate: int) -> tuple[Path, Path]:
    """The fake camera shows the sign (Y4M); the fake microphone says the question, once."""
    y4m = folder / "sign.y4m"
    i420 = cv2.cvtColor(render_sign(), cv2.COLOR_RGB2YUV_I420)
    y4m.write_bytes(b"YUV4MPEG2 W640 H480 F2:1 Ip A1:1\nFRAME\n" + i420.tobytes())
    wav = folder / "question.wav"
    # The file plays from when the microphone opens, a moment before the page sends
    # talk.start: a quiet lead-in keeps the question's first word after the press.
    lead = b"\0\0" * int(rate * LEAD_S)
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(lead + pcm + lead * 10)  # long quiet tail: nothing said twice
    return y4m, wav


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def test_xr_panel_push_to_talk_and_answer(rt_live: LiveServer, question_pcm: tuple[bytes, int],
                                          iwer_js: str, tmp_path: Path) -> None:
    chromium = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    pcm, rate = question_pcm
    y4m, wav = _media_files(tmp_path, pcm, rate)
    args = [*ARGS, f"--use-file-for-fake-video-capture={y4m}",
            f"--use-file-for-fake-audio-capture={wav}%noloop"]
    emulate = (iwer_js + "\nwindow.xrDevice = new IWER.XRDevice(IWER.metaQuest3);"
               "\nwindow.xrDevice.installRuntime({ forceInstall: true });")
    sent: list[str] = []
    received: list[dict] = []
    console: list[str] = []

    def on_socket(ws) -> None:  # noqa: ANN001 - playwright's WebSocket
        ws.on("framesent", lambda p: isinstance(p, str) and sent.append(json.loads(p)["type"]))
        ws.on("framereceived", lambda p: isinstance(p, str) and received.append(json.loads(p)))

    def types_sent() -> list[str]:
        return [t for t in sent if t.startswith("talk.")]

    with sync_api.sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=args,
            # the docs' screenshot is taken larger, so its text is as sharp as in a headset
            viewport={"width": 2048, "height": 1536} if os.environ.get(SCREENSHOT_ENV)
            else {"width": 1024, "height": 768})
        try:
            page = browser.new_page()
            page.on("console", lambda m: console.append(m.text))
            page.on("websocket", on_socket)
            page.add_init_script(emulate)
            page.goto(rt_live.base_url + "/hud")
            page.wait_for_selector("body[data-state=ready]", timeout=120_000)
            page.wait_for_selector("#xr:not([hidden])", timeout=30_000)
            assert page.text_content("#xr") == "Enter AR"
            page.click("#xr")
            page.wait_for_selector("body[data-xr=immersive-ar]", timeout=60_000)
            layer = page.evaluate("""() => {
                const l = oculiXR.session.renderState.baseLayer;
                return { webgl: l instanceof XRWebGLLayer, w: l.framebufferWidth,
                         h: l.framebufferHeight, blend: oculiXR.session.environmentBlendMode };
            }""")
            assert layer["webgl"] and layer["w"] > 0 and layer["h"] > 0, layer
            assert layer["blend"] == "alpha-blend"  # passthrough shows around the panel
            # the fake camera's sign is perceived and listed on the panel
            page.wait_for_function(
                f"oculiXR.lines.some(l => l.includes({json.dumps(SIGN_TEXT)}))", timeout=120_000)

            # push-to-talk on the right trigger: held while the question is said
            page.evaluate("xrDevice.controllers.right.updateButtonValue('trigger', 1)")
            deadline = time.monotonic() + 30
            while "talk.start" not in types_sent() and time.monotonic() < deadline:
                page.wait_for_timeout(50)
            assert types_sent() == ["talk.start"], (sent, console)
            page.wait_for_timeout(int(1000 * (LEAD_S + len(pcm) / 2 / rate + 1.0)))
            page.evaluate("xrDevice.controllers.right.updateButtonValue('trigger', 0)")
            page.wait_for_function("!oculiHud.state.talking", timeout=10_000)
            assert types_sent() == ["talk.start", "talk.stop"], sent

            # the answer streams onto the panel as it is spoken: its newest words are shown
            deadline = time.monotonic() + 300
            shown_tail = ""
            while time.monotonic() < deadline:
                failed = [e for e in received if e["type"] == "error"]
                assert not failed, failed
                deltas = [e["text"] for e in received if e["type"] == "answer.delta"]
                panel = " ".join(_words(" ".join(page.evaluate("oculiXR.lines"))))
                tail = " ".join(_words(" ".join(deltas))[-3:])
                if tail and tail in panel:
                    shown_tail = tail
                    break
                page.wait_for_timeout(200)
            assert shown_tail, [e for e in received if e["type"] != "overlay"]
            # the whole answer, before the panel's pixels are judged (its first words alone
            # may be too few to tell white text from the card)
            while (not any(e["type"] == "answer.done" for e in received)
                   and time.monotonic() < deadline):
                page.wait_for_timeout(200)
            page.wait_for_function("oculiXR.drawn === oculiHud.state.version", timeout=10_000)

            # tool activity (events of oculi.realtime/1, injected here) is on the panel too
            page.evaluate("""() => {
                oculiHud.onEvent({ type: "tool.started", call_id: "t1", name: "set_timer",
                                   detail: { arguments: { minutes: 5 } } });
                oculiHud.onEvent({ type: "tool.finished", call_id: "t1", name: "set_timer",
                                   ok: true, detail: { summary: "timer set for 5 min" } });
            }""")
            page.wait_for_function("oculiXR.lines.some(l => l.startsWith('✓ set_timer'))",
                                   timeout=30_000)
            probe = page.evaluate("oculiXR.probePanel()")
            lines = page.evaluate("oculiXR.lines")
            shot = tmp_path / "xr.png"
            page.screenshot(path=str(shot))
            if os.environ.get(SCREENSHOT_ENV) and probe["box"]:
                x0, y0, x1, y1 = probe["box"]
                page.screenshot(path=os.environ[SCREENSHOT_ENV], clip={
                    "x": max(0, x0 - 24), "y": max(0, y0 - 24),
                    "width": x1 - x0 + 48, "height": y1 - y0 + 48})

            # reminders and the memory indicator (events of oculi.realtime/1, injected here)
            page.evaluate("""() => {
                oculiHud.onEvent({ type: "memory.state", recording: true });
                oculiHud.onEvent({ type: "notification", kind: "timer", text: "Tea is ready",
                                   due: new Date().toISOString(), late: false });
            }""")
            page.wait_for_function("oculiXR.drawn === oculiHud.state.version", timeout=10_000)
            shown = page.evaluate("oculiXR.lines")
            assert "● memory on" in shown, shown
            assert any(line.startswith("Timer") and "Tea is ready" in line for line in shown), shown
            # a tool's question is shown, but the trigger that talks must not answer it
            page.evaluate("""oculiHud.onEvent({ type: "confirm.request", id: "q1",
                tool: "send_message", arguments: {}, question: "Send the message?" })""")
            page.wait_for_function("oculiXR.lines.includes('? Send the message?')",
                                   timeout=10_000)
            assert any("on the page" in line for line in page.evaluate("oculiXR.lines"))

            # a second input (the left trigger) leaves XR; the session goes on in 2-D
            page.evaluate("xrDevice.controllers.left.updateButtonValue('trigger', 1)")
            page.wait_for_selector("body[data-xr=off]", timeout=30_000)
            page.evaluate("xrDevice.controllers.left.updateButtonValue('trigger', 0)")
            assert page.get_attribute("body", "data-state") == "ready"
            assert types_sent() == ["talk.start", "talk.stop"], sent
            assert "session.end" not in sent and "confirm.reply" not in sent
            assert page.is_visible("#confirm")  # the 2-D page answers it
        finally:
            browser.close()
    print(f"XR screenshot: {shot}; panel lines: {lines}; probe: {probe}")

    # the panel is really drawn: a good part of the framebuffer, with bright text on it
    frame = probe["width"] * probe["height"]
    assert 0.015 * frame < probe["panel"] < 0.9 * frame, probe
    x0, y0, x1, y1 = probe["box"]
    assert 1.3 < (x1 - x0) / (y1 - y0) < 4.2, probe  # a card as tall as its text, not a smear
    assert probe["bright"] > 0.005 * probe["panel"], probe  # white answer text on it
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    # The emulator shows the XR framebuffer over the page (as passthrough): where the panel
    # is, the light sign behind it is covered by the dark card; beside it, it is not.
    card = pixels[y0 + 4:y1 - 4, x0 + 4:x1 - 4]
    assert card.mean() < 110, f"no dark card where the panel is drawn: {shot}"
    assert (card.max(axis=2) > 200).sum() > 0.005 * card.shape[0] * card.shape[1], shot
    beside = pixels[y0 + 4:y1 - 4, max(0, x0 - 80):x0 - 10]
    assert beside.size and beside.mean() > card.mean() + 40, f"the panel is not on top: {shot}"


def test_vr_fallback_follows_the_head_and_a_grip_leaves(rt_live: LiveServer, iwer_js: str) -> None:
    """A headset with only immersive-vr: "Enter VR", an opaque dark scene with the panel, which
    glides back in front when the head turns away; a grip leaves XR."""
    chromium = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    emulate = (iwer_js + "\nwindow.xrDevice = new IWER.XRDevice({ ...IWER.metaQuest3,"
               " supportedSessionModes: ['inline', 'immersive-vr'] });"
               "\nwindow.xrDevice.installRuntime({ forceInstall: true });")
    with sync_api.sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=ARGS,
            viewport={"width": 800, "height": 600})
        try:
            page = browser.new_page()
            page.add_init_script(emulate)
            page.goto(rt_live.base_url + "/hud")
            page.wait_for_selector("body[data-state=ready]", timeout=120_000)
            page.wait_for_selector("#xr:not([hidden])", timeout=30_000)
            assert page.text_content("#xr") == "Enter VR"
            page.click("#xr")
            page.wait_for_selector("body[data-xr=immersive-vr]", timeout=60_000)
            assert page.evaluate("oculiXR.session.environmentBlendMode") == "opaque"
            ahead = page.evaluate("oculiXR.probePanel()")
            # turn the head 90° to the left: the panel is left behind, then comes round
            turned = page.evaluate("""() => {
                xrDevice.quaternion.set(0, Math.SQRT1_2, 0, Math.SQRT1_2);
                return oculiXR.probePanel();
            }""")
            page.wait_for_timeout(4000)
            back = page.evaluate("oculiXR.probePanel()")
            page.evaluate("xrDevice.controllers.right.updateButtonValue('squeeze', 1)")
            page.wait_for_selector("body[data-xr=off]", timeout=30_000)
            assert page.get_attribute("body", "data-state") == "ready"
        finally:
            browser.close()

    print(f"panel ahead: {ahead}; just turned: {turned}; after 4 s: {back}")

    def centre_x(probe: dict) -> float:
        assert probe["box"], probe
        return (probe["box"][0] + probe["box"][2]) / 2 / probe["width"]

    assert abs(centre_x(ahead) - 0.5) < 0.05 and ahead["panel"] > 0.015 * 800 * 600, ahead
    assert turned["panel"] < 0.5 * ahead["panel"] or abs(centre_x(turned) - 0.5) > 0.25, turned
    assert abs(centre_x(back) - 0.5) < 0.05 and back["panel"] > 0.8 * ahead["panel"], back
