"""Runner for the no-network proof: records (and blocks) every network attempt while it runs
oculi commands in this one process.

A `sys.addaudithook` hook sees every `socket.connect`, `socket.getaddrinfo`, `socket.sendto`,
`socket.gethostbyname`/`gethostbyaddr` and every program started (`subprocess.Popen`,
`os.exec`, `os.posix_spawn`). Each is written to LOG as one JSON line. An attempt to reach
anything but loopback or an AF_UNIX socket is also *refused* (PermissionError), so a test run
never sends a byte off this machine even when it proves that oculi would have tried.

Usage: python net_session.py LOG STEPS_JSON
  STEPS_JSON: a list of {"cli": [argv...]} (run through oculi.cli.main.main) or
  {"py": "python source"} (for library entry points such as the server's image fetcher).
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import json
import socket
import sys
import traceback
from typing import Any, TextIO

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_local(address: Any) -> bool:
    """True for AF_UNIX paths, loopback IPs/names and 'no host' (a local bind/lookup)."""
    if address is None or isinstance(address, (bytes, bytearray)):
        return True  # AF_UNIX path, or getaddrinfo(None, port) for a local bind
    if isinstance(address, str):
        host = address
    elif isinstance(address, tuple) and address:
        host = address[0]
        if isinstance(host, (bytes, bytearray)):
            host = host.decode(errors="replace")
        if not isinstance(host, str):
            return False
    else:
        return isinstance(address, int)  # AF_NETLINK (pid, groups) pairs are kernel-local
    if host in ("",) or host.lower() in LOOPBACK_NAMES:
        return True
    if host.startswith(("/", "\0")):
        return True  # AF_UNIX given as a str path (or the abstract namespace)
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def install(log: TextIO) -> None:
    def record(kind: str, target: Any, local: bool) -> None:
        log.write(json.dumps({"event": kind, "target": repr(target), "local": local}) + "\n")
        log.flush()

    def hook(event: str, args: tuple) -> None:
        if event == "socket.connect" or event == "socket.sendto":
            sock, address = args[0], args[1]
            local = getattr(sock, "family", None) == socket.AF_UNIX or is_local(address)
            record(event, address, local)
        elif event == "socket.getaddrinfo":
            local = is_local(args[0])
            record(event, (args[0], args[1]), local)
        elif event in ("socket.gethostbyname", "socket.gethostbyaddr"):
            local = is_local(args[0])
            record(event, args[0], local)
        elif event in ("subprocess.Popen", "os.exec", "os.posix_spawn", "os.system"):
            record(event, args[:2], True)
            return
        else:
            return
        if not local:
            raise PermissionError(f"network access refused by the no-network test: {event} {args[1:2]}")

    sys.addaudithook(hook)


def run_cli(argv: list[str]) -> dict[str, Any]:
    from oculi.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    sys.argv = ["oculi", *argv]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - reported to the test
            code = "exception"
            err.write(traceback.format_exc())
    return {"step": argv, "code": code, "stdout": out.getvalue()[-4000:], "stderr": err.getvalue()[-4000:]}


def run_py(source: str) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    try:
        exec(source, scope)  # noqa: S102 - test-authored code
        return {"step": source, "code": 0, "result": repr(scope.get("result"))[:2000]}
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        return {"step": source, "code": "exception", "result": f"{type(exc).__name__}: {exc}"[:2000]}


def main() -> None:
    log_path, steps = sys.argv[1], json.loads(sys.argv[2])
    log = open(log_path, "a", encoding="utf-8")  # noqa: SIM115 - open for the whole run
    install(log)
    results = []
    for step in steps:
        results.append(run_cli(step["cli"]) if "cli" in step else run_py(step["py"]))
        log.write(json.dumps({"event": "step_done", "step": str(step)[:200]}) + "\n")
        log.flush()
    sys.__stdout__.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    main()
