"""Files in S3: a local S3-compatible server (moto's, started by the test) behind django-storages' S3Storage,
configured as production configures it (craftplatform/settings/base.py). Upload an image, generate, download
the zip, delete the generation: its objects are gone from the bucket, the upload is still there."""

import io
import socket
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from credits import services as credit_services
from generations.models import Asset, AssetKind, Generation
from generations.services import generation as generation_services
from tests.factories import UserFactory
from tests.generations.factories import png_bytes
from tests.templates_app.factories import create_template, make_spec

pytestmark = pytest.mark.django_db

BUCKET = "craftads-test"
MOTO_SERVER = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "moto_server"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_endpoint(monkeypatch) -> Iterator[str]:
    """moto's S3 server on a free loopback port, for this test only."""
    if not MOTO_SERVER.exists():
        pytest.fail(f"moto's server is missing at {MOTO_SERVER}: pip install -r requirements-dev.txt")
    port = _free_port()
    server = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("moto's S3 server did not start")
            time.sleep(0.1)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key-id")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-access-key")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def bucket(s3_endpoint, settings):
    """The bucket, and the default storage pointed at it with the production options."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "region_name": "us-east-1",
                "endpoint_url": s3_endpoint,
                "addressing_style": "path",
                "default_acl": None,
                "querystring_auth": True,
                "signature_version": "s3v4",
                "file_overwrite": False,
            },
        },
    }

    def keys() -> set[str]:
        return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}

    return keys


def test_upload_generate_download_and_delete_round_trip_through_s3(client, bucket, django_capture_on_commit_callbacks):
    user = UserFactory()
    credit_services.get_or_open_account(user=user)
    client.force_login(user)
    template = create_template(spec=make_spec(formats=("1:1", "9:16")))
    upload = SimpleUploadedFile("shop.png", png_bytes((300, 200)), content_type="image/png")

    with django_capture_on_commit_callbacks(execute=True):
        [generation] = generation_services.request_generation(
            user=user,
            request=generation_services.GenerationRequest(
                template_id=template.pk,
                formats=["1:1", "9:16"],
                texts={"headline": "Autumn sale"},
                image_uploads={"logo": upload},
            ),
        )

    generation.refresh_from_db()
    results = list(generation.assets.filter(kind=AssetKind.RESULT))
    uploaded = Asset.objects.get(user=user, kind=AssetKind.UPLOAD)
    result_keys = {asset.file.name for asset in results} | {
        asset.thumbnail.name for asset in results if asset.thumbnail
    }
    assert len(results) == 2
    assert result_keys <= bucket()  # the results really are in the bucket
    assert uploaded.file.name in bucket()

    response = client.get(reverse("generations:download_zip", args=[generation.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = archive.namelist()
        assert len(names) == 2
        for name in names:
            assert archive.read(name)[:8] == b"\x89PNG\r\n\x1a\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("generations:delete", args=[generation.pk]))
    assert response.status_code == 302

    assert not Generation.objects.filter(pk=generation.pk).exists() or not generation.assets.exists()
    left = bucket()
    assert not (result_keys & left), f"objects left behind: {sorted(result_keys & left)}"
    assert uploaded.file.name in left  # the user's upload is theirs to keep
