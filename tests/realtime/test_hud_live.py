"""The HUD page in headless Chromium against a live server: a picture with text is sent over
the realtime socket and the recognised-text overlay the server returns is drawn on it."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest

from oculi.server.live import LiveServer
from tests.realtime.conftest import SIGN_TEXT

pytestmark = pytest.mark.slow
TEXT_GREEN = np.array([0x28, 0xC8, 0x3C])  # hud.js COLOURS.text
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt install chromium)")
    return path


def test_hud_draws_the_recognised_text_overlay(rt_live: LiveServer, sign_file: Path,
                                               tmp_path: Path) -> None:
    chromium = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    shot = tmp_path / "hud.png"
    with sync_api.sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=ARGS,
            viewport={"width": 1280, "height": 800})
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(m.text))
            page.goto(rt_live.base_url + "/hud")
            page.wait_for_selector("body[data-state=ready]", timeout=120_000)
            page.set_input_files("#file", str(sign_file))
            page.wait_for_function(
                "document.getElementById('view').dataset.boxes.includes('\"text\"')",
                timeout=120_000)
            page.screenshot(path=str(shot), full_page=True)
            view = page.locator("#view")
            boxes = json.loads(view.get_attribute("data-boxes") or "[]")
            frame_id = view.get_attribute("data-frame-id")
            canvas_box = view.bounding_box()
            size = page.evaluate("[document.getElementById('view').width,"
                                 " document.getElementById('view').height]")
        finally:
            browser.close()
    print(f"HUD screenshot: {shot}")

    assert frame_id == "1", console
    assert [(b["kind"], b["text"]) for b in boxes] == [("text", SIGN_TEXT)]
    assert size == [640, 480]  # the frame itself is drawn, at its own size

    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert canvas_box is not None
    scale = canvas_box["width"] / size[0]
    x0, y0, _x1, y1 = boxes[0]["box"]
    # the box's left edge, in screenshot pixels: it must be drawn in the text colour
    left = int(canvas_box["x"] + x0 * scale)
    top, bottom = int(canvas_box["y"] + y0 * scale), int(canvas_box["y"] + y1 * scale)
    edge = pixels[top + 3:bottom - 3, max(0, left - 3):left + 4]
    close = (np.abs(edge - TEXT_GREEN).max(axis=2) < 40).any(axis=1)
    assert close.mean() > 0.9, f"box edge not drawn in the text colour; see {shot}"
    # and nowhere else in a plain grey card would that colour appear by chance
    card = pixels[int(canvas_box["y"]) + 5:int(canvas_box["y"]) + 40,
                  int(canvas_box["x"]) + 5:int(canvas_box["x"]) + 40]
    assert not (np.abs(card - TEXT_GREEN).max(axis=2) < 40).any()


def test_hud_shows_tools_reminders_memory_and_asks_before_acting(rt_live: LiveServer) -> None:
    """Tool activity, notifications, the memory-on indicator and a confirmation question on
    the 2-D page (events injected as the server sends them); Yes answers on the socket."""
    chromium = _chromium()
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="the playwright package is not installed")
    sent: list[dict] = []
    with sync_api.sync_playwright() as pw, tempfile.TemporaryDirectory() as profile:
        browser = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.on("websocket", lambda ws: ws.on(
                "framesent", lambda p: isinstance(p, str) and sent.append(json.loads(p))))
            page.goto(rt_live.base_url + "/hud")
            page.wait_for_selector("body[data-state=ready]", timeout=120_000)
            assert page.is_hidden("#xr")  # no XR runtime in plain headless Chromium
            assert page.is_hidden("#confirm")  # (#memory follows the server's memory.state)
            page.evaluate("""() => {
                const on = oculiHud.onEvent;
                on({ type: "tool.started", call_id: "c1", name: "set_timer",
                     detail: { arguments: { minutes: 5, label: "tea" } } });
                on({ type: "tool.finished", call_id: "c1", name: "set_timer", ok: true,
                     detail: { summary: "timer set for 12:05" } });
                on({ type: "tool.started", call_id: "c2", name: "web_search",
                     detail: { arguments: { query: "bus times" } } });
                on({ type: "notification", kind: "reminder", text: "Call Anna",
                     due: "2026-12-02T09:00:00Z", late: true });
                on({ type: "memory.state", recording: true });
                on({ type: "confirm.request", id: "q1", tool: "send_message",
                     arguments: { to: "Anna" }, question: "Send the message to Anna?" });
            }""")
            tools = page.locator("#tools li").all_text_contents()
            notes = page.locator("#notifications li").all_text_contents()
            assert page.is_visible("#memory") and page.is_visible("#confirm")
            question = page.text_content("#confirm-question")
            page.click("#confirm-yes")
            page.wait_for_function("!document.getElementById('confirm').offsetParent")
            page.evaluate("oculiHud.onEvent({ type: 'memory.state', recording: false })")
            memory_hidden = page.is_hidden("#memory")
        finally:
            browser.close()
    assert tools == ["… web_search: query: bus times",
                     "✓ set_timer: timer set for 12:05"], tools
    assert len(notes) == 1 and notes[0].startswith("Reminder") and notes[0].endswith(
        "(late): Call Anna"), notes
    assert question == "Send the message to Anna?"
    assert {"type": "confirm.reply", "id": "q1", "approved": True} in sent, sent
    assert memory_hidden
