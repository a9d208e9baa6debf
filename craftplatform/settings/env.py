"""The environment every settings module reads: one `env`, the project's folders, and Redis.

A `.env` file in the project root is read for convenience; the process environment wins.
REDIS_URL is here because settings of several areas default to it.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"), overwrite=False)

REDIS_URL = env("REDIS_URL", default="")
