"""The soak: its verdict logic on made-up figures (fast), and the CI variant — `oculi bench
soak` for one minute against a live server with the tiny model and low concurrency (slow).
The full run is `oculi bench soak` (30 minutes by default)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oculi.bench.soak import Call, Sample, SoakResult
from oculi.models.store import default_store

REPO = Path(__file__).resolve().parents[2]
TINY = "smollm2-135m-instruct"


def _result(rss: list[float], threads: list[int], final_threads: int, tmp_final: int = 0,
            outcomes: tuple[str, ...] = ("ok", "ok", "503")) -> SoakResult:
    n = len(rss)
    samples = [Sample(10.0 * i, "server", r, t, 20, 0, "load") for i, (r, t) in enumerate(zip(rss, threads, strict=True))]
    samples.append(Sample(10.0 * n, "server", rss[-1], final_threads, 20, tmp_final, "quiesced"))
    calls = [Call("chat", float(i), 1.0 + i, o) for i, o in enumerate(outcomes)]
    return SoakResult({"warmup_fraction": 0.25}, 10.0 * (n - 1), calls, samples)


def test_flat_run_passes_and_503_is_not_an_error() -> None:
    r = _result([900, 1000, 1001, 1000, 1002, 1001, 1000, 1001], [16] * 8, 16)
    assert r.problems() == []
    k = r.kinds()["chat"]
    assert (k["ok"], k["busy_503"], k["errors"]) == (2, 1, 0)
    assert k["p95_s"] == pytest.approx(1.95)


def test_growth_after_warm_up_is_flagged() -> None:
    r = _result([900, 1000, 1010, 1020, 1030, 1040, 1050, 1080], [16] * 8, 16)
    assert any("RSS grew" in p for p in r.problems())


def test_swings_without_a_trend_are_not_growth() -> None:
    """Sessions coming and going move RSS up and down; ending on a peak is not a leak."""
    swings = [900] + [1000, 1070, 1000, 1070] * 4 + [1075]
    r = _result(swings, [16] * len(swings), 16)
    assert r.problems() == [], r.resources()
    assert abs(r.resources()["server"]["rss_growth_pct"]) < 5


def test_leaked_threads_temp_files_and_errors_are_flagged() -> None:
    r = _result([1000] * 8, [16] * 8, 25, tmp_final=3, outcomes=("ok", "error: 500 boom"))
    problems = " | ".join(r.problems())
    assert "threads 16 → 25" in problems and "temp files" in problems and "errors other than 503" in problems


@pytest.mark.slow
def test_soak_ci_variant_one_minute(tmp_path: Path) -> None:
    store = default_store()
    for mid in (TINY, "whisper-base", "hibari-tts", "minilm-l6-v2"):
        if not store.status(store.get(mid)).installed:
            pytest.skip(f"{mid} is not installed: run `oculi models pull {mid}`")
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        # two minutes, the first half warm-up: a realtime session's lazily loaded models and
        # arenas take longer to settle than the 15 s a quarter of one minute would give
        [sys.executable, "-m", "oculi", "bench", "soak", "--minutes", "2", "--warmup-fraction", "0.5",
         "--model", TINY,
         "--chat-clients", "1", "--embed-clients", "1", "--transcribe-clients", "1",
         "--realtime-clients", "1",
         "--max-tokens", "16", "--sample-s", "2", "--out", str(out)],
        capture_output=True, text=True, timeout=900, cwd=REPO, check=False,
        env={**__import__("os").environ, "COLUMNS": "160"},
    )
    assert out.exists(), proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["problems"] == [] and data["passed"], proc.stdout[-3000:]
    assert proc.returncode == 0
    assert set(data["kinds"]) == {"chat", "embeddings", "transcription", "realtime", "memory_ingest"}
    for kind, k in data["kinds"].items():
        assert k["ok"] >= 1 and k["errors"] == 0, kind
        assert k["p95_s"] is not None and k["per_s"] > 0
    assert set(data["resources"]) == {"server", "ingest"}
