"""Waiting for something asynchronous to happen: poll with a deadline, never a bare sleep."""

import time


def wait_until(predicate, timeout: float = 20, interval: float = 0.05, what: str = ""):
    """Poll `predicate` until it returns something truthy and return that; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout} s: {what or predicate}")
        time.sleep(interval)
