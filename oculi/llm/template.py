"""Prompt rendering with the model's own chat template (read from the GGUF metadata).

Using the template the model was trained with matters more than any prompt wording. When a
template does not render `tools`, the tool list is taught in the system prompt and tool
history is rewritten as text (see tools.py), so every chat model can call tools.
"""

from __future__ import annotations

from typing import Any

from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from oculi.errors import ModelLoadError
from oculi.llm import tools as toolfmt

# Used only when a GGUF carries no template at all (rare, old conversions).
CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class ChatTemplate:
    def __init__(self, source: str, bos_token: str, eos_token: str) -> None:
        self.source = source
        self.renders_tools = "tools" in source and "tool_call" in source
        self._formatter = Jinja2ChatFormatter(
            template=source, eos_token=eos_token, bos_token=bos_token, add_generation_prompt=True
        )

    @classmethod
    def from_llama(cls, llm: Any) -> "ChatTemplate":
        meta = llm.metadata or {}
        source = meta.get("tokenizer.chat_template") or CHATML
        try:
            bos = llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "ignore")
            eos = llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "ignore")
        except Exception as exc:  # a model without special tokens cannot chat
            raise ModelLoadError(f"the model's special tokens are unreadable: {exc}") from exc
        return cls(source, bos, eos)

    def render(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None
    ) -> str:
        if tools and not self.renders_tools:
            messages = toolfmt.as_plain_history(messages)
            instructions = toolfmt.system_prompt_for_tools(tools)
            if messages and messages[0]["role"] == "system":
                first = dict(messages[0])
                first["content"] = f"{first['content']}\n\n{instructions}"
                messages = [first, *messages[1:]]
            else:
                messages = [{"role": "system", "content": instructions}, *messages]
            tools = None
        elif not tools:
            messages = toolfmt.as_plain_history(messages) if not self.renders_tools else messages
        result = self._formatter(messages=messages, tools=tools)
        return result.prompt
