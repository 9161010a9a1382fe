"""Translate through the on-device LLM (no translation service, nothing leaves the device).

The engine is fetched lazily through a provider, so listing tools never loads a model, and
the tool runs after the agent's own generation has finished (the engine is not re-entrant).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from oculi.llm.engine import GenerationOptions
from oculi.llm.messages import ChatMessage
from oculi.tools.base import Tool, function_tool

PROMPT = (
    "You are a translator. Translate the user's text into {target}. Reply with the "
    "translation only: no quotes, notes or explanations."
)


class TranslateTool:
    def __init__(self, engine: Callable[[], Any], max_tokens: int = 256) -> None:
        self.engine = engine
        self.max_tokens = max_tokens

    def translate(self, text: str, target_language: str) -> dict[str, Any]:
        """Translate words into another language, only when the wearer asks for a translation
        or how to say something in a language (e.g. "how do you say good luck in Swedish").

        Args:
            text: the words to translate, copied in the wearer's own language exactly as said,
                without the request around them; never the translation, this tool makes it
                (for "what's the word for umbrella in Greek": "umbrella")
            target_language: the language's name in English, e.g. "Swedish"
        """
        messages = [
            ChatMessage(role="system", content=PROMPT.format(target=target_language)),
            ChatMessage(role="user", content=text),
        ]
        result = self.engine().chat(
            messages, options=GenerationOptions(max_tokens=self.max_tokens, temperature=0.0)
        )
        return {"translation": result.text.strip(), "language": target_language}

    def tools(self) -> list[Tool]:
        return [function_tool(self.translate, data=["llm"], timeout=120.0)]
