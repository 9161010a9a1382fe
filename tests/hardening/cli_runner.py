"""Run many `oculi` command lines in one process (imports paid once) and report, per line, the
exit code, stdout, stderr and any exception that escaped `main()` — as JSON on stdout.

Usage: python cli_runner.py < cases.json   (cases.json: a list of argv lists)
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import traceback


def run(argv: list[str]) -> dict[str, object]:
    from oculi.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    code: object = 0
    escaped = None
    sys.argv = ["oculi", *argv]
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - exactly what this runner exists to catch
            escaped = traceback.format_exc()
            code = "exception"
    return {"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "escaped": escaped, "seconds": round(time.perf_counter() - t0, 2)}


def main() -> None:
    cases = json.load(sys.stdin)
    real_stdout = sys.stdout
    results = [run(argv) for argv in cases]
    real_stdout.write(json.dumps(results))


if __name__ == "__main__":
    main()
