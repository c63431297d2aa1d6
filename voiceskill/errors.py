"""The one family of errors voiceskill raises; the CLI turns them into clean messages."""

from __future__ import annotations


class VoiceskillError(Exception):
    """Base class: every expected failure, with a message that says how to fix it."""


class CatalogError(VoiceskillError):
    """A catalog file that cannot be loaded; names the file, line and problem."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}, line {line}" if line else path
        super().__init__(f"{where}: {problem}")


class ScenarioError(VoiceskillError):
    """A scenario file that is not valid YAML or not in the scenario format."""


class DataFileError(VoiceskillError):
    """A bundled Dutch language data file is missing or malformed."""


class StorageError(VoiceskillError):
    """The cart database cannot be opened, upgraded or written; names the file and the fix."""

    def __init__(self, message: str, reason: str = "") -> None:
        self.reason = reason or message
        """What SQLite said, for health checks that report it on its own."""
        super().__init__(message)
