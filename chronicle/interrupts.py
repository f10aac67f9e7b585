"""Ctrl-C: one line and exit status 130 whenever it comes, and never a false word.

The message says whether anything was written. Nothing is, as long as no append
has committed: every write is one transaction, and an interrupted one is rolled
back. An append's COMMIT and the note that it happened are one step here
(``committing``): a Ctrl-C arriving between them waits until both are done, so the
message can never claim "nothing was written" about an append that landed.

This module imports nothing of chronicle's, so the program's entry point can put
the handler in place before the libraries load (start-up takes a few hundred
milliseconds, and a Ctrl-C then is as likely as at any other moment).
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Iterator
from types import FrameType

EXIT_STATUS = 130  # 128 + SIGINT, as a shell reports a process ended by Ctrl-C

_state = {"holding": False, "pending": False, "written": False}


class Interrupted(BaseException):
    """Ctrl-C, as chronicle's own handler raises it.

    Not a KeyboardInterrupt: click turns that into an "Aborted!" of its own, after
    a blank line. Like it, not an Exception, so no ``except Exception`` swallows
    it; a transaction it crosses is rolled back.
    """


INTERRUPTS = (Interrupted, KeyboardInterrupt)


def install() -> None:
    """Make Ctrl-C raise Interrupted, except inside ``committing``."""
    signal.signal(signal.SIGINT, _on_interrupt)


def ignore() -> None:
    """From here on (the process is ending, its outcome reported) Ctrl-C changes nothing."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _on_interrupt(signum: int, frame: FrameType | None) -> None:
    if _state["holding"]:
        _state["pending"] = True
        return
    raise Interrupted


@contextlib.contextmanager
def committing(appends: bool) -> Iterator[None]:
    """Run a COMMIT and note it as one step; a Ctrl-C meanwhile is raised after it."""
    _state["holding"] = True
    try:
        yield
        if appends:
            _state["written"] = True
    finally:
        _state["holding"] = False
        if _state["pending"]:
            _state["pending"] = False
            raise Interrupted


def wrote() -> bool:
    """Whether this process has committed an append: what a failure's message must admit."""
    return _state["written"]


def out_of_memory() -> str:
    """The line for a MemoryError: the transaction it broke off was rolled back."""
    return "out of memory" + ("" if wrote() else ": nothing was written")


def message() -> str:
    if wrote():
        return "interrupted after the write was committed: it stays"
    return "interrupted: nothing was written"


def exit_interrupted() -> None:
    """Report the interrupt in one line and end with status 130."""
    # On a terminal the line starts after the ^C the terminal itself echoed.
    sys.stderr.write(("\n" if sys.stderr.isatty() else "") + f"error: {message()}\n")
    sys.stderr.flush()
    sys.exit(EXIT_STATUS)
