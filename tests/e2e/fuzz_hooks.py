"""schemathesis hooks for the run of tests/e2e/test_api_fuzz.py, loaded by the CLI through
SCHEMATHESIS_HOOKS: a request that would change or delete a user, product or order the run must
leave alone (one that existed before it started, or its own accounts) is never sent, and each
new order gets a new Idempotency-Key, as a client's does."""

import json
import os
import uuid

import schemathesis

PROTECTED = frozenset(json.loads(os.environ["OMS_FUZZ_PROTECTED"]))
MUTATING = {"PATCH", "PUT", "POST", "DELETE"}


@schemathesis.hook
def filter_case(context, case) -> bool:
    targets = {str(value) for value in (case.path_parameters or {}).values()}
    return not (case.method.upper() in MUTATING and targets & PROTECTED)


@schemathesis.hook
def map_headers(context, headers: dict | None) -> dict | None:
    """A valid Idempotency-Key is made new: schemathesis draws few distinct ones, and the same key
    with another body is rightly refused (422, as the IETF Idempotency-Key draft says), which is
    no answer to "is valid data accepted"; a missing or invalid key is left as drawn."""
    key = (headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and 1 <= len(key) <= 200:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    return headers
