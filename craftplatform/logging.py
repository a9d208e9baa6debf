"""Logging helpers: nothing that looks like a secret reaches a log line."""

import logging
import re

SECRET_KEYS = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|cookie|card|cvc|sessionid|csrf)", re.I)
# key=value or "key": "value" pairs whose key names a secret.
_PAIR = re.compile(
    r"""(?P<key>["']?[\w-]*(?:pass(?:word)?|secret|token|api[_-]?key|authorization|cookie|sessionid|csrf)[\w-]*["']?)"""
    r"""(?P<sep>\s*[:=]\s*)(?P<quote>["']?)(?P<value>[^"'\s,;&}]+)""",
    re.I,
)
_BEARER = re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
_API_KEY = re.compile(r"\bca_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")
_STRIPE = re.compile(r"\b(sk|rk|whsec|pk)_(live|test)?_?[A-Za-z0-9]{8,}\b")
_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://[^:/@\s]+:)[^@\s]+@", re.I)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _API_KEY.sub(REDACTED, text)
    text = _PAIR.sub(lambda m: m[0] if REDACTED in m[0] else f"{m['key']}{m['sep']}{m['quote']}{REDACTED}", text)
    text = _STRIPE.sub(REDACTED, text)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)


def _clean(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: (REDACTED if SECRET_KEYS.search(str(k)) else _clean(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value


class RedactSecretsFilter(logging.Filter):
    """Rewrites the message, its arguments and extra fields with secrets replaced."""

    _STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key, value in list(record.__dict__.items()):
            if key in self._STANDARD:
                continue
            record.__dict__[key] = REDACTED if SECRET_KEYS.search(key) else _clean(value)
        return True
