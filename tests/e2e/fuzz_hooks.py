"""schemathesis hooks for the run of tests/e2e/test_api_fuzz.py, loaded by the CLI through
SCHEMATHESIS_HOOKS: a request that would change or delete a user, product or order the run must
leave alone (one that existed before it started, or its own accounts) is never sent."""

import json
import os

import schemathesis

PROTECTED = frozenset(json.loads(os.environ["OMS_FUZZ_PROTECTED"]))
MUTATING = {"PATCH", "PUT", "POST", "DELETE"}


@schemathesis.hook
def filter_case(context, case) -> bool:
    targets = {str(value) for value in (case.path_parameters or {}).values()}
    return not (case.method.upper() in MUTATING and targets & PROTECTED)
