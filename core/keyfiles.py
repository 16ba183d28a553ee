"""Writing a secret JSON file (key files): atomically, readable only by us.

The vault's key file and the audit trail's MAC key file are written the same
way, here: a temporary file in the same folder, mode 0600, flushed and
synced, then put in place in one step. A replaced file keeps its owner,
group and group-read bit (an operator may have given the service's group
read access); a new file is never put over an existing one when `exclusive`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path


def write_secret_json(
    path: Path, data: dict, *, exclusive: bool, prefix: str = ".keys-"
) -> bool:
    """Write `data` to `path`; with `exclusive`, False (and nothing written)
    when `path` exists already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        if not exclusive and path.exists():
            old = path.stat()
            os.fchmod(fd, old.st_mode & 0o640)
            with contextlib.suppress(PermissionError):  # not root: stays ours
                os.fchown(fd, old.st_uid, old.st_gid)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
            tmp = ""
        return True
    finally:
        if tmp:
            os.unlink(tmp)
