"""The users service: accounts, credentials and tokens."""

from nameko.dependency_providers import Config

from plumbing.actors import load_actor, require_admin
from plumbing.db import Database
from plumbing.entrypoints import rpc
from plumbing.errors import EXPECTED_ERRORS, Invalid, NotFound, Unauthorized
from plumbing.events import USER_REGISTERED
from plumbing.health import Pingable
from plumbing.logs import RequestIdLogging
from plumbing.metrics import ServiceMetrics
from plumbing.outbox import Outbox, OutboxRelay
from plumbing.pagination import PageQuerySchema, PageRequest, paged
from plumbing.retention import Retention
from plumbing.validation import load
from users import accounts
from users.models import Base, OutboxEvent, User
from users.schemas import (
    LoginSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
    UserUpdateSchema,
)
from users.tokens import Tokens

user_schema = UserSchema()
tokens_schema = TokenPairSchema()


class UsersService(Pingable, OutboxRelay, Retention):
    name = "users"

    config = Config()
    db = Database(Base)
    outbox = Outbox(OutboxEvent)
    tokens = Tokens()
    request_logging = RequestIdLogging()
    metrics = ServiceMetrics()

    @property
    def hash_rounds(self) -> int:
        return int(self.config["PASSWORD_HASH_ROUNDS"])

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("payload.password",))
    def register(self, payload: dict) -> dict:
        """Create a customer account from {email, password, name}; Conflict if the email is taken.
        Dispatches user_registered {user_id, email, name} (through the outbox, same transaction)."""
        data = load(RegisterSchema(), payload)
        user = accounts.create_user(self.db.session, rounds=self.hash_rounds, **data)
        self.outbox.add(self.db.session, USER_REGISTERED, user_id=user.id, email=user.email, name=user.name)
        self.db.session.commit()
        return user_schema.dump(user)

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("payload.password",))
    def login(self, payload: dict) -> dict:
        """A token pair for {email, password}; Unauthorized when they don't match. While the
        token store (Redis) is down, refresh_token is null: the access token still works."""
        data = load(LoginSchema(), payload)
        user = accounts.authenticate(self.db.session, data["email"], data["password"], self.hash_rounds)
        if user is None:
            raise Unauthorized("Invalid email or password.")
        return tokens_schema.dump(self.tokens.issue(user.id, user.role))

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("refresh_token",))
    def refresh(self, refresh_token: str) -> dict:
        """Rotate a refresh token: a new pair; the old refresh token stops working."""
        session = self.tokens.consume_refresh(_token(refresh_token))
        user = session and self.db.session.get(User, session["user_id"])
        if user is None:
            raise Unauthorized("The refresh token is invalid, expired or revoked.")
        return tokens_schema.dump(self.tokens.issue(user.id, user.role, sid=session["sid"]))

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("refresh_token",))
    def logout(self, refresh_token: str) -> None:
        """Revoke the refresh token and every access token of its session. Idempotent."""
        session = self.tokens.consume_refresh(_token(refresh_token))
        if session is not None:
            self.tokens.revoke_session(session["sid"])

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def get_user(self, user_id: str, actor: dict) -> dict:
        """The user; a customer sees only itself (NotFound otherwise)."""
        actor = load_actor(actor)
        return user_schema.dump(accounts.get_visible_user(self.db.session, user_id, actor))

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def list_users(self, actor: dict, page: int = 1, page_size: int = 20) -> dict:
        """All users, oldest first, one page at a time (admin)."""
        require_admin(actor)
        page = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        users, total = accounts.list_users(self.db.session, page)
        return paged(user_schema.dump(users, many=True), page, total)

    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("changes.password",))
    def update_user(self, user_id: str, changes: dict, actor: dict) -> dict:
        """Change email, name or password (self or admin) or role (admin)."""
        actor = load_actor(actor)
        changes = load(UserUpdateSchema(), changes)
        if not changes:
            raise Invalid("Nothing to change.")
        user = accounts.get_visible_user(self.db.session, user_id, actor)
        if accounts.update_user(self.db.session, user, changes, actor, self.hash_rounds):
            # Revoke first: if the token store is down, nothing changes (503) rather than a
            # change whose old tokens keep working.
            self.tokens.revoke_user(user.id)
        self.db.session.commit()
        return user_schema.dump(user)

    @rpc(expected_exceptions=EXPECTED_ERRORS)
    def delete_user(self, user_id: str, actor: dict) -> None:
        """Delete the user (admin) and void its tokens (Unavailable if they can't be voided)."""
        require_admin(actor)
        user = self.db.session.get(User, user_id) if isinstance(user_id, str) else None
        if user is None:
            raise NotFound("No such user.")
        self.tokens.revoke_user(user_id)
        self.db.session.delete(user)
        self.db.session.commit()


def _token(value) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise Unauthorized("The refresh token is invalid, expired or revoked.")
    return value
