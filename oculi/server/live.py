"""A real `oculi serve` in a child process on a free loopback port (tests and the benchmark).

Talking to a separate process over TCP exercises everything a user's client meets: uvicorn,
the middlewares, SSE framing, and shutdown by signal.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import httpx

from oculi.errors import OculiError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, *args: str, startup_timeout: float = 180.0,
                 env: dict[str, str] | None = None) -> None:
        self.env = dict(env or {})
        self.port = free_port()
        self.args = list(args)
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__

    @property
    def tls(self) -> bool:
        return "--tls" in self.args or "--tls-cert" in self.args

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        cmd = [sys.executable, "-m", "oculi.server", "--host", "127.0.0.1",
               "--port", str(self.port), "--log-level", "warning", *self.args]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise OculiError(f"the server exited during start-up:\n{self.output()}",
                                 code="server_start_failed")
            try:
                # TLS: the test checks the certificate itself; here only "is it up?"
                if httpx.get(self.base_url + "/health", timeout=1.0,
                             verify=not self.tls).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise OculiError(f"the server did not start within {self.startup_timeout:g} s",
                         code="server_start_failed")

    def output(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (graceful), then SIGKILL if it hangs; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> LiveServer:  # noqa: PYI034
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._log.close()
