"""New export files: made with the mode any new file gets, never a temporary file's 0600."""

from __future__ import annotations

import os


def create(path: str | os.PathLike) -> int:
    """Create ``path``, which must not exist, for writing; returns its descriptor.

    Mode 0666 less the umask (0644 under the usual 022), as the shell's ``> FILE``
    would make it: a page copied to a web server must be readable there, and the
    mode a file is born with survives the rename that puts it in place.
    """
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
