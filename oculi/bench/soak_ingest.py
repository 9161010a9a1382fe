"""The memory-ingest load for the soak: a child process that stores speech moments in batches
(real MiniLM embeddings, real SQLite + FTS5 + vectors) and searches them, until killed or told
to stop, printing one JSON line per batch: {"kind": "ingest", "s": seconds, "n": moments}.

Run as `python -m oculi.bench.soak_ingest FOLDER BATCH` (the soak starts and samples it).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from oculi.bench.soak_data import utterance_text


def main() -> None:
    from oculi.memory.embeddings import load_embedder
    from oculi.memory.ingest import ingest_utterances
    from oculi.memory.protocols import Utterance
    from oculi.memory.store import MemoryStore

    folder, batch = Path(sys.argv[1]), int(sys.argv[2])
    embedder = load_embedder()
    store = MemoryStore(folder)
    print(json.dumps({"kind": "ready"}), flush=True)
    base = 1.7e9
    i = 0
    for line in sys.stdin:  # one line from the soak = one batch; EOF = stop
        if not line.strip():
            break
        t0 = time.perf_counter()
        talk = [Utterance(base + 2 * k, base + 2 * k + 1.5, utterance_text(k))
                for k in range(i, i + batch)]
        report = ingest_utterances(store, "soak", talk, embedder)
        i += batch
        print(json.dumps({"kind": "ingest", "s": time.perf_counter() - t0,
                          "n": report.utterances}), flush=True)
    store.close()


if __name__ == "__main__":
    main()
