"""The README's API quick start, run as written against a live server with a real API key: the
shell block with bash and curl, the Python block with httpx. The error-code table lists every
documented code."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from craftplatform.api_errors import ERROR_CODES

pytestmark = pytest.mark.django_db(transaction=True)

README = Path(__file__).resolve().parents[2] / "README.md"


def quickstart_blocks() -> dict[str, str]:
    text = README.read_text()
    section = text.split("<!-- api-quickstart:begin -->", 1)[1].split("<!-- api-quickstart:end -->", 1)[0]
    return dict(re.findall(r"```(sh|python)\n(.*?)```", section, flags=re.DOTALL))


def run(command: list[str], *, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_quick_start_runs_as_written(live_server, api_key, api_template, tmp_path):
    blocks = quickstart_blocks()
    env = {**os.environ, "CRAFTADS_URL": live_server.url, "CRAFTADS_KEY": api_key}

    shell = run(["bash", "-euo", "pipefail", "-c", blocks["sh"]], cwd=tmp_path, env=env)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert '"total":' in shell.stdout  # the price answered
    with Image.open(tmp_path / "ad.png") as image:
        assert image.format == "PNG"
        assert image.size == (1080, 1080)

    python = run([sys.executable, "-c", blocks["python"]], cwd=tmp_path, env=env)
    assert python.returncode == 0, python.stdout + python.stderr
    assert "credits of" in python.stdout
    with Image.open(tmp_path / "ad-python.png") as image:
        assert image.format == "PNG"


def test_the_readme_lists_every_error_code():
    text = README.read_text()
    missing = [code for code in ERROR_CODES if f"| `{code}` |" not in text]
    assert not missing
