"""Real backends for the perception and memory tools: the camera, the view, the memory store.

`oculi.tools.builtins.perception` declares what the tools need as Protocols; these classes
provide them from oculi's own subsystems (vision sources + perception, memory's service).
`build_backends` assembles the ones the settings configure, so a tool is only offered when
what it needs exists on this device.
"""

from oculi.tools.backends.assemble import build_backends

__all__ = ["build_backends"]
