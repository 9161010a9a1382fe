"""oculi's realtime session API: glasses stream camera frames and microphone audio over one
WebSocket, and get back speech events, transcripts, the answer (text and audio) and overlays.

`protocol.py` holds the typed events, `wire.py` the one parser and the binary framing,
`session.py` the server side of one connection, `client.py` a small asyncio client. The
protocol is documented in docs/realtime-protocol.md. Nothing is imported here:
`oculi.config` reads `oculi.realtime.settings`, and loading the settings must stay cheap.
"""
