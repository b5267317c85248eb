"""Where umt-desktop keeps its files: one place, from platformdirs.

`UMT_DESKTOP_DATA_DIR` moves models and the evaluation database (tests,
portable installs); `UMT_DESKTOP_CONFIG_DIR` moves the settings file.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "umt-desktop"


def data_dir() -> Path:
    env = os.environ.get("UMT_DESKTOP_DATA_DIR")
    return Path(env) if env else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    env = os.environ.get("UMT_DESKTOP_CONFIG_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir(APP, appauthor=False))


def models_dir() -> Path:
    return data_dir() / "models"


def database_path() -> Path:
    return data_dir() / "evaluations.sqlite3"


def settings_path() -> Path:
    return config_dir() / "settings.json"
