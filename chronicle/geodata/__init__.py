"""Data files the maps draw from (see ``scripts/make_borders.py`` for how they were made)."""
