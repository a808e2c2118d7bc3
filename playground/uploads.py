"""A user's uploaded file as text: the encodings people's files come in, and binary files told apart.

Both playgrounds read uploads (a CSV table, a corpus); problems raise `DataError`, whose message is written to
be shown in the page.
"""

from __future__ import annotations

import re


class DataError(ValueError):
    """A problem with the user's data, with a message fit to show in the page."""


_BINARY_MAGIC = (b"\x89PNG", b"PK\x03\x04", b"%PDF", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(raw: bytes, name: str, kind: str = "a CSV (text) file") -> tuple[str, str]:
    """Text and encoding ("UTF-16", "utf-8-sig", "cp1252" or "latin-1") of an upload: UTF-16 with a BOM, else
    UTF-8 (BOM optional), cp1252, latin-1 (which decodes any bytes).

    Raises DataError ("<name> doesn't look like <kind>.") for binary data: NUL bytes, a known file signature,
    more than 1% control characters, or UTF-16 that does not decode."""
    not_text = DataError(f"{name} doesn't look like {kind}.")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" export
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise not_text from None
    if b"\x00" in raw or raw.startswith(_BINARY_MAGIC):
        raise not_text
    for encoding in ("utf-8-sig", "cp1252", "latin-1"):  # latin-1 decodes any bytes, so this ends
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:20_000]
    if len(_CONTROL.findall(sample)) > 0.01 * len(sample):
        raise not_text
    return text, encoding
