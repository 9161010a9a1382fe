"""Third-party tools through real entry points of an installed (test) distribution."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oculi.tools.errors import PluginLoadError
from oculi.tools.plugins import available_plugins, load_plugins
from oculi.tools.runtime import ToolRuntime
from oculi.tools.settings import ToolsSettings

PLUGIN = textwrap.dedent(
    '''
    from oculi.tools import tool

    @tool(data=["network"])
    def weather(city: str) -> str:
        """Tell the weather in a city."""
        return f"sunny in {city}"

    def all_tools():
        return [weather]

    broken = 42
    '''
)


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    (site / "oculi_weather_test").mkdir(parents=True)
    (site / "oculi_weather_test" / "__init__.py").write_text(PLUGIN)
    info = site / "oculi_weather_test-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: oculi-weather-test\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[oculi.tools]\n"
        "weather = oculi_weather_test:all_tools\n"
        "broken = oculi_weather_test:broken\n"
        "missing = oculi_weather_test_nope:x\n"
    )
    monkeypatch.syspath_prepend(str(site))
    return site


def test_discovered_but_not_loaded_until_enabled(plugin_site, tmp_path):
    names = {p.name: p for p in available_plugins(["weather"])}
    assert {"weather", "broken", "missing"} <= set(names)
    assert names["weather"].enabled and not names["broken"].enabled
    assert names["weather"].distribution == "oculi-weather-test"
    with ToolRuntime(ToolsSettings(), data_dir=tmp_path, run_scheduler=False) as rt:
        assert "weather" not in rt.registry


def test_enabled_plugin_tools_are_callable(plugin_site, tmp_path):
    with ToolRuntime(ToolsSettings(enabled_plugins=["weather"]), data_dir=tmp_path, run_scheduler=False) as rt:
        t = rt.registry.get("weather")
        assert t is not None and t.source == "plugin:weather" and t.data == frozenset({"network"})
        assert rt.registry.call("weather", {"city": "Lyon"}).content == "sunny in Lyon"


def test_broken_plugins_are_clear_errors_not_crashes(plugin_site, tmp_path):
    with pytest.raises(PluginLoadError, match="did not provide Tool"):
        load_plugins(["broken"])
    with pytest.raises(PluginLoadError, match="failed to load"):
        load_plugins(["missing"])
    with pytest.raises(PluginLoadError, match="not installed"):
        load_plugins(["nonexistent"])
    with ToolRuntime(ToolsSettings(enabled_plugins=["broken"]), data_dir=tmp_path, run_scheduler=False) as rt:
        assert "set_timer" in rt.registry  # the rest still works
        assert [p.code for p in rt.problems] == ["plugin_load_failed"]
