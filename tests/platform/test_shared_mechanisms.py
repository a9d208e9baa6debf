"""The shared mechanisms every app uses: encrypted fields, the client's address, rate limits."""

import io
import threading

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import RequestFactory

from craftplatform import encryption, ratelimit
from craftplatform.client_address import client_address, parse_address

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


# --- encrypted fields -------------------------------------------------------------------------


def test_a_secret_is_stored_encrypted_and_read_back(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    field = encryption.EncryptedTextField()
    stored = field.get_prep_value("EAAB-token-value")
    assert "EAAB" not in stored
    assert field.from_db_value(stored, None, None) == "EAAB-token-value"


def test_old_keys_still_decrypt_and_new_writes_use_the_newest(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    stored_with_old = encryption.encrypt("secret")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert encryption.decrypt(stored_with_old) == "secret"
    rotated = encryption.rotate(stored_with_old)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert encryption.decrypt(rotated) == "secret"
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt(stored_with_old)


def test_a_value_no_key_decrypts_raises_never_returns_empty_or_ciphertext(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    stored = encryption.EncryptedTextField().get_prep_value("secret")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(encryption.DecryptionError):
        encryption.EncryptedTextField().from_db_value(stored, None, None)
    with pytest.raises(encryption.DecryptionError):
        encryption.EncryptedTextField().from_db_value("not-a-token", None, None)


def test_empty_and_missing_secrets_stay_as_they_are(settings):
    field = encryption.EncryptedTextField()
    assert field.get_prep_value("") == ""
    assert field.get_prep_value(None) is None
    assert field.from_db_value("", None, None) == ""


@pytest.mark.django_db
def test_the_rotation_command_runs_with_no_encrypted_rows():
    call_command("rotate_encrypted_fields", stdout=io.StringIO())


# --- the client's address ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("203.0.113.5:4711", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("unknown", None),
        ("not-an-ip", None),
        ("", None),
        (None, None),
    ],
)
def test_addresses_are_parsed_leniently(raw, expected):
    assert parse_address(raw) == expected


def _request(remote="10.0.0.2", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(_request(remote="198.51.100.9", forwarded="203.0.113.5")) == "198.51.100.9"


def test_behind_one_proxy_the_rightmost_entry_is_the_client_and_forged_entries_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(_request(forwarded="203.0.113.5")) == "203.0.113.5"
    assert client_address(_request(forwarded="1.2.3.4, 203.0.113.5")) == "203.0.113.5"
    assert client_address(_request(forwarded="unknown, 203.0.113.5:4711")) == "203.0.113.5"
    assert client_address(_request(forwarded="203.0.113.5, not-an-ip")) is None


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(_request(forwarded="1.2.3.4, 203.0.113.5, 10.0.0.1")) == "203.0.113.5"
    # Fewer entries than proxies: the request skipped a proxy; the peer is all we can vouch for.
    assert client_address(_request(remote="10.0.0.2", forwarded="203.0.113.5")) == "10.0.0.2"


# --- rate limits ------------------------------------------------------------------------------


def test_a_limit_allows_exactly_its_count_and_says_when_to_retry():
    results = [ratelimit.hit("test", "u1", limit=3, window=60) for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert [r.remaining for r in results] == [2, 1, 0, 0, 0]
    assert 1 <= results[-1].retry_after <= 60
    assert ratelimit.hit("test", "u2", limit=3, window=60).allowed  # counted per identity


def test_parallel_requests_never_lose_an_update():
    allowed = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            result = ratelimit.hit("parallel", "u", limit=120, window=3600)
            with lock:
                allowed.append(result.allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 200
    assert sum(allowed) == 120
    assert ratelimit.peek("parallel", "u", limit=120, window=3600).count == 200
