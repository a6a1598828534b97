"""Operators call services as themselves: an RPC proxy that carries their access token.

In `nameko shell` (from the project root, so the project is importable):

    $ PYTHONPATH=. .venv/bin/nameko shell --config config.yaml
    >>> from operations.session import login
    >>> rpc = login(n.config, "admin@example.com")                # asks for the password
    >>> rpc = login(n.config, token="<make operator-token EMAIL=...>")
    >>> rpc.orders.list_orders({"status": "pending_payment"})

The services verify the token on every call and write its subject (the operator's own user id)
into order history; the token expires (AUTH.ACCESS_TTL_SECONDS for a login,
OPERATOR_TOKEN_TTL_SECONDS for an operator token): log in again then."""

import getpass
import os

from contracts.clients import Services
from plumbing.callers import AUTH_TOKEN_KEY
from plumbing.standalone import StandaloneRpcProxy

TOKEN_ENV = "OMS_TOKEN"
PASSWORD_ENV = "OMS_PASSWORD"
DEFAULT_TIMEOUT = 30.0


def token_for(config: dict, email: str | None = None, password: str | None = None, token: str | None = None) -> str:
    """An access token: `token` itself, or env OMS_TOKEN, or a login with `email` and its
    password (`password`, env OMS_PASSWORD, or asked on the terminal)."""
    token = token or os.environ.get(TOKEN_ENV)
    if token:
        return token.strip()
    if not email:
        raise SystemExit(f"Log in: an admin's email (EMAIL=...) or a token ({TOKEN_ENV}=..., make operator-token).")
    password = password or os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {email}: ")
    with StandaloneRpcProxy(config, timeout=DEFAULT_TIMEOUT) as rpc:
        return rpc.users.login({"email": email, "password": password})["access_token"]


def proxy(config: dict, token: str, timeout: float = DEFAULT_TIMEOUT) -> StandaloneRpcProxy:
    """A standalone proxy (use it in a `with`) whose every call carries `token`."""
    return StandaloneRpcProxy(config, context_data={AUTH_TOKEN_KEY: token}, timeout=timeout)


def typed(started) -> Services:
    """The typed clients (contracts.clients) over a started standalone proxy: the same
    `rpc.orders.get_order(order_id)`, with the service methods' signatures."""

    def call(service: str, method: str, *args, **kwargs):
        return getattr(getattr(started, service), method)(*args, **kwargs)

    return Services(call)


def login(config: dict, email: str | None = None, password: str | None = None, token: str | None = None) -> Services:
    """The services' typed clients (`rpc.<service>.<method>(...)`) acting as the operator; for a shell."""
    return typed(proxy(config, token_for(config, email, password, token)).start())
