"""Data files of umt-desktop, installed as the `umt_desktop.resources` package."""
