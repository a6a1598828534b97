"""Access tokens for tests, minted with the suite's own key pair (and, for forgeries, another)."""

import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from plumbing.config import load_config
from plumbing.tokens import ALGORITHM
from users.tokens import TokenIssuer
from wire.access import ADMIN as ADMIN_ROLE
from wire.access import CUSTOMER, SERVICE_CLIENT_SCOPES

ADMIN_ID = "admin-1"
_issuers: dict = {}


def token_issuer() -> TokenIssuer:
    # Built on first use: the suite's key pair exists only once its session fixture has run.
    if "issuer" not in _issuers:
        _issuers["issuer"] = TokenIssuer(load_config()["AUTH"], redis=None)
    return _issuers["issuer"]


def user_token(user_id: str, role: str = CUSTOMER) -> str:
    return token_issuer().operator_token(user_id, role)["access_token"]


def admin_token(user_id: str = ADMIN_ID) -> str:
    return user_token(user_id, ADMIN_ROLE)


@dataclass(frozen=True)
class User:
    """A user a test acts as: `call(..., as_=User("user-7"))`; its token is minted when used."""

    id: str
    role: str = CUSTOMER

    @property
    def token(self) -> str:
        return user_token(self.id, self.role)


ADMIN = User(ADMIN_ID, ADMIN_ROLE)


def client_token(client_id: str, *scopes: str) -> str:
    return token_issuer().issue_client(client_id, list(scopes))["access_token"]


def expired_token(user_id: str = ADMIN_ID, role: str = ADMIN_ROLE) -> str:
    issuer = token_issuer()
    now = time.time() - 3600
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": user_id, "role": role, "sid": "s", "iat": now,
              "exp": int(now) + 60}
    return jwt.encode(claims, issuer.private_key, algorithm=ALGORITHM)


def forged_token(user_id: str = ADMIN_ID, role: str = ADMIN_ROLE) -> str:
    """Well-formed and unexpired, but signed with a key that isn't ours."""
    issuer = token_issuer()
    now = time.time()
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": user_id, "role": role, "sid": "s", "iat": now,
              "exp": int(now) + 600}
    return jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm=ALGORITHM)


@dataclass(frozen=True)
class Client:
    """An OAuth2 client a test acts as, with its scopes."""

    id: str
    scopes: tuple[str, ...]

    @property
    def token(self) -> str:
        return client_token(self.id, *self.scopes)


ORDERS_CLIENT = Client("svc-orders", SERVICE_CLIENT_SCOPES["orders"])
PRODUCTS_CLIENT = Client("svc-products", SERVICE_CLIENT_SCOPES["products"])
