"""Users: oneself, and every account for admins."""


from contracts.users import UserSchema, UserUpdateSchema
from gateway.api import ApiBlueprint, errors, json_body, page_of, reply
from gateway.auth import BEARER_AUTH, current_actor, requires
from gateway.context import oms
from plumbing.access import ADMIN_ONLY, SIGNED_IN
from plumbing.pagination import PageQuerySchema

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts")

UserPageSchema = page_of(UserSchema)


@blp.route("/me", methods=["GET"])
@requires(SIGNED_IN)
@blp.response(200, UserSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def me():
    """The account of the token's owner."""
    return reply(oms().call("users", "get_user", current_actor().id))


@blp.route("", methods=["GET"])
@requires(ADMIN_ONLY)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, UserPageSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 422, 429, 503)
def list_users(page):
    """Every account, oldest first, paginated (admin): {items, page, page_size, total}."""
    return reply(oms().call("users", "list_users", page["page"], page["page_size"]))


@blp.route("/<user_id>", methods=["GET"])
@requires(SIGNED_IN)
@blp.response(200, UserSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def get_user(user_id):
    """One account: a customer may read only its own."""
    return reply(oms().call("users", "get_user", user_id))


@blp.route("/<user_id>", methods=["PATCH"])
@requires(SIGNED_IN)
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 404, 409, 422, 429, 503)
def update_user(_, user_id):
    """Change email, name or password (self or admin), or role (admin only)."""
    return reply(oms().call("users", "update_user", user_id, json_body()))


@blp.route("/<user_id>", methods=["DELETE"])
@requires(ADMIN_ONLY)
@blp.response(204)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def delete_user(user_id):
    """Delete an account and void its tokens (admin)."""
    oms().call("users", "delete_user", user_id)
    return reply(None, 204)
