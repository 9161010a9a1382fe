"""Where oculi keeps things on disk.

One place decides the folders so that `OCULI_HOME` can move everything (models, data,
config) at once — tests and users with a small home partition rely on that.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "oculi"


@dataclass(frozen=True)
class Paths:
    models: Path
    data: Path
    config_file: Path

    @classmethod
    def from_env(cls) -> "Paths":
        home = os.environ.get("OCULI_HOME")
        if home:
            root = Path(home).expanduser()
            return cls(
                models=root / "models",
                data=root / "data",
                config_file=Path(os.environ.get("OCULI_CONFIG", root / "config.toml")),
            )
        return cls(
            models=Path(platformdirs.user_cache_dir(APP_NAME)) / "models",
            data=Path(platformdirs.user_data_dir(APP_NAME)),
            config_file=Path(
                os.environ.get(
                    "OCULI_CONFIG", Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"
                )
            ),
        )
