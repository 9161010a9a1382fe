from pathlib import Path

import pytest

from oculi.errors import InsufficientResources
from oculi.models.resources import require_disk, require_ram


def test_too_little_disk_says_how_much_is_needed(tmp_path: Path) -> None:
    with pytest.raises(InsufficientResources) as err:
        require_disk(tmp_path / "not" / "yet" / "made", 10**15, "a huge model")
    msg = str(err.value)
    assert "needs 953,674,316 MB" in msg and "MB free" in msg and "OCULI_HOME" in msg


def test_too_little_ram_says_how_much_is_needed() -> None:
    with pytest.raises(InsufficientResources, match=r"needs about 99,000,000 MB"):
        require_ram(99_000_000, "a huge model")


def test_enough_resources_pass_silently(tmp_path: Path) -> None:
    require_disk(tmp_path, 1024, "a tiny file")
    require_ram(1, "a tiny model")
