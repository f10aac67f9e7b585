"""The errors a user may meet. Each str() is one line, fit for stderr as it is."""


class ChronicleError(Exception):
    """Base of every error the CLI and TUI report as a single line."""


class StoreError(ChronicleError):
    """The store file cannot be used: missing, not a store, read-only, locked, full."""


class ConflictError(ChronicleError):
    """A write based on a version someone else has since replaced."""


class EntryError(ChronicleError, ValueError):
    """An entry that cannot enter the log; nothing was written."""


class HashMismatch(ChronicleError):
    """An entry that came with its hash (another copy's) does not hash the same here."""

    def __init__(self, message: str, seq: int) -> None:
        super().__init__(message)
        self.seq = seq
