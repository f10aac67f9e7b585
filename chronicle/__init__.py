"""chronicle: an event-sourced chronology store with a terminal UI."""

__version__ = "0.1.0"
