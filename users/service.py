"""The users service: accounts, credentials, tokens and OAuth2 clients."""

from nameko.dependency_providers import Config

from contracts.events import USER_REGISTERED, USER_UPDATED
from contracts.users import (
    IntrospectionSchema,
    LoginSchema,
    OAuthClientCreateSchema,
    OAuthClientSchema,
    OAuthClientTokenSchema,
    RegisterSchema,
    TokenPairSchema,
    UserSchema,
    UserUpdateSchema,
)
from contracts.users_operations import (
    CREATE_CLIENT,
    DELETE_USER,
    GET_CLIENT,
    GET_USER,
    GET_USERS,
    INTROSPECT_TOKEN,
    ISSUE_CLIENT_TOKEN,
    LIST_CLIENTS,
    LIST_USERS,
    LOGIN,
    LOGOUT,
    REFRESH,
    REGISTER,
    REVOKE_CLIENT,
    ROTATE_CLIENT_SECRET,
    UPDATE_USER,
)
from plumbing.callers import rpc
from plumbing.db import Database
from plumbing.mesh_service import MeshService
from plumbing.outbox import Outbox, OutboxRelay
from users import accounts, clients
from users.models import Base, OutboxEvent, User
from users.throttle import CLIENT_SECRET, PASSWORD, LoginThrottle
from users.tokens import Tokens
from wire.access import CLIENT, USERS_READ_SCOPE
from wire.errors import Forbidden, Invalid, NotFound, Unauthenticated
from wire.pagination import PageQuerySchema, PageRequest, paged
from wire.validation import load

user_schema = UserSchema()
tokens_schema = TokenPairSchema()
client_schema = OAuthClientSchema()
client_token_schema = OAuthClientTokenSchema()
introspection_schema = IntrospectionSchema()
# Claims an introspection answer carries (RFC 7662 §2.2), beside active and token_type.
INTROSPECTED_CLAIMS = ("sub", "client_id", "scope", "role", "exp", "iat", "iss", "aud")


class UsersService(MeshService, OutboxRelay):
    """Entrypoints: those below, and from its bases (plumbing/): MeshService ping and
    purge_bookkeeping, OutboxRelay relay_outbox."""

    name = "users"

    config = Config()
    db = Database(Base)
    outbox = Outbox(OutboxEvent)
    tokens = Tokens()
    throttle = LoginThrottle()

    @property
    def hash_rounds(self) -> int:
        return int(self.config["PASSWORD_HASH_ROUNDS"])

    @property
    def admin_email(self) -> str:
        """The configured admin's (config ADMIN): `make run` finds or creates it at every start."""
        return self.config["ADMIN"]["EMAIL"]

    @rpc(REGISTER, sensitive_arguments=("payload.password",))
    def register(self, payload: dict) -> dict:
        """Create a customer account from {email, password, name}; Conflict if the email is taken.
        Dispatches user_registered {user_id, email, name} (through the outbox, same transaction)."""
        data = load(RegisterSchema(), payload)
        with self.uow() as uow:
            user = accounts.create_user(uow.session, rounds=self.hash_rounds, **data)
            uow.add_event(USER_REGISTERED, user_id=user.id, email=user.email, name=user.name)
            uow.commit()
        return user_schema.dump(user)

    @rpc(LOGIN, sensitive_arguments=("payload.password",))
    def login(self, payload: dict) -> dict:
        """A token pair for {email, password}; Unauthenticated when they don't match, and
        TooManyAttempts, without checking the password, after too many failures (users/throttle.py).
        While the token store (Redis) is down, refresh_token is null: the access token still works."""
        data = load(LoginSchema(), payload)
        with self.throttle.attempt(PASSWORD, data["email"], self.caller), self.uow() as uow:
            user = accounts.authenticate(uow.session, data["email"], data["password"], self.hash_rounds)
            if user is None:
                raise Unauthenticated("Invalid email or password.")
            return tokens_schema.dump(self.tokens.issue(user.id, user.role))

    @rpc(REFRESH, sensitive_arguments=("refresh_token",))
    def refresh(self, refresh_token: str) -> dict:
        """Rotate a refresh token: a new pair; the old refresh token stops working."""
        session = self.tokens.consume_refresh(_token(refresh_token))
        with self.uow() as uow:
            user = session and uow.session.get(User, session["user_id"])
            if user is None:
                raise Unauthenticated("The refresh token is invalid, expired or revoked.")
            return tokens_schema.dump(self.tokens.issue(user.id, user.role, sid=session["sid"]))

    @rpc(LOGOUT, sensitive_arguments=("refresh_token",))
    def logout(self, refresh_token: str) -> None:
        """Revoke the refresh token and every access token of its session. Idempotent."""
        session = self.tokens.consume_refresh(_token(refresh_token))
        if session is not None:
            self.tokens.revoke_session(session["sid"])

    @rpc(GET_USER)
    def get_user(self, user_id: str) -> dict:
        """The user: {id, email, name, role, created_at}. A customer sees only itself (NotFound
        otherwise); an admin or a client with users:read (payments, for an invoice's buyer) anyone."""
        with self.uow() as uow:
            user = accounts.get_visible_user(uow.session, user_id, self.caller.actor, USERS_READ_SCOPE)
            return user_schema.dump(user)

    @rpc(GET_USERS)
    def get_users(self, user_ids: list) -> list:
        """These users (at most 1000; those that exist): each {id, email, name, role, created_at}.
        Admin, or a client with users:read (the read side's rebuild)."""
        if not isinstance(user_ids, list) or len(user_ids) > 1000 or not all(isinstance(i, str) for i in user_ids):
            raise Invalid("user_ids must be a list of at most 1000 ids.", {"user_ids": ["Invalid."]})
        with self.uow() as uow:
            return user_schema.dump(accounts.get_users(uow.session, user_ids), many=True)

    @rpc(LIST_USERS)
    def list_users(self, page: int = 1, page_size: int = 20) -> dict:
        """All users, oldest first, one page at a time (admin)."""
        return self._page(accounts.list_users, user_schema, page, page_size)

    @rpc(UPDATE_USER, sensitive_arguments=("changes.password", "changes.current_password"))
    def update_user(self, user_id: str, changes: dict) -> dict:
        """Change email, name or password (self or admin) or role (admin). A new email or password
        needs `current_password`, the caller's own (an admin's own for another user): Forbidden,
        errors {"current_password": [...]}, when wrong; throttled as a login. It voids the user's
        other sessions (the caller's own session stays valid); a new role voids all of them. A new
        email or name dispatches user_updated {user_id, email, name}. Conflict for demoting the
        last admin, and for demoting or renaming the configured one (config ADMIN)."""
        actor = self.caller.actor
        changes = load(UserUpdateSchema(), changes)
        current_password = changes.pop("current_password", None)
        if not changes:
            raise Invalid("Nothing to change.")
        with self.uow() as uow:
            user = accounts.get_visible_user(uow.session, user_id, actor)
            accounts.refuse_losing_an_admin(uow.session, user, self.admin_email, changes)
            if current_password is not None:
                self._confirm_password(uow.session, current_password)
            before = (user.email, user.name)
            revoking = accounts.update_user(uow.session, user, changes, actor, self.hash_rounds)
            if revoking:
                own_session = self.caller.session_id if user.id == actor.id and "role" not in revoking else None
                # Revoke first: if the token store is down, nothing changes (503) rather than a
                # change whose old tokens keep working.
                self.tokens.revoke_user(user.id, keep_session=own_session)
            if (user.email, user.name) != before:
                uow.add_event(USER_UPDATED, user_id=user.id, email=user.email, name=user.name)
            uow.commit()
        return user_schema.dump(user)

    def _confirm_password(self, session, password: str) -> None:
        """Forbidden unless `password` is the caller's own; failures count as failed logins."""
        account = session.get(User, self.caller.actor.id)
        name = account.email if account is not None else self.caller.actor.id
        with self.throttle.attempt(PASSWORD, name, self.caller):
            if account is None or not accounts.password_matches(account, password):
                raise Forbidden("The current password is wrong.", {"current_password": ["Wrong password."]})

    @rpc(DELETE_USER)
    def delete_user(self, user_id: str) -> None:
        """Delete the user (admin) and void its tokens (Unavailable if they can't be voided).
        Conflict for the last admin and the configured one (config ADMIN)."""
        with self.uow() as uow:
            user = uow.session.get(User, user_id) if isinstance(user_id, str) else None
            if user is None:
                raise NotFound("No such user.")
            accounts.refuse_losing_an_admin(uow.session, user, self.admin_email)
            self.tokens.revoke_user(user_id)
            uow.session.delete(user)
            uow.commit()

    # --- OAuth2 clients (client credentials, RFC 6749 §4.4) ---------------------------------------

    @rpc(CREATE_CLIENT)
    def create_client(self, payload: dict) -> dict:
        """Register a client from {name, scopes}: {client_id, client_secret, name, scopes,
        created_at, secret_rotated_at, revoked_at, managed}. The secret is returned only here."""
        data = load(OAuthClientCreateSchema(), payload)
        with self.uow() as uow:
            client, secret = clients.create_client(uow.session, data["name"], data["scopes"], self.hash_rounds)
            uow.commit()
        return {**client_schema.dump(client), "client_secret": secret}

    @rpc(LIST_CLIENTS)
    def list_clients(self, page: int = 1, page_size: int = 20) -> dict:
        """Every client, oldest first, revoked ones included; never a secret. `managed`: a
        service's own client (config SERVICE_CLIENTS)."""
        return self._page(clients.list_clients, client_schema, page, page_size)

    @rpc(GET_CLIENT)
    def get_client(self, client_id: str) -> dict:
        """One client; NotFound if there is none."""
        with self.uow() as uow:
            return client_schema.dump(clients.get_client(uow.session, client_id))

    @rpc(ROTATE_CLIENT_SECRET)
    def rotate_client_secret(self, client_id: str) -> dict:
        """A new secret (returned once, as create_client does); the old one stops working.
        Conflict for a revoked client, and for a service's own (managed) client: its secret is
        config's (SERVICE_CLIENTS), applied at start."""
        with self.uow() as uow:
            client = clients.get_client(uow.session, client_id, lock=True)
            secret = clients.rotate_secret(client, self.hash_rounds)
            uow.commit()
        return {**client_schema.dump(client), "client_secret": secret}

    @rpc(REVOKE_CLIENT)
    def revoke_client(self, client_id: str) -> dict:
        """Revoke a client: it gets no more tokens, and every token it holds stops working in every
        service at once (Unavailable, and nothing changed, while the token store is down).
        Conflict for a service's own (managed) client: revoking it would stop that service."""
        with self.uow() as uow:
            client = clients.get_client(uow.session, client_id, lock=True)
            if clients.revoke(client):
                self.tokens.revoke_client(client.id)  # first: no revoked client whose tokens still work
            uow.commit()
        return client_schema.dump(client)

    @rpc(ISSUE_CLIENT_TOKEN, sensitive_arguments=("client_secret",))
    def issue_client_token(self, client_id: str, client_secret: str, scope: str | None = None) -> dict:
        """The client-credentials grant: {access_token, token_type, expires_in, scope} for an
        active client's id and secret (Unauthenticated otherwise). `scope`, space-separated, asks
        for a subset of the client's scopes (Invalid, errors {"scope": [...]}, for others).
        TooManyAttempts, without checking the secret, after too many failures (users/throttle.py)."""
        with self.throttle.attempt(CLIENT_SECRET, client_id, self.caller), self.uow() as uow:
            client = clients.authenticate(uow.session, client_id, client_secret, self.hash_rounds)
            if client is None:
                raise Unauthenticated("Unknown client, wrong secret or revoked client.")
            return client_token_schema.dump(self.tokens.issue_client(client.id, clients.granted_scopes(client, scope)))

    @rpc(INTROSPECT_TOKEN, sensitive_arguments=("token", "client_secret"))
    def introspect_token(self, token: str, client_id: str | None = None, client_secret: str | None = None) -> dict:
        """RFC 7662: {active: false}, or {active: true, sub, client_id, scope, role, exp, iat, iss,
        aud, token_type} for a token every service would accept now. Asked by an admin or a client
        (its token in the call), or with a client's id and secret (throttled as issue_client_token
        is); Unauthenticated otherwise."""
        asker = self.caller.actor
        with self.uow() as uow:
            if not (asker is not None and (asker.is_admin or asker.kind == CLIENT)):
                if not client_id or not client_secret:  # no secret to guess: nothing to count
                    raise Unauthenticated("Introspection needs a client's credentials or an admin's token.")
                with self.throttle.attempt(CLIENT_SECRET, client_id, self.caller):
                    if clients.authenticate(uow.session, client_id, client_secret, self.hash_rounds) is None:
                        raise Unauthenticated("Introspection needs a client's credentials or an admin's token.")
            try:
                claims = self.tokens.verifier.claims(token)
            except Unauthenticated:
                return {"active": False}
            found = {name: claims[name] for name in INTROSPECTED_CLAIMS if name in claims}
            return introspection_schema.dump({"active": True, "token_type": "Bearer", **found})


    def _page(self, lister, schema, page: int, page_size: int) -> dict:
        """One page of what `lister(session, page)` lists: {items, page, page_size, total}."""
        request = PageRequest(**load(PageQuerySchema(), {"page": page, "page_size": page_size}))
        with self.uow() as uow:
            items, total = lister(uow.session, request)
            return paged(schema.dump(items, many=True), request, total)

def _token(value) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 200:
        raise Unauthenticated("The refresh token is invalid, expired or revoked.")
    return value
