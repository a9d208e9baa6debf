import logging

import pytest

from craftplatform.logging import REDACTED, RedactSecretsFilter, redact


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("password=hunter2hunter2", "hunter2hunter2"),
        ('{"access_token": "EAAB12345abcdef"}', "EAAB12345abcdef"),
        ("Authorization: Bearer ca_abc_def123456", "ca_abc_def123456"),
        ("key sk_live_51Habcdefghijklmn used", "sk_live_51Habcdefghijklmn"),
        ("redis://user:s3cr3tpass@cache:6379/0", "s3cr3tpass"),
        ("whsec_abcdefghijklmnop", "whsec_abcdefghijklmnop"),
    ],
)
def test_redact_removes_secrets(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_redact_keeps_ordinary_text():
    assert redact("Generation 42 finished in 1.2 s for user 7") == "Generation 42 finished in 1.2 s for user 7"


def test_filter_cleans_message_arguments_and_extra_fields():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "login with %s", ("password=abc12345",), None)
    record.api_key = "ca_123_secret"
    record.payload = {"token": "tok_1", "email": "a@b.c"}
    RedactSecretsFilter().filter(record)
    assert "abc12345" not in record.getMessage()
    assert record.api_key == REDACTED
    assert record.payload == {"token": REDACTED, "email": "a@b.c"}
