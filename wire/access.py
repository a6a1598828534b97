"""Who may call what: the verified caller (`Actor`), roles, scopes and the access policies that
RPC methods and gateway routes declare (`Access`).

A caller is a user (a customer or an admin, from a login or an operator token) or an OAuth2
client (a service or an integrator, from the client-credentials grant) holding scopes. Each
operation's declaration in contracts names the policy that may call it (`access=CATALOG_WRITE`);
its RPC and its gateway route both read it, so both ends refuse the same callers."""

from dataclasses import dataclass, field

from wire.errors import Forbidden

CUSTOMER = "customer"
ADMIN = "admin"
ROLES = (CUSTOMER, ADMIN)

USER = "user"
CLIENT = "client"

CATALOG_WRITE_SCOPE = "catalog:write"
STOCK_WRITE_SCOPE = "stock:write"
STOCK_RESERVE_SCOPE = "stock:reserve"
STOCK_RELEASE_SCOPE = "stock:release"
ORDERS_READ_SCOPE = "orders:read"
ORDERS_FULFIL_SCOPE = "orders:fulfil"
ORDER_RESERVATIONS_SCOPE = "orders:reservations"
USERS_READ_SCOPE = "users:read"
INVOICES_READ_SCOPE = "invoices:read"
PAYMENTS_CAPTURE_SCOPE = "payments:capture"
PAYMENTS_REFUND_SCOPE = "payments:refund"
WEBHOOKS_MANAGE_SCOPE = "webhooks:manage"
# Every scope a client can hold, with what it allows (the README lists them).
SCOPES = {
    CATALOG_WRITE_SCOPE: "create, change and delete products",
    STOCK_WRITE_SCOPE: "set and adjust a product's stock (e.g. an ERP syncing stock)",
    STOCK_RESERVE_SCOPE: "reserve stock for an order and read reservations (the orders service)",
    STOCK_RELEASE_SCOPE: "release an order's stock reservation (the orders service)",
    ORDERS_READ_SCOPE: "read every order, its history and its payment",
    ORDERS_FULFIL_SCOPE: "ship, deliver and cancel any order",
    ORDER_RESERVATIONS_SCOPE: "ask which orders still hold stock (the products service)",
    USERS_READ_SCOPE: "read any user's account: name and email (payments, for the buyer of an invoice)",
    INVOICES_READ_SCOPE: "read every invoice and credit note and their PDFs (notifications, to attach them)",
    PAYMENTS_CAPTURE_SCOPE: "capture an order's authorized payment for a shipment (the orders service)",
    PAYMENTS_REFUND_SCOPE: "refund part of what an order's payment captured (a goodwill refund)",
    WEBHOOKS_MANAGE_SCOPE: "register and manage webhook endpoints, read their delivery logs, retry and replay",
}
# The scopes of each service's own client (config SERVICE_CLIENTS): what it calls other services for.
SERVICE_CLIENT_SCOPES = {
    # orders captures a shipment's amount before the shipment counts as shipped.
    "orders": (STOCK_RESERVE_SCOPE, STOCK_RELEASE_SCOPE, PAYMENTS_CAPTURE_SCOPE),
    "products": (ORDER_RESERVATIONS_SCOPE,),
    # payments issues invoices: the buyer's email from users, an order's content from orders
    # when an admin issues one by hand.
    "payments": (USERS_READ_SCOPE, ORDERS_READ_SCOPE),
    "notifications": (INVOICES_READ_SCOPE,),
}


@dataclass(frozen=True)
class Actor:
    """A caller whose token was verified: `id` is the token's subject (a user id or a client id)."""

    id: str
    kind: str  # USER or CLIENT
    role: str | None = None  # a user's role
    scopes: frozenset[str] = field(default_factory=frozenset)  # a client's scopes

    @property
    def is_admin(self) -> bool:
        return self.kind == USER and self.role == ADMIN

    def has_scope(self, scope: str | None) -> bool:
        return self.kind == CLIENT and scope in self.scopes

    def sees_all(self, scope: str | None = None) -> bool:
        """May act on anyone's data: an admin, or a client holding `scope`."""
        return self.is_admin or self.has_scope(scope)

    def acts_for(self, user_id: str, scope: str | None = None) -> bool:
        """May act on `user_id`'s data: that user itself, an admin, or a client holding `scope`."""
        return (self.kind == USER and self.id == user_id) or self.sees_all(scope)


@dataclass(frozen=True)
class Access:
    """Who may call a method: anyone (public), users of some roles, clients with some scopes."""

    public: bool = False
    roles: frozenset[str] = frozenset()
    scopes: frozenset[str] = frozenset()

    def allows(self, actor: Actor | None) -> bool:
        if actor is None:
            return self.public
        if self.public:
            return True
        if actor.kind == USER:
            return actor.role in self.roles
        return not self.scopes.isdisjoint(actor.scopes)

    def check(self, actor: Actor) -> None:
        """Forbidden unless `actor` (verified) may call."""
        if not self.allows(actor):
            raise Forbidden(f"This action needs {self.describe()}.")

    def describe(self) -> str:
        needs = [f"the {role} role" for role in sorted(self.roles)]
        needs += [f"the scope {scope}" for scope in sorted(self.scopes)]
        return " or ".join(needs) or "no credentials"


def allow(*, roles: tuple[str, ...] = (), scopes: tuple[str, ...] = ()) -> Access:
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}")
    return Access(roles=frozenset(roles), scopes=frozenset(scopes))


PUBLIC = Access(public=True)  # no token needed; a token that is sent must still be valid
SIGNED_IN = allow(roles=ROLES)  # any user; the method decides whose data it may touch
ADMIN_ONLY = allow(roles=(ADMIN,))
CATALOG_WRITE = allow(roles=(ADMIN,), scopes=(CATALOG_WRITE_SCOPE,))
STOCK_WRITE = allow(roles=(ADMIN,), scopes=(STOCK_WRITE_SCOPE,))
STOCK_RESERVE = allow(scopes=(STOCK_RESERVE_SCOPE,))
STOCK_READ = allow(roles=(ADMIN,), scopes=(STOCK_RESERVE_SCOPE,))
STOCK_RELEASE = allow(roles=(ADMIN,), scopes=(STOCK_RELEASE_SCOPE,))
ORDERS_READ = allow(roles=ROLES, scopes=(ORDERS_READ_SCOPE,))  # whose orders: the method decides
ORDERS_FULFIL = allow(roles=(ADMIN,), scopes=(ORDERS_FULFIL_SCOPE,))
ORDERS_EXPORT = allow(roles=(ADMIN,), scopes=(ORDERS_READ_SCOPE,))  # every order, in bulk
ORDERS_CANCEL = allow(roles=ROLES, scopes=(ORDERS_FULFIL_SCOPE,))
ORDER_RESERVATIONS = allow(scopes=(ORDER_RESERVATIONS_SCOPE,))
USERS_READ = allow(roles=ROLES, scopes=(USERS_READ_SCOPE,))  # whose account: the method decides
USERS_READ_ALL = allow(roles=(ADMIN,), scopes=(USERS_READ_SCOPE,))  # any accounts, in bulk
INVOICES_READ = allow(roles=ROLES, scopes=(INVOICES_READ_SCOPE,))  # whose invoices: the method decides
INVOICES_LIST = allow(roles=(ADMIN,), scopes=(INVOICES_READ_SCOPE,))
PAYMENTS_CAPTURE = allow(scopes=(PAYMENTS_CAPTURE_SCOPE,))
PAYMENTS_REFUND = allow(roles=(ADMIN,), scopes=(PAYMENTS_REFUND_SCOPE,))
WEBHOOKS_MANAGE = allow(roles=(ADMIN,), scopes=(WEBHOOKS_MANAGE_SCOPE,))
