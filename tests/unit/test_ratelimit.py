"""Parsing rate limit settings such as "50/second"."""

import pytest

from plumbing.ratelimit import Counter, Limit, parse_limit


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("50/second", Limit(50, 1)),
        ("10/minute", Limit(10, 60)),
        ("1000/hour", Limit(1000, 3600)),
        ("5/day", Limit(5, 86400)),
        ("100 per minute", Limit(100, 60)),
        (" 20 / second ", Limit(20, 1)),
    ],
)
def test_limit_is_a_count_per_period_in_seconds(text, limit):
    assert parse_limit(text) == limit


@pytest.mark.parametrize("text", ["off", "OFF", " Off ", "none", "0", "", False])
def test_off_means_no_limit(text):
    # False: YAML reads a bare `off` as a boolean.
    assert parse_limit(text) is None


@pytest.mark.parametrize(
    "text", ["fast", "50", "50/", "/second", "50/seconds", "50/fortnight", "-5/second", "1.5/second", "50/sec",
             "ten/minute", "50/second/extra"],
)
def test_garbage_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_limit(text)


def test_a_window_ends_on_a_multiple_of_its_period():
    counter = Counter("k", Limit(10, 60))
    assert counter.window_key(120.0) == counter.window_key(179.9) == "k:2"
    assert counter.wait(120.0) == 60 and counter.wait(179.5) == 1
