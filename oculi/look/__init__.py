"""Look and ask: a question about what the camera sees, answered from perception + the LLM."""

from oculi.look.agent import LookAgent, LookAnswer, LookSettings, Perceived

__all__ = ["LookAgent", "LookAnswer", "LookSettings", "Perceived"]
