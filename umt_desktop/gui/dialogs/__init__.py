"""Dialogs of the main window, one module each; `menus` opens them."""
