"""The API keeps the contract its OpenAPI schema states: schemathesis fuzzes every operation of the
live schema, served by a running test server, signed in with an API key.

Its default checks run (no server error, documented status codes, content types and headers,
response bodies matching their schemas, schema-valid data accepted, schema-violating data
refused) in the examples, fuzzing and stateful phases (sequences along the schema's links). A fixed seed and example budget keep the run reproducible and short. Uploads
are generated as real images and fonts (tests/api/schemathesis_hooks.py), the media types the
schema names for them. Any failure, or a warning that generated data was mostly refused on an
upload, fails the test with schemathesis' report (and the request to reproduce it) in the output.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.contract, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SEED = 17
MAX_EXAMPLES = 4
UPLOAD_PATHS = ("/api/v1/images/", "/api/v1/me/brand-kit/logo/", "/api/v1/templates/brand-fonts/")


def test_the_api_keeps_its_schema(live_server, api_key, api_template, generous_throttle, tmp_path):
    schemathesis = Path(sys.executable).with_name("schemathesis")
    command = [
        str(schemathesis),
        "--config-file",
        str(ROOT / "tests/api/schemathesis.toml"),
        "run",
        f"{live_server.url}/api/v1/schema/",
        "--header",
        f"Authorization: Bearer {api_key}",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "2",
        "--no-shrink",
        # The coverage phase (thousands of boundary cases, about four minutes here) runs outside the
        # suite: `schemathesis --config-file tests/api/schemathesis.toml run <url>/api/v1/schema/ ...`.
        "--phases",
        "examples,fuzzing,stateful",
        "--request-timeout",
        "30",
        "--report",
        "junit",
        "--report-junit-path",
        str(tmp_path / "junit.xml"),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks"}
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    for phase in ("Fuzzing", "Stateful"):
        assert f"✅  {phase}" in report, report
    # "Schema validation mismatch: N operations mostly rejected generated data" lists "  - METHOD /path".
    mismatch = (
        report.split("mostly rejected generated data", 1)[1].split("💡", 1)[0] if "mostly rejected" in report else ""
    )
    listed = {line.strip().split(" ", 2)[-1] for line in mismatch.splitlines() if line.strip().startswith("- ")}
    assert not listed & set(UPLOAD_PATHS), report
