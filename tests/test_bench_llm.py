"""`oculi bench llm` produces every figure it promises (speed targets are checked by reading
its output, never asserted in tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def test_bench_llm_reports_both_sides_and_the_roofline(tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "llm.json"
    proc = subprocess.run(
        [sys.executable, "-m", "oculi", "bench", "llm", "--model", "smollm2-135m-instruct",
         "--rounds", "1", "--decode-tokens", "16", "--history-tokens", "300", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert "oculi/raw" in proc.stdout.replace(" ", "") or "oculi / raw" in proc.stdout
    data = json.loads(out.read_text())
    for side in ("raw", "oculi"):
        figures = data[side]
        for key in ("load_s", "peak_rss_mb", "prefill_tok_s", "decode_tok_s", "ttft_first_s"):
            assert figures[key] > 0, (side, key)
    assert data["oculi"]["ttft_follow_up_s"] > 0 and data["oculi"]["ttft_follow_up_cold_s"] > 0
    assert data["memory_bandwidth_gb_s"] > 0.1
    assert data["roofline_tok_s"] == data["memory_bandwidth_gb_s"] * 1e9 / data["model_bytes"]
    assert set(data["ratios"]) >= {"decode_oculi_over_raw", "decode_oculi_over_roofline", "ttft_follow_up_over_first"}
