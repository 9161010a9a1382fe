"""schemathesis fuzzes every operation of the live server's OpenAPI schema: no 5xx allowed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oculi.server.live import LiveServer
from tests.server.conftest import TINY


@pytest.mark.slow
def test_fuzzing_finds_no_server_errors(tiny_model_path) -> None:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("schemathesis is not installed (pip install schemathesis)")
    # Short answers keep the generations that fuzzing reaches cheap.
    with LiveServer("--model", TINY, "--slots", "2", "--max-tokens-limit", "8",
                    env={"OCULI_LLM__MAX_TOKENS": "8"}) as server:
        run = subprocess.run(
            [exe, "run", server.base_url + "/openapi.json", "--checks", "not_a_server_error",
             "--max-examples", "15", "--request-timeout", "120", "--no-color"],
            check=False, capture_output=True, text=True, timeout=900,
        )
        assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:] + server.output()[-3000:]
        assert "Traceback" not in server.output()
