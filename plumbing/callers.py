"""Every RPC checks who is calling, from a token the caller proves, never from an argument.

The caller's access token travels in the RPC context (worker context data `auth_token`, the AMQP
header `nameko.auth_token`): the gateway forwards the token of the HTTP request, a service sends
its own client token (`plumbing.rpc`), an operator's shell sends the operator's. Each service
verifies it itself (`plumbing.tokens`): signature with the public key, algorithm, expiry, issuer,
audience and revocation.

    class OrdersService:
        caller = Caller()

        @rpc(access=ORDERS_READ)
        def get_order(self, order_id):
            actor = self.caller.actor      # the verified Actor; its id goes into the history

`rpc(access=...)` refuses, before the method runs and so before anything changes: no token or a
bad one with Unauthenticated (401), a caller the policy doesn't allow with Forbidden (403). A public
method runs without a token, but a token that is sent must verify."""

import functools
import inspect

from nameko.extensions import DependencyProvider

from plumbing.access import Access, Actor
from plumbing.entrypoints import Rpc
from plumbing.errors import EXPECTED_ERRORS, Unauthenticated
from plumbing.production import refuse_unsafe_production
from plumbing.redis_store import connect
from plumbing.tokens import VERIFIER_GRANT, TokenVerifier

AUTH_TOKEN_KEY = "auth_token"


class CallerHandle:
    """What a worker gets as `self.caller`."""

    def __init__(self, verifier: TokenVerifier, token):
        self._verifier = verifier
        self._token = token
        self.actor: Actor | None = None

    def authorize(self, access: Access) -> Actor | None:
        """Verify the call's token (if any) and check it against `access`; the verified actor."""
        if self._token:
            self.actor = self._verifier.verify(self._token)
        elif not access.public:
            raise Unauthenticated("An access token is required.")
        if self.actor is not None:
            access.check(self.actor)
        return self.actor


class Caller(DependencyProvider):
    """Declare on every service with RPCs as `caller = Caller()` (`rpc` needs it)."""

    redis_grant = VERIFIER_GRANT

    def setup(self):
        config = self.container.config
        refuse_unsafe_production(config, self.container.service_name)
        self.redis = connect(config["REDIS_URI"])
        self.verifier = TokenVerifier(config["AUTH"], self.redis)

    def stop(self):
        self.redis.close()

    def get_dependency(self, worker_ctx) -> CallerHandle:
        return CallerHandle(self.verifier, worker_ctx.data.get(AUTH_TOKEN_KEY))


class CheckedRpc(Rpc):
    """The entrypoint of `rpc`: a service whose RPCs could not check their callers doesn't start."""

    def setup(self):
        provider = getattr(self.container.service_cls, "caller", None)
        if not isinstance(provider, Caller):
            raise TypeError(f"{self.container.service_name} has RPCs: declare `caller = Caller()` on it")
        super().setup()


def rpc(*, access: Access, **options):
    """An RPC method that `access` allows to call (see the module docstring). Typed errors
    (plumbing.errors) cross the wire as themselves."""
    if not isinstance(access, Access):
        raise TypeError("rpc needs access=<an Access policy from plumbing.access>")

    def decorate(fn):
        @functools.wraps(fn)
        def authorized(self, *args, **kwargs):
            self.caller.authorize(access)
            return fn(self, *args, **kwargs)

        # nameko checks a call's arguments (and redacts sensitive ones) by the signature it sees.
        authorized.__signature__ = inspect.signature(fn)
        authorized.access = access
        return CheckedRpc.decorator(expected_exceptions=EXPECTED_ERRORS, **options)(authorized)

    return decorate
