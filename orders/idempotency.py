"""Idempotent placing: an Idempotency-Key names one request body per customer."""

import hashlib
import json


def request_hash(payload: dict) -> str:
    """Identifies a create-order body: the same key with another body is refused. Key order and
    spacing don't matter; values are compared as the schema loaded them."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
