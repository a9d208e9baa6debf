"""Finding 9 (issue 11): HTML pages carry a Content-Security-Policy; inline scripts need the request's nonce.
The browser suite (tests/e2e) runs with it and fails on any violation."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/templates/"])
def test_public_pages_carry_the_policy(client, url):
    policy = _policy(client.get(url))
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == "object-src 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"


def test_signed_in_pages_and_the_admin_carry_it(auth_client, admin_client_):
    assert "script-src" in auth_client.get(reverse("accounts:dashboard"))["Content-Security-Policy"]
    assert "script-src" in admin_client_.get("/admin/")["Content-Security-Policy"]


def test_an_inline_script_carries_the_nonce_the_header_allows(admin_client_):
    response = admin_client_.get(reverse("admin:templates_app_adtemplate_add"))
    nonce = re.search(r"'nonce-([^']+)'", _policy(response)["script-src"]).group(1)
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.content.decode())
    assert inline  # the live preview's script
    for attributes in inline:
        assert f'nonce="{nonce}"' in attributes
