"""Brand fonts a user uploads (templates_app.services.fonts): the page, the API, the admin, the brand
kit's choices, export and account deletion, the local files renders use, and renders with them.

The uploaded fonts are bundled fonts with a new family name written into their name table (and,
where a test needs it, another weight or the italic bit in their OS/2 table): real TrueType
files that no machine has installed under that name.
"""

import hashlib
import io
import json
import os
import struct
import threading

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from PIL import Image, ImageChops
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.models import AuditEvent, BrandProfile
from templates_app import services
from templates_app.models import BrandFont
from templates_app.renderer import BrandStyle, RenderInputs, available_fonts, describe_font_file, render_ad
from templates_app.services.fonts import extra_fonts_for_user, font_cache_dir, local_font_path
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PAGE = "/templates/brand-fonts/"
API = "/api/v1/templates/brand-fonts/"
OSWALD = available_fonts()["Oswald"]


# -- real fonts under new names ----------------------------------------------------------------


def _directory(data: bytes) -> dict[bytes, tuple[int, int, int]]:
    """tag -> (directory entry position, table offset, table length)."""
    (count,) = struct.unpack_from(">H", data, 4)
    entries = {}
    for i in range(count):
        at = 12 + 16 * i
        tag, _checksum, offset, length = struct.unpack_from(">4sLLL", data, at)
        entries[tag] = (at, offset, length)
    return entries


def _name_table(family: str, subfamily: str) -> bytes:
    names = {1: family, 2: subfamily, 4: f"{family} {subfamily}", 6: f"{family}-{subfamily}".replace(" ", "")}
    records, strings = b"", b""
    for name_id, text in sorted(names.items()):
        encoded = text.encode("utf-16-be")
        records += struct.pack(">6H", 3, 1, 0x409, name_id, len(encoded), len(strings))
        strings += encoded
    return struct.pack(">3H", 0, len(names), 6 + 12 * len(names)) + records + strings


def font_bytes(family: str = "Acme Sans", *, source=None, weight: int | None = None, italic: bool = False) -> bytes:
    """A bundled TrueType font (Oswald Regular by default) renamed to `family`, optionally with
    another OS/2 weight class or marked italic."""
    data = bytearray((source or OSWALD[400]).read_bytes())
    entries = _directory(bytes(data))
    os2 = entries[b"OS/2"][1]
    if weight is not None:
        struct.pack_into(">H", data, os2 + 4, weight)
    if italic:
        (selection,) = struct.unpack_from(">H", data, os2 + 62)
        struct.pack_into(">H", data, os2 + 62, (selection | 0x0001) & ~0x0040)
    table = _name_table(family, "Italic" if italic else "Regular")
    while len(data) % 4:
        data.append(0)
    struct.pack_into(">LL", data, entries[b"name"][0] + 8, len(data), len(table))
    return bytes(data + table)


def upload(data: bytes | None = None, name: str = "AcmeSans-Regular.ttf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, font_bytes() if data is None else data, content_type="font/ttf")


def stored_font_files() -> list[str]:
    if not default_storage.exists("brand-fonts"):
        return []
    files = []
    for folder in default_storage.listdir("brand-fonts")[0]:
        files += [f"brand-fonts/{folder}/{name}" for name in default_storage.listdir(f"brand-fonts/{folder}")[1]]
    return files


@pytest.fixture
def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_renamed_fonts_are_what_the_tests_say():
    assert describe_font_file(font_bytes("Acme Sans")).family == "Acme Sans"
    face = describe_font_file(font_bytes("Acme Sans", weight=700, italic=True))
    assert (face.weight, face.italic, face.kind) == (700, True, "ttf")
    assert describe_font_file(OSWALD[700].read_bytes()).weight == 700


@pytest.mark.parametrize(
    ("declared", "weight"), [(700, 700), (650, 700), (5, 500), (0, 400), (1200, 400), (950, 900), (80, 100)]
)
def test_the_weight_comes_from_the_os2_table(declared, weight):
    assert describe_font_file(font_bytes(weight=declared)).weight == weight


# -- the page ----------------------------------------------------------------------------------


def test_uploading_a_font_on_the_page_stores_the_file_and_its_face(auth_client, user):
    data = font_bytes("Acme Sans", weight=700)
    response = auth_client.post(PAGE, {"file": upload(data, "../../Acme Sans Bold.ttf")})
    assert response.status_code == 302
    assert response.url == reverse("templates_app:brand_fonts")

    font = BrandFont.objects.get(user=user)
    assert (font.family, font.weight, font.style) == ("Acme Sans", 700, "normal")
    assert (font.size, font.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert font.original_name == "Acme Sans Bold.ttf"
    assert font.file.name.startswith(f"brand-fonts/{user.pk}/")
    assert font.file.name.endswith(".ttf")
    assert "Acme" not in font.file.name, "the server chose the file name"
    with default_storage.open(font.file.name, "rb") as stored:
        assert stored.read() == data
    assert stored_font_files() == [font.file.name]

    page = auth_client.get(PAGE).content.decode()
    assert "Acme Sans Bold (700) was added" in page
    assert "Acme Sans" in page
    assert "Bold (700)" in page
    assert reverse("templates_app:brand_font_preview", args=[font.pk]) in page
    assert "(1 of 20)" in page
    assert font.file.name not in page, "the stored file is not linked"


def test_an_italic_face_is_stored_as_italic(auth_client, user):
    auth_client.post(PAGE, {"file": upload(font_bytes("Acme Sans", italic=True))})
    font = BrandFont.objects.get(user=user)
    assert (font.weight, font.style, str(font)) == (400, "italic", "Acme Sans Regular italic (400)")


REFUSALS = [
    ("woff", b"wOFF" + font_bytes()[4:], "This is a WOFF web font; upload the TTF or OTF file instead."),
    ("collection", b"ttcf" + font_bytes()[4:], "This is a font collection (TTC); upload a single TTF or OTF font."),
    ("truncated", font_bytes()[:4000], "The font file is damaged or cut short."),
    ("text", b"Not a font at all, just words.\n" * 40, "This is not a TrueType or OpenType font file (TTF or OTF)."),
    ("png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "This is not a TrueType or OpenType font file (TTF or OTF)."),
    ("empty", b"", "The submitted file is empty."),
    ("too big", font_bytes() + b"\0" * (5 * 1024 * 1024), "The font file is 5.1 MB; fonts may be at most 5 MB."),
    ("bundled", OSWALD[700].read_bytes(), "Oswald is included already: choose it in your brand kit"),
]


@pytest.mark.parametrize(("data", "message"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_a_file_that_is_not_a_usable_font_is_refused_beside_the_field(auth_client, user, data, message):
    response = auth_client.post(PAGE, {"file": upload(data)})
    assert response.status_code == 400
    page = response.content.decode()
    errors = page.split('id="id_file_errors"', 1)[1].split("</div>", 1)[0]
    assert message in errors
    assert "The font was not added" in page
    assert not BrandFont.objects.exists()
    assert stored_font_files() == []


def test_a_file_is_required(auth_client):
    response = auth_client.post(PAGE, {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_uploading_the_same_face_twice_says_so_and_keeps_one(auth_client, user):
    auth_client.post(PAGE, {"file": upload()})
    first = BrandFont.objects.get(user=user)
    response = auth_client.post(PAGE, {"file": upload(name="again.ttf")})
    assert response.status_code == 400
    assert (
        "You uploaded Acme Sans Regular (400) already. To replace it, delete it first, then upload the new file."
        in response.content.decode()
    )
    assert list(BrandFont.objects.filter(user=user)) == [first]
    assert stored_font_files() == [first.file.name]


def test_other_weights_and_styles_of_a_family_are_separate_faces(user):
    for weight, italic in ((400, False), (700, False), (400, True)):
        services.upload_brand_font(user=user, upload=upload(font_bytes(weight=weight, italic=italic)))
    faces = list(BrandFont.objects.filter(user=user).values_list("family", "weight", "style"))
    assert faces == [("Acme Sans", 400, "italic"), ("Acme Sans", 400, "normal"), ("Acme Sans", 700, "normal")]


def test_a_brand_kit_holds_at_most_20_fonts(auth_client, user):
    for n in range(20):
        services.upload_brand_font(user=user, upload=upload(font_bytes(f"Acme {n}")))
    response = auth_client.post(PAGE, {"file": upload(font_bytes("Acme 21"))})
    assert response.status_code == 400
    page = response.content.decode()
    assert "You have 20 fonts, the most a brand kit holds; delete one first." in page
    assert "disabled" in page.split("Upload font</button>")[0].rsplit("<button", 1)[1]
    assert BrandFont.objects.filter(user=user).count() == 20
    assert len(stored_font_files()) == 20


def test_the_page_lists_only_your_fonts(auth_client, user, other_user):
    services.upload_brand_font(user=other_user, upload=upload(font_bytes("Secret Face")))
    page = auth_client.get(PAGE).content.decode()
    assert "Secret Face" not in page
    assert "You have not uploaded any fonts" in page
    assert "(0 of 20)" in page


def test_the_page_needs_a_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_deleting_a_font_removes_the_row_and_the_file(auth_client, user, django_capture_on_commit_callbacks):
    font = services.upload_brand_font(user=user, upload=upload())
    keep = services.upload_brand_font(user=user, upload=upload(font_bytes("Acme Serif")))
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(reverse("templates_app:delete_brand_font", args=[font.pk]))
    assert response.status_code == 302
    assert not BrandFont.objects.filter(pk=font.pk).exists()
    assert not default_storage.exists(font.file.name)
    assert stored_font_files() == [keep.file.name]
    assert "Acme Sans Regular (400) was deleted." in auth_client.get(PAGE).content.decode()


def test_deleting_needs_a_post(auth_client, user):
    font = services.upload_brand_font(user=user, upload=upload())
    assert auth_client.get(reverse("templates_app:delete_brand_font", args=[font.pk])).status_code == 405
    assert BrandFont.objects.filter(pk=font.pk).exists()


def test_deleting_the_last_face_of_the_brand_kits_family_puts_inter_back(
    auth_client, user, django_capture_on_commit_callbacks
):
    regular = services.upload_brand_font(user=user, upload=upload())
    bold = services.upload_brand_font(user=user, upload=upload(font_bytes(weight=700)))
    account_services.update_brand_profile(
        user=user, values={"typography": {"heading_font": "Acme Sans", "body_font": "Lato"}}
    )
    with django_capture_on_commit_callbacks(execute=True):
        auth_client.post(reverse("templates_app:delete_brand_font", args=[bold.pk]))
    assert BrandProfile.objects.get(user=user).typography == {"heading_font": "Acme Sans", "body_font": "Lato"}

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(reverse("templates_app:delete_brand_font", args=[regular.pk]), follow=True)
    assert BrandProfile.objects.get(user=user).typography == {"heading_font": "Inter", "body_font": "Lato"}
    assert "Your brand kit&#x27;s heading font is Inter again." in response.content.decode()


def test_another_users_font_is_not_found(auth_client, user, other_user, django_capture_on_commit_callbacks):
    theirs = services.upload_brand_font(user=other_user, upload=upload())
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.post(reverse("templates_app:delete_brand_font", args=[theirs.pk])).status_code == 404
    assert auth_client.get(reverse("templates_app:brand_font_preview", args=[theirs.pk])).status_code == 404
    assert BrandFont.objects.filter(pk=theirs.pk).exists()
    assert default_storage.exists(theirs.file.name)


def test_the_preview_is_the_font_drawn_by_the_renderer(auth_client, user):
    font = services.upload_brand_font(user=user, upload=upload())
    response = auth_client.get(reverse("templates_app:brand_font_preview", args=[font.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=86400"
    preview = Image.open(io.BytesIO(response.content))
    assert preview.size == (480, 270)
    # The same face under its own name draws the same pixels; Inter (the fallback) does not.
    oswald = _preview_with_bundled("Oswald")
    assert ImageChops.difference(preview.convert("RGB"), oswald).getbbox() is None
    assert ImageChops.difference(preview.convert("RGB"), _preview_with_bundled("Inter")).getbbox() is not None


def _preview_with_bundled(family: str) -> Image.Image:
    spec = services.fonts._preview_spec(400)
    inputs = RenderInputs(
        texts={"family": "Acme Sans", "sample": services.fonts.PREVIEW_TEXT},
        brand=BrandStyle(heading_font=family, body_font=family),
    )
    return render_ad(spec, "16:9", inputs, scale=services.fonts.PREVIEW_SCALE).image


# -- the brand kit -----------------------------------------------------------------------------


def _brand_form(**overrides):
    data = {"name": "Acme", "heading_font": "Inter", "body_font": "Inter", "tone": "", "key_phrases": ""}
    data.update({f"colour_{key}": "#112233" for key in ("primary", "secondary", "accent", "background", "text")})
    data.update(overrides)
    return data


def test_the_brand_kit_offers_the_uploaded_families_and_links_to_the_upload_page(auth_client, user):
    services.upload_brand_font(user=user, upload=upload())
    services.upload_brand_font(user=user, upload=upload(font_bytes(weight=700)))
    page = auth_client.get(reverse("accounts:brand")).content.decode()
    assert f'<a href="{PAGE}">Upload your own fonts</a>' in page
    heading = page.split('name="heading_font"', 1)[1].split("</select>", 1)[0]
    assert '<optgroup label="Your uploaded fonts">' in heading
    assert heading.count('<option value="Acme Sans">Acme Sans (uploaded)</option>') == 1
    assert '<option value="Playfair Display">Playfair Display</option>' in heading

    response = auth_client.post(reverse("accounts:brand"), _brand_form(heading_font="Acme Sans"))
    assert response.status_code == 302
    assert BrandProfile.objects.get(user=user).typography["heading_font"] == "Acme Sans"


def test_the_brand_kit_refuses_another_users_family(auth_client, user, other_user):
    services.upload_brand_font(user=other_user, upload=upload())
    page = auth_client.get(reverse("accounts:brand")).content.decode()
    assert "Acme Sans" not in page
    assert "optgroup" not in page
    response = auth_client.post(reverse("accounts:brand"), _brand_form(body_font="Acme Sans"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert BrandProfile.objects.get(user=user).typography.get("body_font") != "Acme Sans"


def test_the_brand_kit_api_accepts_your_uploaded_family_only(api, user, other_user):
    services.upload_brand_font(user=other_user, upload=upload(font_bytes("Their Sans")))
    response = api.patch("/api/v1/me/brand-kit/", {"typography": {"heading_font": "Acme Sans"}}, format="json")
    assert response.status_code == 400
    assert "Unknown font: Acme Sans." in response.json()["errors"]["typography"][0]
    response = api.patch("/api/v1/me/brand-kit/", {"typography": {"heading_font": "Their Sans"}}, format="json")
    assert response.status_code == 400

    services.upload_brand_font(user=user, upload=upload())
    response = api.patch("/api/v1/me/brand-kit/", {"typography": {"heading_font": "Acme Sans"}}, format="json")
    assert response.status_code == 200
    assert response.json()["typography"]["heading_font"] == "Acme Sans"


# -- what renders use --------------------------------------------------------------------------


def test_extra_fonts_name_the_stored_files_and_prefer_upright_faces(user, other_user):
    regular = services.upload_brand_font(user=user, upload=upload())
    services.upload_brand_font(user=user, upload=upload(font_bytes(italic=True)))
    bold_italic = services.upload_brand_font(user=user, upload=upload(font_bytes(weight=700, italic=True)))
    serif = services.upload_brand_font(user=user, upload=upload(font_bytes("Acme Serif", source=OSWALD[700])))
    services.upload_brand_font(user=other_user, upload=upload(font_bytes("Their Sans")))

    assert extra_fonts_for_user(user=user) == {
        "Acme Sans": {400: default_storage.path(regular.file.name), 700: default_storage.path(bold_italic.file.name)},
        "Acme Serif": {700: default_storage.path(serif.file.name)},
    }


def test_a_face_whose_file_is_gone_is_left_out(user):
    gone = services.upload_brand_font(user=user, upload=upload())
    kept = services.upload_brand_font(user=user, upload=upload(font_bytes(weight=700)))
    default_storage.delete(gone.file.name)
    assert extra_fonts_for_user(user=user) == {"Acme Sans": {700: default_storage.path(kept.file.name)}}


def test_with_remote_storage_fonts_are_downloaded_once_into_a_cache(user, settings, tmp_path):
    # A storage without local paths (as S3): Django's in-memory storage, a real backend, no network.
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.VAR_DIR = tmp_path / "var"
    data = font_bytes()
    font = services.upload_brand_font(user=user, upload=upload(data))
    assert not os.path.exists(default_storage.path(font.file.name)), "the file is in the storage only"

    fonts = extra_fonts_for_user(user=user)
    cached = font_cache_dir() / f"{font.sha256}.ttf"
    assert fonts == {"Acme Sans": {400: str(cached)}}
    assert cached.parent == tmp_path / "var" / "cache" / "brand-fonts"
    assert cached.read_bytes() == data
    assert [p.name for p in cached.parent.iterdir()] == [cached.name], "no partial files left behind"

    # Rendering again reads the cache: the stored file is not needed (nor fetched) any more.
    default_storage.delete(font.file.name)
    assert extra_fonts_for_user(user=user) == fonts


def test_a_remote_file_that_does_not_match_its_checksum_is_not_used(user, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    settings.VAR_DIR = tmp_path / "var"
    font = services.upload_brand_font(user=user, upload=upload())
    default_storage.delete(font.file.name)
    default_storage.save(font.file.name, io.BytesIO(font_bytes("Tampered")))
    with pytest.raises(OSError, match="does not match its checksum"):
        local_font_path(font)
    assert extra_fonts_for_user(user=user) == {}
    assert not (font_cache_dir() / f"{font.sha256}.ttf").exists()


HEADLINE_SPEC = {
    "version": 1,
    "slots": {"headline": {"type": "text", "label": "Headline", "default": "Fresh deals daily", "max_chars": 60}},
    "formats": {
        "1:1": {
            "background": "#FFFFFF",
            "layers": [
                {
                    "type": "text",
                    "slot": "headline",
                    "box": [90, 300, 900, 400],
                    "font": "brand.heading",
                    "weight": 700,
                    "size": [40, 160],
                    "color": "#000000",
                }
            ],
        }
    },
}


def test_a_render_uses_the_uploaded_family_the_brand_kit_names(user):
    services.upload_brand_font(user=user, upload=upload(font_bytes("Acme Sans", source=OSWALD[700])))
    extra_fonts = extra_fonts_for_user(user=user)

    uploaded = render_ad(
        HEADLINE_SPEC, "1:1", RenderInputs(brand=BrandStyle(heading_font="Acme Sans"), extra_fonts=extra_fonts)
    )
    same_face = render_ad(HEADLINE_SPEC, "1:1", RenderInputs(brand=BrandStyle(heading_font="Oswald")))
    missing = render_ad(HEADLINE_SPEC, "1:1", RenderInputs(brand=BrandStyle(heading_font="Acme Sans")))

    (drawn,) = uploaded.text_boxes
    assert drawn.font_family == "Acme Sans"
    assert uploaded.warnings == []
    assert ImageChops.difference(uploaded.image, same_face.image).getbbox() is None
    assert missing.text_boxes[0].font_family == "Inter"
    assert [w.message for w in missing.warnings] == ["The font 'Acme Sans' is not available; Inter was used."]
    assert ImageChops.difference(uploaded.image, missing.image).getbbox() is not None


def test_extra_fonts_may_register_a_bundled_file_under_another_family():
    # The renderer alone: a family the spec names is drawn with the file given for it.
    path = str(available_fonts()["Playfair Display"][700])
    given = render_ad(
        HEADLINE_SPEC,
        "1:1",
        RenderInputs(brand=BrandStyle(heading_font="House Serif"), extra_fonts={"House Serif": {700: path}}),
    )
    fallback = render_ad(HEADLINE_SPEC, "1:1", RenderInputs(brand=BrandStyle(heading_font="House Serif")))
    playfair = render_ad(HEADLINE_SPEC, "1:1", RenderInputs(brand=BrandStyle(heading_font="Playfair Display")))
    assert given.text_boxes[0].font_family == "House Serif"
    assert ImageChops.difference(given.image, playfair.image).getbbox() is None
    assert ImageChops.difference(given.image, fallback.image).getbbox() is not None


# -- the API -----------------------------------------------------------------------------------


def test_the_api_uploads_lists_reads_and_deletes(api, user, django_capture_on_commit_callbacks):
    data = font_bytes(weight=700)
    response = api.post(API, {"file": upload(data)}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    font = BrandFont.objects.get(user=user)
    assert body == {
        "id": str(font.pk),
        "family": "Acme Sans",
        "weight": 700,
        "style": "normal",
        "original_name": "AcmeSans-Regular.ttf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "created_at": body["created_at"],
        "preview_url": f"{API}{font.pk}/preview/",
    }
    assert api.get(API).json() == [body]
    assert api.get(f"{API}{font.pk}/").json() == body
    preview = api.get(body["preview_url"])
    assert preview.status_code == 200
    assert Image.open(io.BytesIO(preview.content)).size == (480, 270)

    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"{API}{font.pk}/").status_code == 204
    assert not BrandFont.objects.exists()
    assert not default_storage.exists(font.file.name)
    assert api.get(API).json() == []


def test_the_api_refuses_bad_files_with_the_reason(api):
    response = api.post(API, {"file": upload(b"wOF2" + font_bytes()[4:])}, format="multipart")
    assert response.status_code == 400
    message = "This is a WOFF web font; upload the TTF or OTF file instead."
    assert response.json() == {"detail": message, "code": "invalid_font", "errors": {"file": [message]}}
    api.post(API, {"file": upload()}, format="multipart")
    response = api.post(API, {"file": upload()}, format="multipart")
    assert response.status_code == 409
    assert response.json()["code"] == "font_exists"
    assert "already" in response.json()["detail"]
    assert api.post(API, {}, format="multipart").status_code == 400
    assert BrandFont.objects.count() == 1


def test_the_api_answers_404_for_another_users_font(api, other_user, django_capture_on_commit_callbacks):
    theirs = services.upload_brand_font(user=other_user, upload=upload())
    assert api.get(f"{API}{theirs.pk}/").status_code == 404
    assert api.get(f"{API}{theirs.pk}/preview/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"{API}{theirs.pk}/").status_code == 404
    assert api.get(API).json() == []
    assert BrandFont.objects.filter(pk=theirs.pk).exists()
    assert default_storage.exists(theirs.file.name)


def test_the_api_needs_authentication():
    assert APIClient().get(API).status_code in (401, 403)


# -- the admin, export and account deletion ----------------------------------------------------


def test_staff_see_fonts_read_only_and_deleting_one_removes_its_file(
    admin_client_, staff_user, user, django_capture_on_commit_callbacks
):
    font = services.upload_brand_font(user=user, upload=upload())
    changelist = admin_client_.get(reverse("admin:templates_app_brandfont_changelist"))
    assert changelist.status_code == 200
    assert "Acme Sans" in changelist.content.decode()
    change = admin_client_.get(reverse("admin:templates_app_brandfont_change", args=[font.pk])).content.decode()
    assert font.file.name in change
    assert f'href="/media/{font.file.name}"' not in change
    assert admin_client_.get(reverse("admin:templates_app_brandfont_add")).status_code == 403

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_.post(
            reverse("admin:templates_app_brandfont_changelist"),
            {"action": "delete_selected", "_selected_action": [str(font.pk)], "post": "yes"},
        )
    assert response.status_code == 302
    assert not BrandFont.objects.exists()
    assert not default_storage.exists(font.file.name)
    event = AuditEvent.objects.get(action="brand_font.deleted_by_staff")
    assert (event.actor, event.target_id, event.details) == (
        staff_user,
        str(font.pk),
        {"user_id": str(user.pk), "family": "Acme Sans"},
    )


def test_the_export_lists_the_fonts(auth_client, user, other_user):
    font = services.upload_brand_font(user=user, upload=upload())
    services.upload_brand_font(user=other_user, upload=upload(font_bytes("Their Sans")))
    data = json.loads(auth_client.post(reverse("accounts:export_data")).content)
    assert data["sections"]["brand_fonts"] == [
        {
            "family": "Acme Sans",
            "weight": 400,
            "style": "normal",
            "file": font.file.name,
            "original_name": "AcmeSans-Regular.ttf",
            "size": font.size,
            "sha256": font.sha256,
            "uploaded_at": font.created_at.isoformat(),
        }
    ]


def test_deleting_the_account_removes_the_font_files(auth_client, user, other_user, django_capture_on_commit_callbacks):
    mine = [
        services.upload_brand_font(user=user, upload=upload()).file.name,
        services.upload_brand_font(user=user, upload=upload(font_bytes(weight=700))).file.name,
    ]
    theirs = services.upload_brand_font(user=other_user, upload=upload()).file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            reverse("accounts:delete_account"), {"confirm_email": user.email, "password": PASSWORD}
        )
    assert response.status_code == 302
    assert not BrandFont.objects.filter(user_id=user.pk).exists()
    assert not any(default_storage.exists(name) for name in mine)
    assert default_storage.exists(theirs)
    assert AuditEvent.objects.get(action="account.deleted").details["files_removed"] == 2


# -- uploads at the same time (PostgreSQL: SQLite lets one writer in at a time) ------------------


def _upload_at_once(user, files: list[bytes]) -> list[str]:
    """Upload each file in its own thread on its own connection, all released together."""
    start = threading.Barrier(len(files))
    outcomes: list[str] = [""] * len(files)

    def run(index: int, data: bytes) -> None:
        try:
            start.wait(timeout=20)
            services.upload_brand_font(user=user, upload=upload(data))
            outcomes[index] = "added"
        except services.BrandFontError as exc:
            outcomes[index] = exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, data), daemon=True) for n, data in enumerate(files)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return outcomes


@pytest.mark.postgres
def test_the_same_face_uploaded_at_once_is_added_once(transactional_db, user):
    outcomes = _upload_at_once(user, [font_bytes()] * 6)
    duplicate = (
        "You uploaded Acme Sans Regular (400) already. To replace it, delete it first, then upload the new file."
    )
    assert sorted(outcomes) == sorted(["added"] + [duplicate] * 5)
    (font,) = BrandFont.objects.filter(user=user)
    assert stored_font_files() == [font.file.name]


@pytest.mark.postgres
def test_uploads_at_once_never_pass_the_limit(transactional_db, user):
    for n in range(18):
        services.upload_brand_font(user=user, upload=upload(font_bytes(f"Acme {n}")))
    outcomes = _upload_at_once(user, [font_bytes(f"Rush {n}") for n in range(5)])
    full = "You have 20 fonts, the most a brand kit holds; delete one first."
    assert sorted(outcomes) == sorted([full] * 3 + ["added"] * 2)
    assert BrandFont.objects.filter(user=user).count() == 20
    assert sorted(stored_font_files()) == sorted(BrandFont.objects.values_list("file", flat=True))
