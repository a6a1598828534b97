"""Opaque cursors: base64 of a JSON list whose first element names the list the cursor belongs
to, so a cursor of one list is refused by another instead of being read as a position in it."""

import base64
import binascii
import json

from wire.errors import Invalid


def encode_cursor(kind: str, *position) -> str:
    """A cursor for `position` (JSON values) in the list called `kind`."""
    return base64.urlsafe_b64encode(json.dumps([kind, *position]).encode()).decode()


def decode_cursor(kind: str, cursor: str, argument: str) -> list:
    """The position `cursor` holds; Invalid, naming `argument`, unless `encode_cursor(kind, ...)`
    made it."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeError, RecursionError):
        decoded = None
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise Invalid(f"Not a cursor of this list ({kind}).", {argument: ["Invalid cursor."]})
    return decoded[1:]
