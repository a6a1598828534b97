"""Every RPC checks who is calling, from a token the caller proves, never from an argument.

The caller's access token travels in the RPC context (worker context data `auth_token`, the AMQP
header `nameko.auth_token`): the gateway forwards the token of the HTTP request, a service sends
its own client token (`plumbing.rpc`), an operator's shell sends the operator's. Each service
verifies it itself (`plumbing.tokens`): signature with the public key, algorithm, expiry, issuer,
audience and revocation.

The gateway also sends the HTTP client's address (context data `client_address`); a service
believes it only from a request the gateway's broker user published (`self.caller.address`).

    class OrdersService:
        caller = Caller()

        @rpc(GET_ORDER)                    # contracts/orders_operations.py: access and all
        def get_order(self, order_id):
            actor = self.caller.actor      # the verified Actor; its id goes into the history

`rpc(operation)` refuses, before the method runs and so before anything changes: no token or a
bad one with Unauthenticated (401), a caller the policy doesn't allow with Forbidden (403). A public
method runs without a token, but a token that is sent must verify."""

import functools
import inspect

from nameko.extensions import DependencyProvider

from contracts.operation import Operation
from plumbing.broker import principal_of
from plumbing.entrypoints import PUBLISHER_KEY, Rpc
from plumbing.production import GATEWAY, refuse_unsafe_production
from plumbing.redis_store import connect
from plumbing.tokens import VERIFIER_GRANT, TokenVerifier, actor_of
from wire.access import Access, Actor
from wire.errors import EXPECTED_ERRORS, Unauthenticated

AUTH_TOKEN_KEY = "auth_token"
CLIENT_ADDRESS_KEY = "client_address"


class CallerHandle:
    """What a worker gets as `self.caller`: `actor` (once authorized) and `principal`, the broker
    principal that sent the request ("gateway", "orders", ...; None if unnamed), as RabbitMQ
    checked it (plumbing.broker), which no caller can make up; `address`, where the request came
    from; and `session_id`, the login session (`sid`) of the call's token."""

    def __init__(self, verifier: TokenVerifier, token, principal: str | None, forwarded_address=None):
        self._verifier = verifier
        self._token = token
        self.principal = principal
        self._forwarded_address = forwarded_address
        self.actor: Actor | None = None
        self.session_id: str | None = None

    @property
    def address(self) -> str:
        """The HTTP client's address the gateway forwarded, for a request the gateway published;
        else the publishing principal ("broker:orders"), whatever the request claims."""
        if self.principal == GATEWAY and isinstance(self._forwarded_address, str) and self._forwarded_address:
            return self._forwarded_address
        return f"broker:{self.principal or 'unnamed'}"

    @property
    def from_gateway(self) -> bool:
        return self.principal == GATEWAY

    def authorize(self, access: Access) -> Actor | None:
        """Verify the call's token (if any) and check it against `access`; the verified actor."""
        if self._token:
            claims = self._verifier.claims(self._token)
            self.actor, self.session_id = actor_of(claims), claims["sid"]
        elif not access.public:
            raise Unauthenticated("An access token is required.")
        if self.actor is not None:
            access.check(self.actor)
        return self.actor


class Caller(DependencyProvider):
    """Declare on every service with RPCs as `caller = Caller()` (`rpc` needs it)."""

    redis_grant = VERIFIER_GRANT

    def setup(self):
        config = self.config = self.container.config
        refuse_unsafe_production(config, self.container.service_name)
        self.redis = connect(config["REDIS_URI"])
        self.verifier = TokenVerifier(config["AUTH"], self.redis)

    def stop(self):
        self.redis.close()

    def get_dependency(self, worker_ctx) -> CallerHandle:
        publisher = worker_ctx.data.get(PUBLISHER_KEY) or ""
        return CallerHandle(
            self.verifier,
            worker_ctx.data.get(AUTH_TOKEN_KEY),
            principal_of(self.config, publisher),
            worker_ctx.data.get(CLIENT_ADDRESS_KEY),
        )


class CheckedRpc(Rpc):
    """The entrypoint of `rpc`: a service whose RPCs could not check their callers doesn't start."""

    def setup(self):
        provider = getattr(self.container.service_cls, "caller", None)
        if not isinstance(provider, Caller):
            raise TypeError(f"{self.container.service_name} has RPCs: declare `caller = Caller()` on it")
        super().setup()


def rpc(operation: Operation, **options):
    """The RPC method that serves `operation` (contracts): its access policy allows the callers
    (see the module docstring), and the method's name must be the declared one. Typed errors
    (wire.errors) cross the wire as themselves."""
    if not isinstance(operation, Operation):
        raise TypeError("rpc needs the method's Operation declaration from contracts")
    access = operation.access

    def decorate(fn):
        if fn.__name__ != operation.method:
            raise TypeError(f"{fn.__qualname__} serves {operation.id}, declared as {operation.method}")

        @functools.wraps(fn)
        def authorized(self, *args, **kwargs):
            self.caller.authorize(access)
            return fn(self, *args, **kwargs)

        # nameko checks a call's arguments (and redacts sensitive ones) by the signature it sees.
        authorized.__signature__ = inspect.signature(fn)
        authorized.access = access
        authorized.operation = operation
        return CheckedRpc.decorator(expected_exceptions=EXPECTED_ERRORS, **options)(authorized)

    return decorate
