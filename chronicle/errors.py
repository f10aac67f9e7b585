"""The errors a user may meet. Each str() is one line, fit for stderr as it is."""


class ChronicleError(Exception):
    """Base of every error the CLI and TUI report as a single line."""


class StoreError(ChronicleError):
    """The store file cannot be used: missing, not a store, read-only, locked, full."""


class ConflictError(ChronicleError):
    """A write based on a version someone else has since replaced."""


class EntryError(ChronicleError, ValueError):
    """An entry that cannot enter the log; nothing was written."""
