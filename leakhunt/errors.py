"""One error hierarchy. The library raises these; only the CLI turns them into
exit codes (2 for bad input)."""

from __future__ import annotations

__all__ = [
    "GraphWriteError",
    "LeakhuntError",
    "LeakhuntWarning",
    "SnapshotFileError",
    "TargetError",
    "TimelineFileError",
    "UsageError",
]


class LeakhuntWarning(UserWarning):
    """Something went wrong in leakhunt but the host program goes on
    (a snapshot that could not be written, a walker that had to fall back)."""


class LeakhuntError(Exception):
    """Base class for every error leakhunt raises on purpose."""


class SnapshotFileError(LeakhuntError):
    """A snapshot file that cannot be read: missing, truncated, foreign, newer.

    ``str(err)`` is one line that names the file and the problem.
    """

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class UsageError(LeakhuntError):
    """A wrong argument or combination of arguments."""


class TargetError(UsageError):
    """The program leakhunt was asked to run failed: importing it, its
    ``setup()`` or its action raised. ``str()`` is one line; ``details`` is
    the program's own traceback, shown before that line."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


class TimelineFileError(SnapshotFileError):
    """A timeline file that cannot be read (same one-line form)."""


class GraphWriteError(LeakhuntError):
    """A graph could not be rendered or written; str() names the file."""
