"""HTTPS for headsets on the LAN: the self-signed certificate, the flags' errors, and a live
`oculi serve --tls self-signed` reached over https and wss by clients that trust only it."""

from __future__ import annotations

import json
import os
import ssl
from pathlib import Path

import httpx
import pytest

from oculi.errors import OculiError
from oculi.server.live import LiveServer
from oculi.server.tls import local_names, resolve, self_signed

TINY = "smollm2-135m-instruct"


def _trusting(cert: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cert))
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT  # as Python 3.13 does by default
    return ctx


def test_self_signed_is_kept_and_remade_only_when_names_change(tmp_path: Path) -> None:
    first = self_signed(tmp_path, ["localhost", "127.0.0.1", "::1"])
    assert first.generated and first.cert.is_file() and first.key.is_file()
    assert oct(first.key.stat().st_mode & 0o777) == "0o600"
    again = self_signed(tmp_path, ["localhost", "127.0.0.1"])
    assert not again.generated and again.fingerprint == first.fingerprint
    other = self_signed(tmp_path, ["localhost", "192.168.1.20"])
    assert other.generated and other.fingerprint != first.fingerprint


def test_local_names_cover_loopback_and_the_bound_address() -> None:
    assert {"localhost", "127.0.0.1", "::1"} <= set(local_names("127.0.0.1"))
    assert "10.1.2.3" in local_names("10.1.2.3")
    assert "127.0.0.1" in local_names("0.0.0.0")  # wildcard: the machine's own addresses


def test_tls_flags_are_checked_before_anything_loads(tmp_path: Path) -> None:
    assert resolve(None, None, None, "127.0.0.1", tmp_path) is None
    for args, code in (
        (("mine", None, None), "tls_option_invalid"),
        ((None, tmp_path / "c.pem", None), "tls_option_invalid"),
        (("self-signed", tmp_path / "c.pem", tmp_path / "k.pem"), "tls_option_invalid"),
        ((None, tmp_path / "c.pem", tmp_path / "k.pem"), "tls_file_missing"),
    ):
        with pytest.raises(OculiError) as err:
            resolve(*args, "127.0.0.1", tmp_path)  # type: ignore[arg-type]
        assert err.value.code == code
    (tmp_path / "c.pem").write_text("not a certificate")
    (tmp_path / "k.pem").write_text("not a key")
    with pytest.raises(OculiError) as err:
        resolve(None, tmp_path / "c.pem", tmp_path / "k.pem", "127.0.0.1", tmp_path)
    assert err.value.code == "tls_cert_invalid"


@pytest.mark.slow
def test_https_and_wss_with_the_generated_certificate(tiny_model_path: Path,
                                                     tmp_path: Path) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    from oculi.paths import Paths

    home = tmp_path / "home"
    home.mkdir()
    (home / "models").symlink_to(Paths.from_env().models)  # the real models, a fresh data folder
    env = {"OCULI_HOME": str(home), "OCULI_CONFIG": str(home / "config.toml")}
    server = LiveServer("--model", TINY, "--slots", "1", "--no-embeddings", "--no-audio",
                        "--no-image-text", "--api-key", "k3y", "--tls", "self-signed",
                        env={**{k: v for k, v in os.environ.items() if k.startswith("OCULI_")},
                             **env})
    with server:
        cert = home / "data" / "tls" / "self-signed-cert.pem"
        assert cert.is_file(), server.output()
        ctx = _trusting(cert)
        assert server.base_url.startswith("https://")
        r = httpx.get(server.base_url + "/hud", verify=ctx, timeout=30)
        assert r.status_code == 200 and "/hud/static/xr.js" in r.text
        # a client that does not trust the certificate is refused by its own TLS check
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.base_url + "/health", timeout=30)
        wss = f"wss://127.0.0.1:{server.port}/v1/realtime"
        with connect(wss + "?api_key=k3y", ssl=ctx, open_timeout=30) as ws:
            ws.send(json.dumps({"type": "ping", "id": "over-tls"}))
            assert json.loads(ws.recv(timeout=30)) == {"type": "pong", "id": "over-tls"}
        with pytest.raises(InvalidStatus) as refused:  # beyond the page, the socket needs the key
            connect(wss, ssl=ctx, open_timeout=30)
        assert refused.value.response.status_code == 403
        assert "wss://" in server.output() and "SHA-256" in server.output()
