"""Quick-start profile (`make run`): DEBUG on, embedded SQLite unless DATABASE_URL is set."""

import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F403
