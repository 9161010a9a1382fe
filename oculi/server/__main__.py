"""`python -m oculi.server …` runs `oculi serve` (used by the live-server tests)."""

import sys

import typer

from oculi.cli.serve import serve
from oculi.errors import OculiError

if __name__ == "__main__":
    try:
        typer.run(serve)
    except OculiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
