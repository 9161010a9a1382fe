"""The CLI commands, driven through typer's runner on a store with real moments."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from typer.testing import CliRunner

from oculi.cli.bench_memory import bench_memory
from oculi.cli.memory import app, recall, remember
from oculi.memory.ingest import ingest_utterances
from oculi.memory.protocols import Utterance
from oculi.memory.store import DB_NAME, MemoryStore

runner = CliRunner()


def _root() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(app, name="memory")
    root.command("remember")(remember)
    root.command("recall")(recall)
    root.command("bench-memory")(bench_memory)
    return root


def _fill(folder: Path, embedder) -> None:
    now = time.time()
    with MemoryStore(folder) as s:
        ingest_utterances(
            s,
            "talk",
            [
                Utterance(now - 7200, now - 7195, "the spare key is under the blue flower pot"),
                Utterance(now - 60, now - 55, "the meeting moved to Thursday at ten"),
            ],
            embedder,
        )


def test_list_search_forget_export_pause_retention(tmp_path: Path, embedder) -> None:
    folder = tmp_path / "memory"
    _fill(folder, embedder)
    f = ["--folder", str(folder)]
    cli = _root()
    r = runner.invoke(cli, ["memory", "list", "--json", *f])
    assert r.exit_code == 0, r.output
    assert len(r.output.strip().splitlines()) == 2
    r = runner.invoke(cli, ["memory", "search", "where is the key", "--json", *f])
    assert r.exit_code == 0 and "flower pot" in r.output.splitlines()[0]
    r = runner.invoke(cli, ["recall", "where is the spare key?", "--no-llm", "--json", *f])
    assert r.exit_code == 0 and json.loads(r.output)["citations"][0]["text"].startswith(
        "the spare key"
    )
    r = runner.invoke(cli, ["memory", "export", str(tmp_path / "out"), *f])
    assert r.exit_code == 0 and (tmp_path / "out" / "memories.jsonl").is_file()
    r = runner.invoke(cli, ["memory", "pause", *f])
    assert r.exit_code == 0 and "paused" in r.output
    assert json.loads(runner.invoke(cli, ["memory", "stats", *f]).output)["paused"] is True
    runner.invoke(cli, ["memory", "resume", *f])
    r = runner.invoke(cli, ["memory", "retention", "7", *f])
    assert r.exit_code == 0 and "7 day" in r.output
    r = runner.invoke(cli, ["memory", "forget", "--when", "the last 10 minutes", *f])
    assert r.exit_code == 0 and "forgot 1" in r.output
    r = runner.invoke(cli, ["memory", "forget", "--all", "--yes", *f])
    assert r.exit_code == 0 and "forgot 1" in r.output


def test_unreadable_database_error_and_recover(tmp_path: Path) -> None:
    folder = tmp_path / "memory"
    folder.mkdir()
    (folder / DB_NAME).write_bytes(b"\xff" * 4096)
    cli = _root()
    r = runner.invoke(cli, ["memory", "list", "--folder", str(folder)])
    assert r.exit_code != 0 and getattr(r.exception, "code", "") == "memory_db_unreadable"
    r = runner.invoke(cli, ["memory", "recover", "--folder", str(folder)])
    assert r.exit_code == 0 and "moved the old database" in r.output
    assert runner.invoke(cli, ["memory", "list", "--folder", str(folder)]).exit_code == 0


def test_remember_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    r = runner.invoke(_root(), ["remember", str(bad), "--folder", str(tmp_path / "m")])
    assert r.exit_code != 0 and getattr(r.exception, "code", "") == "memory_bad_input"
