"""Users: oneself, and every account for admins."""


from contracts.users import UserSchema, UserUpdateSchema
from gateway.api import ApiBlueprint, json_body, page_of, reply
from gateway.auth import current_actor
from gateway.context import oms
from wire.access import ADMIN_ONLY, SIGNED_IN
from wire.pagination import PageQuerySchema

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts")

UserPageSchema = page_of(UserSchema)


@blp.operation("/me", "GET", access=SIGNED_IN, schema=UserSchema, raises=(404,))
def get_current_user():
    """The account of the token's owner."""
    return reply(oms().call("users", "get_user", current_actor().id))


@blp.operation("", "GET", access=ADMIN_ONLY, query=PageQuerySchema, schema=UserPageSchema)
def list_users(page):
    """Every account, oldest first, paginated (admin): {items, page, page_size, total}."""
    return reply(oms().call("users", "list_users", page["page"], page["page_size"]))


@blp.operation("/<user_id>", "GET", access=SIGNED_IN, schema=UserSchema, raises=(404,))
def get_user(user_id):
    """One account: a customer may read only its own."""
    return reply(oms().call("users", "get_user", user_id))


@blp.operation("/<user_id>", "PATCH", access=SIGNED_IN, body=UserUpdateSchema, schema=UserSchema, raises=(404, 409))
def update_user(_, user_id):
    """Change email, name or password (self or admin), or role (admin only).

    A new email or password needs `current_password`, the caller's own (an admin changing another
    account gives its own): without it a 422, wrong a 403, each naming `current_password`; wrong
    ones count as failed logins (429 past the limit). It signs the user out everywhere else: the
    user's other sessions are revoked, the caller's own stays valid. A new role voids every token
    of the user. 409 for a taken email, for demoting the last admin, and for demoting or renaming
    the configured admin."""
    return reply(oms().call("users", "update_user", user_id, json_body()))


@blp.operation("/<user_id>", "DELETE", access=ADMIN_ONLY, status=204, raises=(404, 409))
def delete_user(user_id):
    """Delete an account and void its tokens (admin). 409 for the last admin and the configured
    one (config ADMIN)."""
    oms().call("users", "delete_user", user_id)
    return reply(None, 204)
