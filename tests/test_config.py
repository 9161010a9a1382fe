from pathlib import Path

import pytest

from oculi.config import load_settings
from oculi.errors import ConfigError
from oculi.paths import Paths


def test_defaults_are_the_documented_ones(oculi_home: Path) -> None:
    s = load_settings()
    assert s.llm.model == "qwen2.5-coder-1.5b-instruct"
    assert s.llm.threads >= 1
    assert s.llm.context_tokens == 4096


def test_oculi_home_moves_every_folder(oculi_home: Path) -> None:
    p = Paths.from_env()
    assert p.models == oculi_home / "models"
    assert p.data == oculi_home / "data"
    assert p.config_file == oculi_home / "config.toml"


def test_toml_file_then_environment_override(oculi_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    oculi_home.mkdir(parents=True)
    (oculi_home / "config.toml").write_text('[llm]\nthreads = 3\nmodel = "smollm2-135m-instruct"\n')
    s = load_settings()
    assert (s.llm.threads, s.llm.model) == (3, "smollm2-135m-instruct")
    monkeypatch.setenv("OCULI_LLM__THREADS", "1")
    assert load_settings().llm.threads == 1
    assert load_settings(llm={"threads": 4}).llm.threads == 4


def test_bad_values_give_one_clear_error(oculi_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OCULI_LLM__THREADS", "0")
    with pytest.raises(ConfigError, match="llm.threads"):
        load_settings()


def test_broken_toml_names_the_file(oculi_home: Path) -> None:
    oculi_home.mkdir(parents=True)
    (oculi_home / "config.toml").write_text("[llm\nthreads = ")
    with pytest.raises(ConfigError, match="config.toml"):
        load_settings()


def test_unknown_keys_are_rejected_not_ignored(oculi_home: Path) -> None:
    oculi_home.mkdir(parents=True)
    (oculi_home / "config.toml").write_text("[llm]\nthredas = 2\n")
    with pytest.raises(ConfigError):
        load_settings()
