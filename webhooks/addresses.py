"""Which URLs a webhook may be sent to (SSRF): http(s) only; in production mode https only, and
never a host that resolves to a loopback, private, link-local, multicast, reserved or cloud
metadata address. Checked when an endpoint is registered or changed, and again before every
attempt (a name may resolve elsewhere by then)."""

import ipaddress
import socket
from urllib.parse import urlsplit

SCHEMES = ("http", "https")
# Cloud metadata services answer on link-local addresses (refused anyway) and, on some clouds, on
# these.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"),
            ipaddress.ip_address("100.100.100.200")}


class RefusedUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (address in METADATA or address.is_loopback or address.is_private or address.is_link_local
            or address.is_multicast or address.is_reserved or address.is_unspecified)


def resolve(host: str, port: int) -> set[str]:
    try:
        return {info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise RefusedUrl(f"{host} does not resolve: {exc}") from exc


def check_url(url: str, production: bool) -> None:
    """RefusedUrl unless `url` may receive webhooks (production: https, public addresses only)."""
    try:
        parts = urlsplit(url)
        hostname, port = parts.hostname, parts.port
    except ValueError as exc:  # a malformed IPv6 address, a port out of range
        raise RefusedUrl(f"Not a URL: {exc}") from exc
    if parts.scheme not in SCHEMES or not hostname:
        raise RefusedUrl("Only http and https URLs with a host can receive webhooks.")
    if parts.username or parts.password:
        raise RefusedUrl("A webhook URL may not hold credentials.")
    if not production:
        return
    if parts.scheme != "https":
        raise RefusedUrl("In production mode a webhook URL must be https.")
    for address in resolve(hostname, port or 443):
        if _forbidden(ipaddress.ip_address(address.split("%")[0])):
            raise RefusedUrl(f"{hostname} resolves to {address}, a private or local address.")
