"""OAuth2 clients: registering them, checking their secrets, rotating and revoking. Database work.

A secret is random, shown once and stored only as a password hash (users.passwords). Client ids
are chosen for services (config SERVICE_CLIENTS, e.g. `svc-orders`) and generated for integrators.

A service's client is `managed`: config is its truth. Provisioning at every start makes it match
(scopes, secret, not revoked), and the API can't revoke it or rotate its secret: a stray admin
call would stop the service's calls to its peers, and the next start would undo it anyway."""

import secrets
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plumbing.pagination import fetch_page
from users.models import Client
from users.passwords import dummy_hash, hash_password, verify_password
from wire.errors import Conflict, Invalid, NotFound
from wire.pagination import PageRequest


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def create_client(
    session: Session, name: str, scopes: list[str], rounds: int, client_id: str | None = None, secret: str | None = None
) -> tuple[Client, str]:
    """A new client and its secret (generated unless given)."""
    client_id = client_id or "cl_" + secrets.token_hex(10)
    if session.get(Client, client_id) is not None:
        raise Conflict("A client with this id exists already.", {"client_id": ["Taken."]})
    secret = secret or new_secret()
    client = Client(id=client_id, name=name, scopes=sorted(set(scopes)), secret_hash=hash_password(secret, rounds))
    session.add(client)
    session.flush()
    return client, secret


def authenticate(session: Session, client_id, secret, rounds: int) -> Client | None:
    """The active client these credentials belong to, or None (taking as long either way)."""
    client = _find(session, client_id)
    if client is None or not isinstance(secret, str) or len(secret) > 200:
        verify_password(secret if isinstance(secret, str) else "", dummy_hash(rounds))
        return None
    if not verify_password(secret, client.secret_hash) or client.revoked_at is not None:
        return None
    return client


def granted_scopes(client: Client, requested) -> list[str]:
    """The scopes of a token for `client`: all of its own, or the requested subset (RFC 6749 §3.3)."""
    if requested is None or requested == "":
        return list(client.scopes)
    if not isinstance(requested, str) or len(requested) > 1000:
        raise Invalid("scope must be a space-separated string.", {"scope": ["Not a string."]})
    wanted = requested.split()
    extra = sorted(set(wanted) - set(client.scopes))
    if extra:
        raise Invalid(f"This client may not have {', '.join(extra)}.", {"scope": extra})
    return sorted(set(wanted))


def get_client(session: Session, client_id, lock: bool = False) -> Client:
    client = _find(session, client_id, lock)
    if client is None:
        raise NotFound("No such client.")
    return client


def _find(session: Session, client_id, lock: bool = False) -> Client | None:
    # Any string may arrive (an OAuth form, a path): one that can't be an id is no client, not a
    # database error (PostgreSQL refuses a NUL in a string).
    if not isinstance(client_id, str) or len(client_id) > 64 or "\x00" in client_id:
        return None
    return session.get(Client, client_id, with_for_update=lock)


def list_clients(session: Session, page: PageRequest) -> tuple[list[Client], int]:
    return fetch_page(session, select(Client).order_by(Client.created_at, Client.id), page)


def refuse_managed(client: Client) -> None:
    if client.managed:
        raise Conflict(
            f"{client.id} is {client.name}'s own client, managed in config (SERVICE_CLIENTS): it can't be"
            " revoked or rotated here. To rotate its secret, set a new one in config (<SERVICE>_CLIENT_SECRET,"
            " e.g. ORDERS_CLIENT_SECRET) and restart the system, which applies it at start."
        )


def rotate_secret(client: Client, rounds: int) -> str:
    """A new secret for an active client; the old one stops working (tokens already issued run
    out their few minutes: revoke the client to stop those too). Conflict for a managed one."""
    refuse_managed(client)
    if client.revoked_at is not None:
        raise Conflict("A revoked client's secret can't be rotated.")
    secret = new_secret()
    client.secret_hash = hash_password(secret, rounds)
    client.secret_rotated_at = datetime.now(UTC)
    return secret


def revoke(client: Client) -> bool:
    """Revoke the client; False if it already was (idempotent). Conflict for a managed one."""
    refuse_managed(client)
    if client.revoked_at is not None:
        return False
    client.revoked_at = datetime.now(UTC)
    return True


def ensure_client(session: Session, client_id: str, name: str, scopes: list[str], secret: str, rounds: int) -> str:
    """Make a service's client match config: created when missing; its scopes and secret reset
    when they differ (a secret changed in config), revoked_at cleared, marked managed (and
    locked meanwhile). Returns what was done. The token store may still hold a revocation
    cutoff for it: tokens issued from now on are later, so they work."""
    client = session.get(Client, client_id, with_for_update=True)
    if client is None:
        client, _ = create_client(session, name, scopes, rounds, client_id=client_id, secret=secret)
        client.managed = True
        return "created"
    changed = []
    if sorted(set(scopes)) != sorted(client.scopes):
        client.scopes = sorted(set(scopes))
        changed.append("scopes")
    if not verify_password(secret, client.secret_hash):
        client.secret_hash = hash_password(secret, rounds)
        client.secret_rotated_at = datetime.now(UTC)
        changed.append("secret")
    if client.revoked_at is not None:
        client.revoked_at = None
        changed.append("revocation lifted")
    if not client.managed or client.name != name:
        client.managed, client.name = True, name
        changed.append("managed")
    return f"updated ({', '.join(changed)})" if changed else "unchanged"


def release_unconfigured(session: Session, configured_ids: list[str]) -> list[str]:
    """Clients still marked managed that config no longer names (a service's client id changed)
    become ordinary ones, which an admin may revoke. Their ids."""
    release = update(Client).where(Client.managed, Client.id.not_in(configured_ids)).values(managed=False)
    return list(session.scalars(release.returning(Client.id)))
