"""The SSRF guard every fetch of a user-given URL goes through (craftplatform/safe_http.py)."""

import socket

import pytest

from craftplatform import safe_http
from tests.fakes.webhook_receiver import WebhookReceiver

REFUSED = [
    "http://127.0.0.1/",
    "http://127.8.9.10:8080/x",
    "http://localhost/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://2130706433/",
    "http://017700000001/",
    "http://0x7f000001/",
    "http://0x7f.0.0.1/",
    "http://127.1/",
    "http://0177.0.0.1/",
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "javascript:alert(1)",
    "http://user:pass@example.com/",
    "http:///nohost",
]


@pytest.fixture
def strict(settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = False


@pytest.mark.parametrize("url", REFUSED)
def test_refused_addresses(strict, url):
    with pytest.raises(safe_http.UnsafeURL):
        safe_http.check_url(url)
    with pytest.raises(safe_http.UnsafeURL):
        safe_http.request("GET", url)


def test_a_name_resolving_to_a_private_address_is_refused(strict, monkeypatch):
    real = socket.getaddrinfo

    def resolver(host, *args, **kwargs):
        if host == "intranet.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", 80))]
        if host == "mixed.example":  # one public and one private answer: refused
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 80)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.0.9", 80)),
            ]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(safe_http.UnsafeURL, match="private address"):
        safe_http.check_url("http://intranet.example/hook")
    with pytest.raises(safe_http.UnsafeURL, match="private address"):
        safe_http.check_url("https://mixed.example/")


def test_public_addresses_pass_the_check(strict):
    target = safe_http.check_url("https://93.184.216.34:8443/path?q=1")
    assert (target.ip, target.port, target.scheme) == ("93.184.216.34", 8443, "https")


def test_loopback_is_refused_even_when_a_test_server_listens(strict):
    with WebhookReceiver() as receiver, pytest.raises(safe_http.UnsafeURL, match="loopback"):
        safe_http.request("POST", receiver.url, content=b"{}")
    assert receiver.received == []


def test_redirect_to_a_private_address_is_refused(settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = True  # to reach the local fake, and nothing else
    with WebhookReceiver() as receiver:
        for target in ("http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::ffff:10.0.0.1]/"):
            receiver.redirect_to = target
            with pytest.raises(safe_http.UnsafeURL):
                safe_http.request("POST", receiver.url, content=b"{}", max_redirects=3)


def test_test_switch_allows_loopback_only(settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = True
    with WebhookReceiver() as receiver:
        response = safe_http.request("POST", receiver.url, content=b"{}")
    assert response.status_code == 200
    for url in ("http://10.0.0.1/", "http://169.254.169.254/", "http://[fd00::1]/"):
        with pytest.raises(safe_http.UnsafeURL):
            safe_http.check_url(url)


def test_size_cap(settings):
    settings.SAFE_HTTP_ALLOW_LOOPBACK_FOR_TESTS = True
    with WebhookReceiver() as receiver, pytest.raises(safe_http.FetchError, match="too large"):
        safe_http.request("POST", receiver.url, content=b"{}", max_bytes=1)
