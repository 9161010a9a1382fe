"""image_url handling: data URLs decoded, http(s) fetched within limits, SSRF refused."""

from __future__ import annotations

import asyncio
import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from oculi.server.errors import ApiError
from oculi.server.images import decode_data_url, fetch_image, is_public


@pytest.fixture
def photo(shared: Path) -> bytes:
    images = sorted((shared / "data" / "vizwiz_captions" / "images").glob("*.jpg"))
    if not images:
        pytest.skip("no photos in ../shared/data/vizwiz_captions/images")
    return images[0].read_bytes()


@pytest.fixture
def image_host(photo: bytes) -> Iterator[str]:
    """A loopback HTTP server with a photo, a non-image and a redirect to the photo."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/photo.jpg")
                self.end_headers()
                return
            body = photo if self.path == "/photo.jpg" else b"<html>not an image</html>"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(url: str, **kw: object):
    opts = {"max_bytes": 5_000_000, "timeout": 5.0, "allow_private": False, **kw}
    return asyncio.run(fetch_image(url, **opts))  # type: ignore[arg-type]


def test_data_url_round_trip_and_errors(photo: bytes) -> None:
    url = "data:image/jpeg;base64," + base64.b64encode(photo).decode()
    img = decode_data_url(url, 5_000_000)
    assert img.data == photo and img.mime == "image/jpeg"
    for bad, code in [("data:image/png;base64,@@@", "invalid_image_url"),
                      ("data:text/plain,hello", "invalid_image_url"),
                      ("data:image/png;base64," + base64.b64encode(b"hello").decode(), "invalid_image")]:
        with pytest.raises(ApiError) as err:
            decode_data_url(bad, 5_000_000)
        assert err.value.status == 400 and err.value.code == code
    with pytest.raises(ApiError) as err:
        decode_data_url(url, 1000)
    assert err.value.status == 413


@pytest.mark.parametrize("address,public", [
    ("8.8.8.8", True), ("127.0.0.1", False), ("10.1.2.3", False), ("192.168.0.9", False),
    ("172.20.0.1", False), ("169.254.169.254", False), ("::1", False),
    ("::ffff:127.0.0.1", False), ("fd00::1", False), ("0.0.0.0", False), ("224.0.0.1", False),
])
def test_only_global_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(address) is public


def test_loopback_and_file_urls_are_refused(image_host: str) -> None:
    for url in (image_host + "/photo.jpg", "http://localhost:1/x.jpg", "file:///etc/passwd",
                "ftp://example.org/x.jpg"):
        with pytest.raises(ApiError) as err:
            fetch(url)
        assert err.value.status == 400 and err.value.code == "image_url_forbidden", url


def test_allowed_private_fetch_follows_redirects_and_checks_content(
    image_host: str, photo: bytes
) -> None:
    assert fetch(image_host + "/redirect", allow_private=True).data == photo
    with pytest.raises(ApiError) as err:
        fetch(image_host + "/page.html", allow_private=True)
    assert err.value.code == "invalid_image"
    with pytest.raises(ApiError) as err:
        fetch(image_host + "/photo.jpg", allow_private=True, max_bytes=100)
    assert err.value.status == 413
