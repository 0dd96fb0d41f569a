"""The ``genplat`` command line: a thin layer over the library API.

Each command lives in its own module and only parses options, calls the library and reports.
Exit codes: 0 clean, 1 findings, 2 usage error, 3 internal or external failure.
"""

from __future__ import annotations

from genplat.cli._main import cli, main

__all__ = ["cli", "main"]
