"""Secrets at rest: a model field encrypted with keys from the environment (DESIGN.md section 6).

`FIELD_ENCRYPTION_KEYS` is a list of Fernet keys, newest first. New writes use the newest key and
every listed key still decrypts (MultiFernet), so a key rotates by putting a new one in front and
running `manage.py rotate_encrypted_fields`; the old key can be dropped once that has run.

A value that no listed key can decrypt raises `DecryptionError`: it never comes back as an empty
string or as the ciphertext (some libraries do either, and a token silently becoming "" would send
empty credentials to Meta or WordPress). This is the one encrypted field of the project: Meta
tokens, WordPress application passwords and webhook secrets all use it.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class DecryptionError(Exception):
    """A stored secret could not be decrypted with any configured key."""


@lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: secrets cannot be stored.")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a key that is not a Fernet key (32 url-safe base64-encoded bytes)."
        ) from exc


def _keys() -> tuple[str, ...]:
    return tuple(settings.FIELD_ENCRYPTION_KEYS)


def encrypt(plaintext: str) -> str:
    return _fernet(_keys()).encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(_keys()).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(
            "A stored secret could not be decrypted with any key in FIELD_ENCRYPTION_KEYS "
            "(was a key removed before `rotate_encrypted_fields` ran?)."
        ) from exc


def rotate(token: str) -> str:
    """The same secret encrypted with the newest key."""
    try:
        return _fernet(_keys()).rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("A stored secret could not be decrypted for rotation.") from exc


class EncryptedTextField(models.TextField):
    """Text stored encrypted; reads return the plaintext, a wrong key raises `DecryptionError`.

    The empty string is stored as is (there is no secret to hide), so "not connected" stays
    distinguishable from "connected" without decrypting. Encrypted values cannot be filtered on.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                found.append((model, field.attname))
    return found
