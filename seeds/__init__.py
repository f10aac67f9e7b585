"""The seed chronology, shipped inside the package as ``chronicle.seeds``.

The directory is a package only so that an installed chronicle can find its
NDJSON files through importlib.resources; it holds no code.
"""
