"""Typed errors with stable codes.

Every failure a user can meet carries a code (for programs and tests), a message (what went
wrong) and a hint (the command or step that fixes it), so the CLI, the API server and the
voice pipeline can all render the same error without parsing message text.
"""

from __future__ import annotations


class OculiError(Exception):
    """Base of every error oculi raises on purpose."""

    code: str = "oculi_error"

    def __init__(self, message: str, *, hint: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ConfigError(OculiError):
    code = "config_invalid"


class ModelNotFound(OculiError):
    code = "model_not_found"


class ModelNotInstalled(OculiError):
    code = "model_not_installed"


class PackageMissing(OculiError):
    code = "package_missing"


class ChecksumMismatch(OculiError):
    code = "checksum_mismatch"


class InsufficientResources(OculiError):
    code = "insufficient_resources"


class DownloadFailed(OculiError):
    code = "download_failed"


class ModelLoadError(OculiError):
    code = "model_load_failed"


class GenerationCancelled(OculiError):
    code = "generation_cancelled"
