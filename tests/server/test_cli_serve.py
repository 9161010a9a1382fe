"""`oculi serve` as a typer command: clear errors before any model loads."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from oculi.cli.serve import serve
from oculi.errors import ConfigError, OculiError
from oculi.server.run import bind_socket
from oculi.server.settings import ServerSettings


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("serve")(serve)

    @app.callback()
    def _root() -> None:
        """test root, so `serve` stays a subcommand"""

    return app


def test_port_in_use_is_reported_before_loading(oculi_home) -> None:
    sock = bind_socket(ServerSettings(port=0))
    try:
        port = sock.getsockname()[1]
        result = CliRunner().invoke(_app(), ["serve", "--port", str(port)])
    finally:
        sock.close()
    assert isinstance(result.exception, OculiError)
    assert result.exception.code == "port_in_use" and str(port) in result.exception.message


def test_network_bind_without_key_is_refused(oculi_home) -> None:
    result = CliRunner().invoke(_app(), ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert isinstance(result.exception, ConfigError)
    assert "--api-key" in (result.exception.hint or "")


def test_help_lists_the_flags() -> None:
    out = CliRunner().invoke(_app(), ["serve", "--help"]).output
    for flag in ("--host", "--port", "--api-key", "--model", "--slots", "--queue-size"):
        assert flag in out
