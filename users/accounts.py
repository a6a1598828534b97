"""User accounts: registration, credentials, profile changes. Pure database work."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plumbing.pagination import fetch_page
from users.models import User
from users.passwords import dummy_hash, hash_password, verify_password
from wire.access import ADMIN, CUSTOMER, Actor
from wire.errors import Conflict, Forbidden, NotFound
from wire.pagination import PageRequest


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def create_user(session: Session, email: str, password: str, name: str, rounds: int, role=CUSTOMER):
    if find_by_email(session, email):
        raise Conflict("A user with this email already exists.", {"email": ["Already registered."]})
    user = User(email=email, name=name, role=role, password_hash=hash_password(password, rounds))
    session.add(user)
    _flush_unique(session)
    return user


def authenticate(session: Session, email: str, password: str, rounds: int) -> User | None:
    user = find_by_email(session, email)
    if user is None:
        verify_password(password, dummy_hash(rounds))
        return None
    return user if verify_password(password, user.password_hash) else None


def get_visible_user(session: Session, user_id: str, actor: Actor, scope: str | None = None) -> User:
    """The user, if the actor may see it: itself, or anyone for an admin (or a client with `scope`)."""
    user = session.get(User, user_id) if isinstance(user_id, str) else None
    if user is None or not actor.acts_for(user.id, scope):
        raise NotFound("No such user.")
    return user


def get_users(session: Session, user_ids: list[str]) -> list[User]:
    ids = [each for each in user_ids if len(each) <= 36]
    return list(session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


def list_users(session: Session, page: PageRequest) -> tuple[list[User], int]:
    return fetch_page(session, select(User).order_by(User.created_at, User.id), page)


def password_matches(user: User, password) -> bool:
    return isinstance(password, str) and verify_password(password, user.password_hash)


def update_user(session: Session, user: User, changes: dict, actor: Actor, rounds: int) -> set[str]:
    """Apply the changes; the names of those that change what the user's tokens stand for (role,
    email, password), whose tokens issued until now must be revoked."""
    if "role" in changes and changes["role"] != user.role and not actor.is_admin:
        raise Forbidden("Only an admin can change a role.")
    revoking = set()
    if "email" in changes:
        other = find_by_email(session, changes["email"])
        if other is not None and other.id != user.id:
            raise Conflict("A user with this email already exists.", {"email": ["Already registered."]})
        if changes["email"] != user.email:
            revoking.add("email")
        user.email = changes["email"]
    if "name" in changes:
        user.name = changes["name"]
    if "password" in changes:
        user.password_hash = hash_password(changes["password"], rounds)
        revoking.add("password")
    if "role" in changes and changes["role"] != user.role:
        user.role = changes["role"]
        revoking.add("role")
    _flush_unique(session)
    return revoking


def refuse_losing_an_admin(session: Session, user: User, configured_email: str, changes: dict | None = None) -> None:
    """Conflict when `changes` (None: deleting the user) would take away the configured admin
    (config ADMIN: deleted, demoted or renamed, so that `make run` would not find it) or the last
    admin. The admins' rows are locked first, in id order: of two admins demoting or deleting each
    other at once, the second waits, and PostgreSQL rechecks the role of the rows it then locks, so
    it sees the first's change and is refused."""
    deleting = changes is None
    demoting = not deleting and changes.get("role", user.role) != user.role
    renaming = not deleting and changes.get("email", user.email).lower() != user.email.lower()
    if user.role != ADMIN or not (deleting or demoting or renaming):
        return
    if user.email.lower() == configured_email.lower():
        raise Conflict(
            "This is the configured admin account (config ADMIN, OMS_ADMIN_EMAIL): it can't be deleted, demoted"
            " or given another email here. To hand administration over, make another account an admin, set"
            " OMS_ADMIN_EMAIL to its email and restart; this one is then an ordinary admin."
        )
    if renaming and not demoting:
        return
    admins = session.scalars(select(User.id).where(User.role == ADMIN).order_by(User.id).with_for_update()).all()
    if list(admins) == [user.id]:
        raise Conflict("This is the last admin: make another account an admin first.")


def _flush_unique(session: Session) -> None:
    # Two racing requests for one email both pass the lookup; the unique index decides.
    try:
        session.flush()
    except IntegrityError as exc:  # the unit of work rolls back
        raise Conflict("A user with this email already exists.", {"email": ["Already registered."]}) from exc
