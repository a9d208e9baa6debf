"""Finding 5 (issue 11): private files under /media/ answer only their owner, in the embedded mode and
behind the proxy (MEDIA_SERVED_BY_PROXY, X-Accel-Redirect); template previews stay public."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import services as account_services
from craftplatform.images import clean_uploaded_image
from generations.services import operations as operation_services
from templates_app.services import fonts as font_services
from tests.conftest import make_image_bytes
from tests.factories import UserFactory
from tests.templates_app.test_brand_fonts import upload as font_upload

pytestmark = pytest.mark.django_db


def _png(name="photo.png"):
    return SimpleUploadedFile(name, make_image_bytes("PNG"), content_type="image/png")


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def private_files(owner):
    """Every kind of private file a user has, by kind: their storage names."""
    asset = operation_services.upload_images(user=owner, uploads=[_png()])[0]
    brand = account_services.update_brand_profile(user=owner, values={}, logo=clean_uploaded_image(_png("logo.png")))
    owner.avatar.save("avatar.png", ContentFile(make_image_bytes("PNG")), save=True)
    font = font_services.upload_brand_font(user=owner, upload=font_upload())
    files = {
        "upload": asset.file.name,
        "logo": brand.logo.name,
        "avatar": owner.avatar.name,
        "brand font": font.file.name,
    }
    if asset.thumbnail:
        files["thumbnail"] = asset.thumbnail.name
    for name in files.values():
        assert default_storage.exists(name)
    return files


def _url(name):
    return f"/media/{name}"


@pytest.fixture(params=["embedded", "proxy"])
def mode(request, settings):
    settings.MEDIA_SERVED_BY_PROXY = request.param == "proxy"
    return request.param


def test_anonymous_and_other_users_get_404_for_every_private_file(client, mode, private_files):
    for kind, name in private_files.items():
        assert client.get(_url(name)).status_code == 404, f"anonymous fetched the {kind}"
    client.force_login(UserFactory())
    for kind, name in private_files.items():
        response = client.get(_url(name))
        assert response.status_code == 404, f"another user fetched the {kind}"
        assert "X-Accel-Redirect" not in response


def test_the_owner_gets_their_files(client, mode, owner, private_files):
    client.force_login(owner)
    for kind, name in private_files.items():
        response = client.get(_url(name))
        assert response.status_code == 200, kind
        assert "private" in response["Cache-Control"]
        assert response["Content-Security-Policy"].startswith("default-src 'none'")
        if mode == "proxy":
            assert response["X-Accel-Redirect"] == f"/protected-media/{name}"
            assert response.content == b""
        else:
            assert b"".join(response.streaming_content) == default_storage.open(name).read()


def test_x_sendfile_names_the_file_on_disk(client, settings, owner, private_files):
    settings.MEDIA_SERVED_BY_PROXY = True
    settings.MEDIA_PROXY_HEADER = "X-Sendfile"
    client.force_login(owner)
    response = client.get(_url(private_files["logo"]))
    assert response["X-Sendfile"] == str(settings.MEDIA_ROOT / private_files["logo"])


def test_the_asset_file_view_answers_only_the_owner(client, owner):
    asset = operation_services.upload_images(user=owner, uploads=[_png()])[0]
    url = reverse("generations:asset_file", args=[asset.pk])
    assert client.get(url).status_code == 302  # to sign in
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404


def test_template_previews_stay_public(client, mode):
    name = default_storage.save("templates/summer-sale/v1-1x1-abc.webp", ContentFile(b"RIFF0000WEBP"))
    response = client.get(_url(name))
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]


def test_staff_who_may_view_a_kind_of_file_get_it_others_do_not(client, mode, private_files):
    from django.contrib.auth.models import Permission

    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get(_url(private_files["logo"])).status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="view_brandprofile"))
    client.force_login(staff)
    assert client.get(_url(private_files["logo"])).status_code == 200
    assert client.get(_url(private_files["upload"])).status_code == 404


@pytest.mark.parametrize(
    "path", ["../secret.txt", "assets/../../etc/passwd", "unknown/1/x.png", "assets", "%2e%2e/x", "assets//x.png"]
)
def test_odd_paths_are_not_found(client, owner, path):
    client.force_login(owner)
    assert client.get(_url(path)).status_code == 404


def test_an_svg_is_sent_with_a_policy_that_runs_no_script(client, owner):
    name = default_storage.save(
        f"assets/{owner.pk}/drawing.svg",
        ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'),
    )
    client.force_login(owner)
    response = client.get(_url(name))
    assert response["Content-Type"] == "image/svg+xml"
    assert (
        response["Content-Security-Policy"] == "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
