"""The program: ``chronicle`` and ``python -m chronicle`` both start here.

Ctrl-C is handled before the command-line libraries are imported (see
``interrupts``): an interrupt during start-up ends like one at any other moment.
So is running out of memory, which under a memory cap can happen while those
libraries load (a MemoryError, or a library that cannot be mapped).
"""

import sys

from chronicle import interrupts


def main() -> None:
    interrupts.install()
    try:
        try:
            from chronicle.cli import main as run
        except ImportError as err:
            _fail(f"cannot load chronicle: {err}")
        run()
    except interrupts.INTERRUPTS:
        interrupts.exit_interrupted()
    except MemoryError:
        _fail(interrupts.out_of_memory())
    finally:
        interrupts.ignore()


def _fail(message: str) -> None:
    sys.stderr.write(f"error: {message}\n")
    sys.exit(1)


if __name__ == "__main__":
    main()
