"""Notebook-driven image classifier kit: search, download, clean, train, share and serve, offline-first"""

__version__ = "0.0.1"
