"""Security checks that tests/server and tests/tools do not already make.

Already covered elsewhere (not repeated here): non-loopback bind without a key refused
(tests/server/test_cli_serve.py, test_operation_live.py), a key required when configured
(test_operation_live.py), SSRF basics — loopback/file/private addresses (test_images.py),
plugins and MCP servers only when configured (tests/tools/test_plugins.py, test_mcp.py).
Added here: every spelling of "the whole network" and of loopback for the bind rule; keys
compared in constant time, whatever their length; SSRF through alternative IP spellings and
DNS rebinding; path traversal on the HUD's static files. (File-taking tools are checked in
tests/tools: every one goes through `oculi.tools.files.inside`; the memory tools take text,
never a path.)
"""

from __future__ import annotations

import asyncio
import hmac
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from starlette.testclient import TestClient

from oculi.errors import ConfigError
from oculi.server.app import create_app
from oculi.server.errors import ApiError
from oculi.server.images import fetch_image
from oculi.server.security import check_bind
from oculi.server.settings import ServerSettings
from oculi.server.state import Backends


# ---------------------------------------------------------------------- binding
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", "192.168.1.20", "10.0.0.5",
                                  "fe80::1", "glasses.local", "127.0.0.1.nip.io"])
def test_exposed_bind_without_key_is_refused(host: str) -> None:
    with pytest.raises(ConfigError) as err:
        check_bind(ServerSettings(host=host))
    assert "API key" in err.value.message and err.value.hint


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.53", "::1", "[::1]", "localhost"])
def test_loopback_bind_needs_no_key(host: str) -> None:
    check_bind(ServerSettings(host=host))


def test_exposed_bind_with_a_key_is_allowed() -> None:
    check_bind(ServerSettings(host="0.0.0.0", api_keys=["k" * 32]))


# ---------------------------------------------------------------------- API keys
@pytest.fixture
def keyed_app() -> TestClient:
    settings = ServerSettings(api_keys=["correct-horse-battery-staple", "second-key"])
    return TestClient(create_app(Backends(), settings))


def test_keys_are_compared_in_constant_time(keyed_app: TestClient,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Every comparison goes through hmac.compare_digest — for a wrong key sharing a long
    prefix with the right one, a shorter one, a longer one — so the time taken does not say
    how much of a guess was right."""
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr("oculi.server.security.hmac.compare_digest", spy)
    for guess in ("correct-horse-battery-stapld", "c", "correct-horse-battery-staple-and-more", ""):
        r = keyed_app.get("/v1/models", headers={"Authorization": f"Bearer {guess}"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"
        assert any(a == guess.encode() for a, _ in seen), guess
    seen.clear()
    assert keyed_app.get("/v1/models", headers={"Authorization": "Bearer second-key"}).status_code == 200
    assert seen, "the right key was accepted without compare_digest"


@pytest.mark.parametrize("header", ["correct-horse-battery-staple", "Basic correct-horse-battery-staple",
                                    "Bearer", "Bearer  ", "bearer correct-horse-battery-staple x"])
def test_malformed_authorization_is_401(keyed_app: TestClient, header: str) -> None:
    r = keyed_app.get("/v1/models", headers={"Authorization": header})
    assert r.status_code == 401


def test_health_is_open_but_says_nothing_private(keyed_app: TestClient) -> None:
    r = keyed_app.get("/health")
    assert r.status_code == 200
    assert "correct-horse" not in r.text and "second-key" not in r.text


# ---------------------------------------------------------------------- path traversal
@pytest.mark.parametrize("path", [
    "/hud/static/../../../../etc/passwd", "/hud/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/hud/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/hud/static//etc/passwd",
    "/hud/static/..\\..\\..\\..\\etc\\passwd", "/hud/static/../app.py", "/hud/static/%2e%2e/app.py",
])
def test_hud_static_files_do_not_escape_their_folder(path: str) -> None:
    client = TestClient(create_app(Backends(), ServerSettings()))
    r = client.get(path)
    assert r.status_code in (400, 404, 405), (path, r.status_code)
    assert "root:" not in r.text and "create_app" not in r.text


# ---------------------------------------------------------------------- SSRF
HITS: list[str] = []


@pytest.fixture
def loopback_image() -> Iterator[str]:
    """A loopback web server with an image: the thing SSRF must never reach (HITS records
    every request it receives)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="PNG")
    png = buf.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            HITS.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    HITS.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield str(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _fetch(url: str):
    return asyncio.run(fetch_image(url, max_bytes=1 << 20, timeout=5, allow_private=False))


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0x7f.0.0.1", "127.1", "0177.0.0.1",
                                  "[::ffff:127.0.0.1]", "[0:0:0:0:0:ffff:7f00:1]", "0"])
def test_other_spellings_of_loopback_are_refused(loopback_image: str, host: str) -> None:
    with pytest.raises(ApiError) as err:
        _fetch(f"http://{host}:{loopback_image}/x.png")
    assert err.value.status == 400
    assert err.value.code in ("image_url_forbidden", "image_fetch_failed")
    assert HITS == []


def test_dns_rebinding_cannot_reach_loopback(loopback_image: str,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    answers = {"n": 0}

    def rebinding(host, port, *args, **kwargs):
        if host in ("rebind.example", b"rebind.example"):
            answers["n"] += 1
            ip = "93.184.215.14" if answers["n"] == 1 else "127.0.0.1"
            return real(ip, port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    try:
        _fetch(f"http://rebind.example:{loopback_image}/x.png")
    except ApiError:
        pass
    assert answers["n"] >= 1
    assert HITS == [], f"reached a loopback server through a rebinding name: {HITS}"
