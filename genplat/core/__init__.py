"""The shared core every stage uses: diagnostics, the exception tree, rendered objects, quantities,
image references, derived names, digests, Kubernetes constants and defensive readers.

It imports nothing else of genplat, and nothing heavy at import time, so the CLI can load it for
``genplat --help``.
"""
