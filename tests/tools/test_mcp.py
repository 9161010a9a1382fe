"""The MCP client against a real MCP server process (the official SDK's FastMCP) over stdio."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from oculi.tools.errors import ToolUnavailable
from oculi.tools.mcp.client import MCPServerConnection
from oculi.tools.runtime import ToolRuntime
from oculi.tools.settings import MCPServerSettings, ToolsSettings

SERVER = Path(__file__).with_name("mcp_server.py")


def _settings(**extra) -> ToolsSettings:
    return ToolsSettings(
        mcp_servers={"demo": MCPServerSettings(command=sys.executable, args=[str(SERVER)], **extra)},
        timeout_seconds=5,
    )


@pytest.fixture(scope="module")
def runtime(tmp_path_factory):
    rt = ToolRuntime(_settings(), data_dir=tmp_path_factory.mktemp("mcp"), run_scheduler=False)
    yield rt
    rt.close()


def test_server_tools_become_oculi_tools(runtime):
    assert runtime.problems == []
    names = [n for n in runtime.registry.names() if n.startswith("demo_")]
    assert sorted(names) == ["demo_add", "demo_add_to_shopping_list", "demo_fail", "demo_slow"]
    add = runtime.registry.get("demo_add")
    assert add.description == "Add two integers." and add.source == "mcp:demo"
    assert add.parameters["properties"]["a"]["type"] == "integer"
    assert add.parameters["required"] == ["a", "b"]
    from oculi.llm.tools import calls_grammar

    calls_grammar(runtime.registry.specs())  # the server's schemas compile to a grammar


def test_calls_reach_the_server_and_keep_its_state(runtime):
    reg = runtime.registry
    assert reg.call("demo_add", {"a": 2, "b": 40}).content == "42"
    confirm = lambda req: True
    reg.call("demo_add_to_shopping_list", {"item": "eggs", "quantity": 12}, confirm=confirm)
    r = reg.call("demo_add_to_shopping_list", {"item": "milk"}, confirm=confirm)
    assert r.ok and r.content == "shopping list now: 12 x eggs, 1 x milk"


def test_confirmation_follows_read_only_hints(runtime):
    reg = runtime.registry
    assert not reg.get("demo_add").needs_confirmation({})
    assert reg.get("demo_add_to_shopping_list").needs_confirmation({"item": "x"})
    assert reg.call("demo_add_to_shopping_list", {"item": "x"}).error_code == "tool_declined"


def test_errors_bad_arguments_and_timeouts_are_messages(runtime):
    reg = runtime.registry
    err = reg.call("demo_fail", {"reason": "printer on fire"})
    assert err.error_code == "mcp_tool_error" and "printer on fire" in err.content
    bad = reg.call("demo_add", {"a": "two", "b": 1})
    assert bad.error_code == "invalid_tool_arguments"
    slow = reg.call("demo_slow", {"seconds": 0.1})
    assert slow.ok and slow.content == "awake"
    # a call that outlasts the limit (5 s here) comes back as a message; the server stays usable
    hung = reg.call("demo_slow", {"seconds": 7})
    assert not hung.ok and "demo" in hung.content and "slow" in hung.content
    assert reg.call("demo_add", {"a": 1, "b": 2}).content == "3"


def test_a_server_that_cannot_start_is_reported_not_fatal(tmp_path):
    settings = ToolsSettings(mcp_servers={"ghost": MCPServerSettings(command=sys.executable, args=["-c", "import sys; sys.exit(3)"], startup_timeout_seconds=10)})
    with ToolRuntime(settings, data_dir=tmp_path, run_scheduler=False) as rt:
        assert "set_timer" in rt.registry and not any(n.startswith("ghost_") for n in rt.registry.names())
        assert len(rt.problems) == 1 and rt.problems[0].code == "tool_unavailable"
        assert "ghost" in rt.problems[0].message and "tools.mcp_servers.ghost" in rt.problems[0].hint


def test_servers_run_only_when_configured(tmp_path):
    disabled = _settings(enabled=False)
    with ToolRuntime(disabled, data_dir=tmp_path, run_scheduler=False) as rt:
        assert not any(n.startswith("demo_") for n in rt.registry.names())
    with ToolRuntime(_settings(), data_dir=tmp_path, run_scheduler=False, connect=False) as rt:
        assert not any(n.startswith("demo_") for n in rt.registry.names())


def test_connection_directly_and_after_close(tmp_path):
    conn = MCPServerConnection("d", sys.executable, [str(SERVER)])
    conn.start()
    assert conn.server_name == "oculi-test-server"
    assert json.loads(json.dumps(conn.call_tool("add", {"a": 1, "b": 1}))) == "2"
    conn.close()
    with pytest.raises(ToolUnavailable):
        conn.call_tool("add", {"a": 1, "b": 1})
