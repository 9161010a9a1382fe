"""Home Assistant through its documented REST and WebSocket APIs (bearer-token auth)."""
