"""Uploaded and generated files on local disk, served only to whom they belong.

Files live under a folder that names their owner (`assets/<user id>/…`, `brand-logos/<user id>/…`);
the folder's rule says who may fetch them:

- public folders (template previews and thumbnails) are served to anyone;
- private folders are served to their owner, and to staff holding the view permission of the
  model the file belongs to (the admin shows logos and assets); everyone else gets 404, as if the
  file did not exist;
- any other path is 404.

Where this process serves the bytes (the embedded mode, SERVE_MEDIA) it answers the file itself.
Behind a proxy (MEDIA_SERVED_BY_PROXY) it answers the decision only: an empty response whose
`X-Accel-Redirect` (nginx) or `X-Sendfile` (Apache, lighttpd) header tells the proxy which file to
send from an internal location clients cannot reach directly (README, "Private files").
With S3 none of this runs: the bucket is private and pages hand out signed, expiring URLs.

SVG and anything else that could run script is sent with a restrictive Content-Security-Policy.
"""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import require_GET

# What a browser may do with a served file: show it, nothing else (no script, no requests out).
FILE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"
PRIVATE_CACHE_SECONDS = 3600
PUBLIC_CACHE_SECONDS = 86400


@dataclass(frozen=True)
class Folder:
    public: bool = False
    staff_permission: str = ""  # staff with this permission may fetch any owner's file


FOLDERS: dict[str, Folder] = {
    "templates": Folder(public=True),  # template previews and thumbnails: the public gallery
    "assets": Folder(staff_permission="generations.view_asset"),  # uploads, rendered ads, AI images, results
    "avatars": Folder(staff_permission="accounts.view_user"),
    "brand-logos": Folder(staff_permission="accounts.view_brandprofile"),
    "brand-fonts": Folder(staff_permission="templates_app.view_brandfont"),
}


def clean_path(path: str) -> str | None:
    """The storage name for a requested path, or None when it tries to leave MEDIA_ROOT."""
    normalised = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
    if normalised in ("", ".") or normalised.startswith("..") or "\x00" in normalised:
        return None
    return normalised


def may_fetch(user, name: str) -> bool:
    """Whether `user` may fetch the stored file `name`."""
    folder_name, _, rest = name.partition("/")
    folder = FOLDERS.get(folder_name)
    if folder is None or not rest:
        return False
    if folder.public:
        return True
    if user is None or not user.is_authenticated:
        return False
    owner = rest.split("/", 1)[0]
    if owner == str(user.pk):
        return True
    return bool(user.is_staff and user.is_active and folder.staff_permission and user.has_perm(folder.staff_permission))


def _headers(response: HttpResponse, *, public: bool) -> HttpResponse:
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    if public:
        patch_cache_control(response, public=True, max_age=PUBLIC_CACHE_SECONDS)
    else:
        patch_cache_control(response, private=True, max_age=PRIVATE_CACHE_SECONDS)
        patch_vary_headers(response, ["Cookie"])
    return response


@require_GET
def serve_media(request, path: str):
    """/media/<path>: the file for whom it belongs to, 404 for everyone else."""
    name = clean_path(path)
    if name is None or not may_fetch(request.user, name):
        raise Http404("No such file.")
    public = FOLDERS[name.split("/", 1)[0]].public
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if settings.MEDIA_SERVED_BY_PROXY:
        response = HttpResponse(content_type=content_type)
        if settings.MEDIA_PROXY_HEADER.lower() == "x-sendfile":
            response["X-Sendfile"] = str(Path(settings.MEDIA_ROOT) / name)
        else:
            response["X-Accel-Redirect"] = settings.MEDIA_PROXY_INTERNAL_PREFIX.rstrip("/") + "/" + name
        return _headers(response, public=public)
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / name).resolve()
    if root not in full.parents or not full.is_file():
        raise Http404("No such file.")
    response = FileResponse(full.open("rb"), content_type=content_type)
    return _headers(response, public=public)
