"""Writing files so that a kill or a full disk never leaves a partial one: the one atomic-write helper.

``replace_atomically(path, write)`` lets ``write`` fill a sibling temporary ``.<stem>.<pid>.tmp<suffix>``
and renames it over ``path``. On any error the temporary is removed; a full disk becomes ``DiskFullError``, whose
one-line message names the folder. ``remove_stale_temporaries`` deletes the temporaries of processes that
died (a kill -9 between write and rename), so none survives the next sweep.
"""

from __future__ import annotations

import errno
import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

_TEMPORARY = re.compile(r"^\..+\.(\d+)\.tmp(\.\w+)?$")


class DiskFullError(OSError):
    """No space left where a result had to be written; the message is one line for the user."""


def temporary_for(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def replace_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` a sibling temporary file, then rename it over ``path``: a kill never leaves a half file,
    an error leaves no temporary, and a full disk raises ``DiskFullError``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_for(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                f"the disk holding {path.parent} is full: could not write {path.name}; free some space and run "
                "the same command again (finished runs are kept)"
            ) from None
        raise
    return path


def save_torch(obj: Any, path: Path) -> Path:
    """``torch.save`` atomically; serialized in memory first, so that a full disk is an ``OSError`` (torch's
    own writer reports it as a ``RuntimeError`` about the file position)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return replace_atomically(path, lambda tmp: tmp.write_bytes(buffer.getbuffer()))


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporaries in ``folder`` whose writing process is gone; returns them."""
    stale = []
    for path in folder.glob(".*.tmp*") if folder.is_dir() else ():
        match = _TEMPORARY.match(path.name)
        if match and int(match.group(1)) != os.getpid() and not pid_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            stale.append(path)
    return stale
