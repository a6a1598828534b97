"""A `ping` RPC every service inherits, so readiness checks can ask each one."""

from plumbing.entrypoints import rpc


class Pingable:
    @rpc
    def ping(self) -> str:
        """Answers "pong" when the service is up and consuming."""
        return "pong"
