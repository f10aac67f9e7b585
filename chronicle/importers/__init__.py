"""Importers: other layouts (spreadsheets, dataset exports) turned into log entries.

Each importer reads its layout, builds interchange entries and hands them to the
store's atomic import, so an import lands whole or not at all like any other.
"""
