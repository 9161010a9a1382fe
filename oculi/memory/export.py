"""Export: every moment as one JSON line, with its (face-blurred) thumbnail copied beside it.

The wearer owns their memories; an export is plain files any tool can read. Images are the
stored thumbnails, whose faces were blurred before they were ever written; a moment whose
image was withheld (face blurring failed) carries the reason in `image_note` instead.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from oculi.memory.errors import MemoryInputError
from oculi.memory.recall import local_time
from oculi.memory.store import MemoryStore


def export(
    store: MemoryStore, out: Path, start: float | None = None, end: float | None = None
) -> int:
    if out.exists() and not out.is_dir():
        raise MemoryInputError(
            f"{out} is a file; an export is a folder (memories.jsonl and images/)",
            hint="pass a new or existing folder, e.g. `oculi memory export ~/my-memories`",
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(exist_ok=True)
    n, batch_end = 0, end
    tmp = out / "memories.jsonl.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        last_id = 0
        while True:
            rows = store.conn.execute(
                "SELECT id FROM moments WHERE id > ? AND ts >= ? AND ts < ? ORDER BY id LIMIT 1000",
                (
                    last_id,
                    start if start is not None else -1e18,
                    batch_end if batch_end is not None else 1e18,
                ),
            ).fetchall()
            if not rows:
                break
            last_id = rows[-1][0]
            for m in store.get([r[0] for r in rows]):
                record = m.to_json()
                record["time"] = local_time(m.ts)
                if m.thumb and (store.folder / m.thumb).is_file():
                    image = Path("images") / Path(m.thumb).name
                    shutil.copy2(store.folder / m.thumb, out / image)
                    record["image"] = str(image)
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                n += 1
    tmp.replace(out / "memories.jsonl")
    return n
