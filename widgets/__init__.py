"""Reusable Qt and pyqtgraph views; never imports ``app``."""
