"""Memory errors: each carries a stable code and the step that fixes it."""

from __future__ import annotations

from oculi.errors import OculiError


class MemoryError_(OculiError):
    """Base of memory failures (named with a trailing underscore: `MemoryError` is a builtin)."""

    code = "memory_error"


class MemoryDatabaseUnreadable(MemoryError_):
    code = "memory_db_unreadable"


class MemoryDatabaseTooNew(MemoryError_):
    code = "memory_db_too_new"


class MemoryPaused(MemoryError_):
    code = "memory_paused"


class MemoryInputError(MemoryError_):
    """A video, audio file, photo folder or recording that cannot be read."""

    code = "memory_bad_input"


class MemoryDependencyMissing(MemoryError_):
    code = "package_missing"
