"""What lives as long as the process, shared by every assistant session in it.

One `AssistantHost` per process (CLI command, `oculi live`, `oculi serve`): the tool runtime
with its reminder scheduler thread (so timers and reminders fire while the process runs;
the store's `mark_fired` makes each fire exactly once even with several processes on one
store), the Home Assistant client and MCP servers, and the memory store. Each conversation
is an `Assistant` from `session()`, with its own history, view and tool registry, and
receives the notifications that fire while it is open.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from oculi.assistant.live_memory import LiveMemory
from oculi.assistant.session import Assistant
from oculi.assistant.view import CurrentView
from oculi.config import LLMSettings, Settings
from oculi.llm.engine import GenerationOptions
from oculi.paths import Paths
from oculi.tools.builtins.perception import Backends
from oculi.tools.notify import FanoutNotifier
from oculi.tools.registry import Confirm, ToolRegistry
from oculi.tools.runtime import ToolRuntime

log = logging.getLogger("oculi.assistant")

# With a camera, its note is in context and these would look a second time, slower. Without
# one they stay for the wearer's own interfaces: their "no camera" result is the honest answer
# to "is the door in front of me open?" (not offered, the default model sent such questions to
# device_status). App sessions (OpenAI Realtime) go without them: there they drew an app's
# own requests ("where is my order 4417 now?") to describe_view.
VIEW_TOOLS = frozenset({"describe_view", "read_text_aloud"})


class AssistantHost:
    def __init__(
        self,
        settings: Settings,
        *,
        engine: Callable[[], Any] | None = None,
        data_dir: Path | None = None,
        camera: str | None = None,
        run_scheduler: bool = True,
        connect: bool = True,
    ) -> None:
        """`engine` provides the chat engine to tools that need one (translate); `camera`
        overrides `[tools] camera` for the camera tools (take_photo, record_video)."""
        self.settings = settings
        self.data_dir = data_dir or Paths.from_env().data
        self.notifier = FanoutNotifier()
        backends = self._backends(engine, camera)
        self.memory = getattr(backends.memory, "service", None)
        self.runtime = ToolRuntime(
            settings.tools, data_dir=self.data_dir, engine=engine,
            notifier=self.notifier, backends=backends, run_scheduler=run_scheduler,
            connect=connect,
        )
        self.router = None
        if settings.tools.intent_router:
            from oculi.agent.router import load_router

            self.router = load_router()
        # nobody listening still leaves a trace (at info level: the sessions speak it)
        self.notifier.subscribe_until(
            lambda n: log.info("%s (%s)", n.text, "late" if n.late_seconds > 5 else "on time"))

    def _backends(self, engine: Callable[[], Any] | None, camera: str | None) -> Backends:
        from oculi.tools.backends import build_backends

        tools = self.settings.tools.model_copy(update={"memory": False})
        backends = build_backends(self.settings, data_dir=self.data_dir, engine=engine,
                                  tools=tools, camera=camera)
        if self.settings.tools.memory:
            from oculi.memory.service import MemoryService
            from oculi.tools.backends.memory import ServiceMemory

            # No engine for recall: the moments come back as the tool result and the
            # assistant's own model words the answer (one model call less).
            backends.memory = ServiceMemory(MemoryService(self.settings.memory, voice=self.settings.voice))
        return backends

    @property
    def problems(self) -> list[Any]:
        return self.runtime.problems

    def session(
        self,
        engine: Any,
        *,
        view: CurrentView | None = None,
        live_memory: bool = False,
        confirm: Confirm | None = None,
        max_tokens: int = 160,
        look_tools: bool = True,
    ) -> Assistant:
        """A new conversation. With `view`, the camera note is how it looks (no look tools);
        without, the look tools say there is no camera unless `look_tools` is False (an app's
        session: see VIEW_TOOLS). With `live_memory` (and memory on), what is seen and said
        is recorded as it happens."""
        registry = ToolRegistry(timeout_seconds=self.settings.tools.timeout_seconds,
                                max_result_chars=self.settings.tools.max_result_chars)
        for tool in self.runtime.registry.tools():
            if tool.name in VIEW_TOOLS and (view is not None or not look_tools):
                continue
            registry.register(tool)
        recorder = None
        if live_memory and self.memory is not None:
            recorder = LiveMemory(self.memory)
            registry.register_all(t for t in recorder.tools()
                                  if not self.settings.tools.is_disabled(t.name))
        assistant = Assistant(
            engine, registry, view=view, memory=self.memory is not None,
            system=_custom_system(self.settings.llm), confirm=confirm,
            options=GenerationOptions(max_tokens=max_tokens, temperature=0.0, seed=0),
            max_steps=self.settings.tools.max_steps,
        )
        assistant.live_memory = recorder
        assistant.router = self.router
        if recorder is not None:
            recorder.on_state = assistant.publish
        unsubscribe = self.notifier.subscribe_until(assistant.notify)
        assistant.on_close(unsubscribe)
        assistant.on_close(registry.close)
        if recorder is not None:
            assistant.on_close(recorder.close)
        return assistant

    def close(self) -> None:
        self.runtime.close()
        if self.memory is not None:
            self.memory.close()

    def __enter__(self) -> AssistantHost:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _custom_system(llm: LLMSettings) -> str | None:
    """The user's own `llm.system_prompt` replaces the assistant's identity line; the
    default one does not (the assistant's is written for speech and tools)."""
    default = LLMSettings.model_fields["system_prompt"].default
    return None if llm.system_prompt == default else llm.system_prompt
