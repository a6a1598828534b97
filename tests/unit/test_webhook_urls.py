"""Which URLs may receive webhooks (webhooks/addresses.py): in production mode https to public
addresses only, so a webhook can't be aimed at the shop's own network (SSRF), not even by a
name that resolves elsewhere once checked (DNS rebinding)."""

import base64
import socket

import pytest
from marshmallow import ValidationError

from contracts.webhooks import EndpointCreateSchema
from webhooks.addresses import RefusedUrl, check_url
from webhooks.sender import REFUSED, attempt, http_session


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/hook",  # loopback
    "https://localhost:8443/hook",  # a name for loopback
    "https://10.1.2.3/hook",  # private
    "https://192.168.0.10/hook",
    "https://172.16.5.4/hook",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata
    "https://169.254.10.1/hook",  # link-local
    "https://[::1]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://[::ffff:10.0.0.1]/hook",  # private, as an IPv4-mapped IPv6 address
    "https://0.0.0.0/hook",
    "https://100.100.100.200/hook",  # another cloud's metadata
])
def test_a_private_or_local_address_is_refused_in_production_mode(url):
    with pytest.raises(RefusedUrl, match="private or local"):
        check_url(url, production=True)


def test_a_public_https_address_is_allowed_in_production_mode():
    check_url("https://93.184.215.14/hook", production=True)


@pytest.mark.parametrize("url", ["http://93.184.215.14/hook", "ftp://93.184.215.14/", "file:///etc/passwd",
                                 "https://user:pw@93.184.215.14/", "https:///nohost"])
def test_only_https_with_a_host_and_no_credentials_in_production_mode(url):
    with pytest.raises(RefusedUrl):
        check_url(url, production=True)


def test_development_allows_http_to_loopback_but_only_http():
    check_url("http://127.0.0.1:8080/hook", production=False)
    with pytest.raises(RefusedUrl):
        check_url("gopher://127.0.0.1/", production=False)


def test_a_name_that_does_not_resolve_is_refused_in_production_mode():
    with pytest.raises(RefusedUrl, match="does not resolve"):
        check_url("https://no-such-host.invalid/hook", production=True)



@pytest.mark.parametrize("url", [
    f"http://{'a' * 64}.example.com/hook",  # a label longer than DNS allows
    "http://a..example.com/hook",  # an empty label
    "http://.example.com/hook",
])
def test_a_host_dns_cannot_carry_is_invalid(url):
    """Else it is registered and the HTTP client refuses every attempt before it is sent."""
    with pytest.raises(ValidationError) as invalid:
        EndpointCreateSchema().load({"url": url, "event_types": ["*"]})
    assert "url" in invalid.value.messages
    EndpointCreateSchema().load({"url": f"http://{'a' * 63}.example.com./hook", "event_types": ["*"]})


def test_a_name_that_resolves_elsewhere_after_the_check_reaches_nothing(monkeypatch):
    """DNS rebinding: the check sees a public address, the connection would go to loopback, where
    something listens. In production mode the attempt connects only to an address it checked."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    answers = iter(["93.184.215.14"])  # the first lookup; every later one answers loopback
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host != "rebind.example":
            return real_getaddrinfo(host, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (next(answers, "127.0.0.1"), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with listener:
        result = attempt(http_session(1, production=True), f"https://rebind.example:{port}/hook", "msg_1", "{}",
                         ["whsec_" + base64.b64encode(b"k" * 24).decode()], timeout=2, body_cap=100, production=True)
        with pytest.raises(TimeoutError):
            listener.accept()  # nothing came
    assert result.outcome == REFUSED and "127.0.0.1" in result.error, result
