"""The local LLM: chat templates, streaming generation, tool calls and constrained output."""
