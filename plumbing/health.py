"""A `ping` RPC every service inherits, so readiness checks can ask each one."""

from plumbing.access import PUBLIC
from plumbing.callers import Caller, rpc


class Pingable:
    """Mixin for every service. Adds the RPC ping."""

    NEEDS = ()

    caller = Caller()

    @rpc(access=PUBLIC)
    def ping(self) -> str:
        """Answers "pong" when the service is up and consuming."""
        return "pong"
