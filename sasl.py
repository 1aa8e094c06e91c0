"""SASL PLAIN (RFC 4616) as SMTP AUTH (RFC 4954) and POP3 AUTH (RFC 5034) carry it: base64."""

from __future__ import annotations

import base64
import binascii


def decode_response(text: str) -> bytes | None:
    """A client's base64 response; None when it is not base64."""
    if text.strip() == "=":  # RFC 4954 4 and RFC 5034 4: "=" is an empty initial response
        return b""
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None


def as_text(value: bytes) -> str:
    """Credentials for the views: UTF-8 as text, any other byte as \\xNN."""
    return value.decode("utf-8", "backslashreplace")


def plain_credentials(response: str) -> tuple[str, str] | None:
    """(user, password) from a PLAIN response, authzid NUL user NUL password; None if malformed."""
    decoded = decode_response(response)
    fields = None if decoded is None else decoded.split(b"\x00")
    if fields is None or len(fields) != 3:
        return None
    return as_text(fields[1]), as_text(fields[2])
