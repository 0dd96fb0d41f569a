"""Exceptions for real aborts. Findings about the input are :class:`~genplat.Diagnostic` data instead.

Tree::

    GenplatError            base; exit code 3 unless a subclass says otherwise
    ├── UsageError          wrong options or arguments (exit 2)
    ├── ToolNotFoundError   an external tool asked for is not installed (exit 2)
    ├── FindingsError       a stage produced error findings and cannot go on (exit 1)
    ├── OutdatedError       out/ or its lock file is not what the blueprints render: build again (exit 1)
    ├── RegistryError       an OCI registry refused or could not be reached (exit 3)
    ├── ClusterError        a Kubernetes API server refused or could not be reached (exit 3)
    └── FetchError          an add-on's CRDs could not be fetched, or were not what the lock records (exit 3)
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    from genplat.core.diagnostics import Diagnostic


class GenplatError(Exception):
    exit_code = 3
    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint


class UsageError(GenplatError):
    exit_code = 2


class ToolNotFoundError(GenplatError):
    exit_code = 2


class FindingsError(GenplatError):
    exit_code = 1

    def __init__(self, diagnostics: list[Diagnostic], message: str = "errors found") -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class OutdatedError(GenplatError):
    """The written output (out/, its lock file, the wiring) is missing or not current: the user builds again."""

    exit_code = 1


class RegistryError(GenplatError):
    exit_code = 3


class ClusterError(GenplatError):
    exit_code = 3


class FetchError(GenplatError):
    """A download failed or was refused (not found, too big, wrong digest, a hostile archive, offline)."""

    exit_code = 3
