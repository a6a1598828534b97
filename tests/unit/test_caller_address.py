"""Where a request came from (plumbing.callers): the client's address only on the gateway's word."""

import pytest

from plumbing.callers import CallerHandle


def address(principal, forwarded) -> str:
    return CallerHandle(None, None, principal, forwarded).address


def test_the_gateways_requests_carry_the_http_clients_address():
    assert address("gateway", "203.0.113.7") == "203.0.113.7"


@pytest.mark.parametrize("principal", ["orders", "operator", "tester", None])
def test_any_other_caller_is_its_broker_user_whatever_address_it_claims(principal):
    assert address(principal, "203.0.113.7") == f"broker:{principal or 'unnamed'}"


@pytest.mark.parametrize("forwarded", [None, "", 42])
def test_a_gateway_request_without_an_address_is_the_gateways(forwarded):
    assert address("gateway", forwarded) == "broker:gateway"
