"""Where leakhunt's own code lives: frames and allocation sites in these files
are leakhunt's, never the program's."""

from __future__ import annotations

import os

__all__ = ["PACKAGE_DIR", "is_own_file"]

#: The directory of the leakhunt package (its subpackages are below it).
PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_PREFIX = PACKAGE_DIR + os.sep


def is_own_file(filename: str) -> bool:
    """Whether ``filename`` (a code object's ``co_filename``) is one of
    leakhunt's own source files."""
    return filename.startswith(_PREFIX) or os.path.abspath(filename).startswith(_PREFIX)
