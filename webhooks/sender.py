"""One HTTP attempt of a delivery: signed, bounded in time, no redirects followed, the answer's
body read up to a cap. In production mode a connection goes to the address that was checked when
it was opened (requests-hardened's adapter resolves the host once, refuses a private or local
address, and connects to that address with the host name kept for TLS): a name that resolves
to a public address for the check and to an internal one a moment later (DNS rebinding) reaches
nothing."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import eventlet
import requests
from requests.adapters import HTTPAdapter
from requests_hardened.ip_filter import InvalidIPAddress
from requests_hardened.ip_filter_adapter import IPFilterAdapter

from webhooks.addresses import RefusedUrl, check_url
from webhooks.signing import signed_headers

SUCCEEDED, HTTP_ERROR, TIMEOUT, CONNECTION_ERROR, REFUSED = "succeeded", "http_error", "timeout", "error", "refused"
ATTEMPT_OUTCOMES = (SUCCEEDED, HTTP_ERROR, TIMEOUT, CONNECTION_ERROR, REFUSED)


@dataclass(frozen=True)
class Result:
    outcome: str
    started_at: datetime
    headers: dict
    status: int | None
    body: str | None
    duration: float
    error: str | None

    @property
    def ok(self) -> bool:
        return self.outcome == SUCCEEDED


class _PinnedAdapter(IPFilterAdapter):
    """IPFilterAdapter (https, no loopback) with a pool the size of the dispatcher's concurrency."""

    def __init__(self, concurrency: int):
        super().__init__(is_https_proto=True, allow_loopback=False)
        self._pool_connections = self._pool_maxsize = concurrency
        self.init_poolmanager(concurrency, concurrency)


def http_session(concurrency: int, production: bool) -> requests.Session:
    """Production mode sends only https (addresses.check_url), through the pinning adapter."""
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment
    session.max_redirects = 0
    adapter = HTTPAdapter(pool_connections=concurrency, pool_maxsize=concurrency, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", _PinnedAdapter(concurrency) if production else adapter)
    return session


def _read_capped(response: requests.Response, cap: int) -> str:
    data = b""
    for chunk in response.iter_content(chunk_size=min(cap, 8192) or 1):
        data += chunk
        if len(data) >= cap:
            break
    return data[:cap].decode("utf-8", errors="replace")


def attempt(session: requests.Session, url: str, message_id: str, body: str, secrets: list[str],
            timeout: float, body_cap: int, production: bool) -> Result:
    started_at, started = datetime.now(UTC), time.perf_counter()
    headers = signed_headers(message_id, body, secrets, started_at)
    status = answer = error = None
    outcome = CONNECTION_ERROR
    deadline = eventlet.Timeout(timeout)  # the whole attempt: connect, send, answer, body
    try:
        check_url(url, production)
        response = session.post(url, data=body.encode(), headers=headers, timeout=timeout,
                                allow_redirects=False, stream=True)
        try:
            status, answer = response.status_code, _read_capped(response, body_cap)
        finally:
            response.close()
        outcome = SUCCEEDED if 200 <= status < 300 else HTTP_ERROR
        if outcome == HTTP_ERROR:
            error = f"answered {status}"
    except eventlet.Timeout as exc:
        if exc is not deadline:
            raise
        outcome, error = TIMEOUT, f"no complete answer within {timeout:g} s"
    except requests.Timeout:
        outcome, error = TIMEOUT, f"no answer within {timeout:g} s"
    except RefusedUrl as exc:
        outcome, error = REFUSED, f"refused: {exc}"
    except InvalidIPAddress as exc:  # the name resolved elsewhere once checked
        outcome, error = REFUSED, f"refused: the host now resolves to {exc}, a private or local address"
    except (requests.RequestException, ValueError) as exc:  # ValueError: a URL requests can't send to
        error = f"{type(exc).__name__}: {exc}"
    finally:
        deadline.cancel()
    return Result(outcome, started_at, headers, status, answer, time.perf_counter() - started, error)
