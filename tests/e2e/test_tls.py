"""HTTPS at the gateway: with GATEWAY_TLS_CERT / GATEWAY_TLS_KEY set (here the pair `make dev-cert`
makes), it serves TLS only and sends HSTS; a client verifies it against that certificate.

The client is curl: under the suite's eventlet monkey patch, Python's ssl recurses forever when it
was imported before the patch (eventlet's green SSLContext), which says nothing about the gateway."""

import json
import subprocess

import pytest
import requests

from scripts.dev_cert import make_dev_cert
from scripts.system import System
from tests.e2e.conftest import free_port


@pytest.fixture
def tls_gateway(system, tmp_path):
    """A second gateway, over TLS, in front of the running services."""
    cert, key = make_dev_cert(tmp_path / "tls")
    gateway = System(env={"GATEWAY_TLS_CERT": str(cert), "GATEWAY_TLS_KEY": str(key)}, port=free_port(),
                     log_dir=tmp_path / "logs", config=system.config)
    gateway.start_gateway()
    try:
        wait_ready_over_tls(gateway)
        yield gateway
    finally:
        gateway.stop()


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "--max-time", "10", *args], capture_output=True, text=True)


def wait_ready_over_tls(gateway: System) -> None:
    for _ in range(200):
        if curl("--cacert", gateway.verify, "-o", "/dev/null", "-w", "%{http_code}",
                f"{gateway.url}/readyz").stdout == "200":
            return
        subprocess.run(["sleep", "0.3"])
    raise TimeoutError("the TLS gateway did not get ready")


def test_the_gateway_serves_https_verified_against_the_dev_certificate_with_hsts(tls_gateway, config):
    assert tls_gateway.url.startswith("https://")
    ready = curl("--cacert", tls_gateway.verify, "-i", f"{tls_gateway.url}/readyz")
    assert ready.returncode == 0 and ready.stdout.startswith("HTTP/1.1 200"), ready
    assert "strict-transport-security: max-age=31536000" in ready.stdout.lower()
    body = json.dumps({"email": config["ADMIN"]["EMAIL"], "password": config["ADMIN"]["PASSWORD"]})
    login = curl("--cacert", tls_gateway.verify, "-H", "Content-Type: application/json", "-d", body,
                 f"{tls_gateway.url}/api/v1/auth/login")
    assert json.loads(login.stdout)["access_token"]
    untrusted = curl(f"{tls_gateway.url}/healthz")  # the system's CAs don't know this certificate
    assert untrusted.returncode == 60, untrusted  # curl: peer certificate cannot be authenticated
    plain = curl("-o", "/dev/null", "-w", "%{http_code}", tls_gateway.url.replace("https://", "http://") + "/healthz")
    assert plain.stdout != "200", plain  # plain HTTP gets no answer from the TLS port


def test_the_plain_gateway_sends_no_hsts(system):
    assert "Strict-Transport-Security" not in requests.get(f"{system.url}/healthz", timeout=10).headers
