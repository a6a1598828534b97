"""Service-to-service RPC: a deadline on every call, and the caller's own client token.

    class OrdersService:
        products = RpcProxy("products")
        ...
        self.products.reserve_stock(order_id, items, ttl)    # contracts.clients.ProductsRpc

A call carries this service's OAuth2 client-credentials token (config SERVICE_CLIENTS, scopes in
wire.access), never the token of the request being served: the callee checks what this
service may do, not what its caller may. The token comes from `users.issue_client_token`, once
per container and again shortly before it expires. A service without a client calls without one
(public methods only).

nameko 2.14's in-service RpcProxy waits forever for a reply; a stopped peer would hang the
worker. A call waits at most RPC_TIMEOUT seconds and then raises Unavailable, as it does when
the peer lost its database: the caller's own caller then sees a 503, not a RemoteError nested
in a RemoteError."""

import logging
import time

import eventlet
import nameko.rpc
from eventlet.semaphore import Semaphore
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider, SharedExtension

from contracts.clients import CLIENTS
from plumbing.callers import AUTH_TOKEN_KEY, Caller
from plumbing.entrypoints import PUBLISHER_KEY, ReplyListener, rpc_request_options
from plumbing.tracing import rpc_span
from wire.errors import STORE_OUTAGE_ERRORS, Forbidden, Unauthenticated, Unavailable

log = logging.getLogger(__name__)

TOKEN_SERVICE = "users"
REFRESH_BEFORE_EXPIRY = 0.2  # fetch a new token once 80 % of the old one's life has passed


def call_with_timeout(proxy, method: str, *args, timeout: float, **kwargs):
    timer = eventlet.Timeout(timeout)
    try:
        with rpc_span(proxy.worker_ctx.data, proxy.service_name, method):
            return getattr(proxy, method).call_async(*args, **kwargs).result()
    except eventlet.Timeout as exc:
        if exc is not timer:
            raise
        raise Unavailable(f"{proxy.service_name}.{method} did not answer within {timeout:g} s.") from None
    except UnknownService as exc:
        raise Unavailable(f"{proxy.service_name} is not running.") from exc
    except RemoteError as exc:
        if exc.exc_type in STORE_OUTAGE_ERRORS:
            raise Unavailable(f"{proxy.service_name} cannot reach its database; try again shortly.") from exc
        raise
    finally:
        timer.cancel()


class _CallContext:
    """A worker's context as an outgoing call sees it: the same request id and call stack, and
    `token` in place of the token the worker was called with (and no publisher: the broker's
    `user_id` says who sends this call)."""

    def __init__(self, worker_ctx, token: str):
        self.container = worker_ctx.container
        self.data = {**worker_ctx.context_data, AUTH_TOKEN_KEY: token}  # the trace span adds its header here
        self.data.pop(PUBLISHER_KEY, None)

    @property
    def context_data(self) -> dict:
        return self.data


class ClientCredentials(SharedExtension):
    """This container's client token, fetched when first needed and renewed before it expires."""

    rpc_reply_listener = ReplyListener()

    def setup(self):
        client = self.container.config.get("SERVICE_CLIENTS", {}).get(self.container.service_name)
        self.client = client
        self._token, self._renew_at, self._expires_at = "", 0.0, 0.0
        self._fetching = Semaphore()

    def token(self, worker_ctx) -> str:
        if self.client is None:
            return ""
        with self._fetching:  # one fetch at a time; the others then use its token
            if time.monotonic() >= self._renew_at:
                try:
                    self._fetch(worker_ctx)
                except Unavailable as exc:
                    if time.monotonic() >= self._expires_at:
                        raise
                    log.warning("renewing the client token failed, the current one still works: %s", exc)
        return self._token

    def check(self, worker_ctx, verifier) -> None:
        """Unavailable unless this service holds a token its peers accept now (`verifier`: this
        service's own, as every peer's): one revoked since it was fetched is replaced first."""
        token = self.token(worker_ctx)
        if not token:
            return
        try:
            verifier.claims(token)
        except Unauthenticated:
            self.forget(token)
            self.token(worker_ctx)

    def forget(self, token: str) -> None:
        """`token` was refused (revoked, or the key changed): the next call fetches a new one."""
        if token == self._token:
            self._renew_at = self._expires_at = 0.0

    def _fetch(self, worker_ctx) -> None:
        users = nameko.rpc.ServiceProxy(
            _CallContext(worker_ctx, ""), TOKEN_SERVICE, self.rpc_reply_listener,
            **rpc_request_options(self.container.config),
        )
        try:
            issued = call_with_timeout(
                users,
                "issue_client_token",
                self.client["CLIENT_ID"],
                self.client["SECRET"],
                timeout=float(self.container.config["RPC_TIMEOUT"]),
            )
        except Unauthenticated as exc:  # revoked, or a secret that config and users disagree on
            log.error("%s's client %s got no token: %s", self.container.service_name, self.client["CLIENT_ID"], exc)
            raise Unavailable(f"{self.container.service_name} cannot authenticate to its peers.") from exc
        now = time.monotonic()
        self._token = issued["access_token"]
        self._renew_at = now + issued["expires_in"] * (1 - REFRESH_BEFORE_EXPIRY)
        self._expires_at = now + issued["expires_in"]


class ClientTokenCheck(DependencyProvider):
    """A callable: Unavailable, saying why, when this service can't get a client token its peers
    accept (a revoked client, a secret users doesn't know); readiness asks it (MeshService.ping).
    Nothing for a service that calls no peer."""

    def setup(self):
        extensions = self.container.extensions
        self.credentials = next((each for each in extensions if isinstance(each, ClientCredentials)), None)
        self.caller = next((each for each in extensions if isinstance(each, Caller)), None)

    def get_dependency(self, worker_ctx):
        def check() -> None:
            if self.credentials is not None and self.caller is not None:
                self.credentials.check(worker_ctx, self.caller.verifier)

        return check


class Peer:
    """How a worker calls a peer: `call(method, *args)`. The worker sees it through the peer's
    typed client (RpcProxy.get_dependency)."""

    def __init__(self, provider: "RpcProxy", worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx

    def call(self, method: str, *args, **kwargs):
        """`method`(*args, **kwargs) of the peer, as this service; one more try with a new token
        when the peer refuses the cached one. A peer that refuses this service is a deployment
        fault (a revoked client, a missing scope), not the caller's: Unavailable, logged."""
        credentials = self._provider.credentials
        token = credentials.token(self._worker_ctx)
        try:
            try:
                return self._call(token, method, *args, **kwargs)
            except Unauthenticated:
                if not token:
                    raise
                credentials.forget(token)
                return self._call(credentials.token(self._worker_ctx), method, *args, **kwargs)
        except (Unauthenticated, Forbidden) as exc:
            me, peer = self._worker_ctx.container.service_name, self._provider.target_service
            log.error("%s refuses %s's call to %s: %s", peer, me, method, exc)
            raise Unavailable(f"{peer} refuses {me}'s calls; see the logs.") from exc

    def dispatch(self, service: str, method: str, *args, **kwargs):
        """What a typed client calls (contracts.clients): `method` of this peer."""
        if service != self._provider.target_service:
            raise ValueError(f"a proxy for {self._provider.target_service} cannot call {service}")
        return self.call(method, *args, **kwargs)

    def _call(self, token: str, method: str, *args, **kwargs):
        provider = self._provider
        context = _CallContext(self._worker_ctx, token)
        proxy = nameko.rpc.ServiceProxy(
            context, provider.target_service, provider.rpc_reply_listener, **provider.request_options
        )
        timeout = float(self._worker_ctx.container.config["RPC_TIMEOUT"])
        return call_with_timeout(proxy, method, *args, timeout=timeout, **kwargs)


class RpcProxy(nameko.rpc.RpcProxy):
    """A peer service (see the module docstring), with our RPC request options. A worker gets
    the peer's typed client (contracts.clients: `self.products.reserve_stock(...)`); for a
    service contracts does not declare (a test's), the untyped Peer."""

    rpc_reply_listener = ReplyListener()
    credentials = ClientCredentials()

    def setup(self):
        super().setup()
        self.request_options = {**rpc_request_options(self.container.config), **self.options}

    def get_dependency(self, worker_ctx):
        peer = Peer(self, worker_ctx)
        client = CLIENTS.get(self.target_service)
        return peer if client is None else client(peer.dispatch)
