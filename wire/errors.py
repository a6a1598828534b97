"""Typed errors that cross the RPC boundary by name.

Registered with nameko so a caller that imports this module gets the original class
back (with its field errors), and the gateway maps each to an HTTP status once."""

from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    status = 500
    title = "Internal Server Error"

    def __init__(self, detail: str = "", errors: dict | None = None):
        super().__init__(detail, errors or {})
        self.detail = detail
        self.errors = errors or {}

    def __str__(self) -> str:
        return self.detail

    @property
    def headers(self) -> dict:
        """HTTP headers the gateway's answer carries beside the problem."""
        return {}


@deserialize_to_instance
class NotFound(ServiceError):
    status = 404
    title = "Not Found"


@deserialize_to_instance
class Conflict(ServiceError):
    status = 409
    title = "Conflict"


@deserialize_to_instance
class Invalid(ServiceError):
    status = 422
    title = "Unprocessable Entity"


@deserialize_to_instance
class Forbidden(ServiceError):
    status = 403
    title = "Forbidden"


@deserialize_to_instance
class Unauthenticated(ServiceError):
    """No credentials, or credentials that don't verify: expired, forged, revoked, for another audience."""

    status = 401
    title = "Unauthorized"


@deserialize_to_instance
class Unavailable(ServiceError):
    status = 503
    title = "Service Unavailable"


@deserialize_to_instance
class TooManyAttempts(ServiceError):
    """Too many failed attempts at a secret (a password, a client secret): refused without
    checking it until `retry_after` seconds have passed."""

    status = 429
    title = "Too Many Requests"

    def __init__(self, detail: str = "", errors: dict | None = None, retry_after: int = 1):
        super().__init__(detail, errors)
        self.retry_after = int(retry_after)
        self.args = (detail, self.errors, self.retry_after)  # what crosses the wire

    @property
    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)}


# The exception types a service raises when its database connection is gone (SQLAlchemy's names
# for psycopg2's): seen in a RemoteError, they mean "try again shortly", not a bug.
STORE_OUTAGE_ERRORS = ("OperationalError", "InterfaceError", "DisconnectionError")

EXPECTED_ERRORS = (NotFound, Conflict, Invalid, Forbidden, Unauthenticated, Unavailable, TooManyAttempts)
