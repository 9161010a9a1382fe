"""`oculi bench serve` fails at once, with a way out, when the peer server cannot start."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from oculi.errors import OculiError
from oculi.server import bench


def test_a_missing_peer_is_reported_before_any_level_runs(tmp_path: Path, monkeypatch) -> None:
    # a Python without site-packages stands for an install made by `make run` (no extras)
    bare = tmp_path / "python"
    bare.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "$@"\n')
    bare.chmod(0o755)
    monkeypatch.setattr(bench.sys, "executable", str(bare))
    with pytest.raises(OculiError) as err:
        bench.PeerServer.check_installed()
    assert "--no-peer" in (err.value.hint or "")


def test_the_installed_peer_passes_the_check() -> None:
    bench.PeerServer.check_installed()  # the test install has llama-cpp-python's extras
