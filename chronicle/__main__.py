"""``python -m chronicle`` runs the same CLI as the console script."""

from chronicle.cli import main

if __name__ == "__main__":
    main()
