"""Child for the model-assembly kill -9 test: pulls a fake registry model, and dies by SIGKILL
either at the N-th file-system step (an audit event in the model folder: open, rename, remove)
or whenever the parent kills it. `N=0` runs to the end and prints how many steps there were.

Usage: python assemble_child.py CATALOG_JSON MODELS_ROOT SITE N
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from oculi.models import assemble
from oculi.models.catalog import Catalog
from oculi.models.store import ModelStore

STEP_EVENTS = {"open", "os.rename", "os.remove", "os.unlink", "shutil.rmtree"}


def main() -> None:
    cat_file, root, site, kill_at = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    catalog = Catalog.model_validate(json.loads(Path(cat_file).read_text()))
    assemble.CHUNK = 256 * 1024  # many small writes: kills land inside files, not only between
    steps = 0
    prefix = str(root)

    def hook(event: str, args: tuple) -> None:
        nonlocal steps
        if event in STEP_EVENTS and args and str(args[0]).startswith(prefix):
            steps += 1
            if steps == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    store = ModelStore(root, catalog=catalog, package_search_path=[site])
    print("ready", flush=True)
    store.pull(catalog.models[0].id, install_packages=False,
               progress=lambda name, n, total: time.sleep(0.002))
    print(f"done {steps}", flush=True)


if __name__ == "__main__":
    main()
