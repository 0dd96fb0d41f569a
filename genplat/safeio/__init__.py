"""Safety guards the stages share: what genplat reads, where it writes, how it names files.

* load: :func:`read_input` opens a blueprint or template without following FIFOs or devices and
  reads at most the size limit (a symlink to ``/dev/zero`` or a FIFO is a finding, not a hang);
* write: :mod:`._outdir` decides whether genplat owns an output folder (empty, or holding
  ``genplat.lock.json`` or ``.genplat/``) and refuses a symlinked one; :mod:`._lock` serialises
  builds writing the same folder; :mod:`._journal` makes the commit of a new tree atomic under
  any signal (a journal the next run completes before anything else);
* report: :func:`escape_name` shows any file name as one printable line (control characters,
  undecodable bytes), so a name can never forge a line of output or a GitHub workflow command.
"""

from __future__ import annotations

from ._lock import BuildLock, LockWait
from ._names import escape_name
from ._outdir import MARKER_DIR, check_output_folder
from ._read import InputError, read_input

__all__ = ["MARKER_DIR", "BuildLock", "InputError", "LockWait", "check_output_folder", "escape_name", "read_input"]
