"""OAuth2 clients, for admins: register one (its secret is shown once), list, rotate, revoke."""

from contracts.users import ClientCreateSchema, ClientSchema, ClientWithSecretSchema
from gateway.api import ApiBlueprint, errors, json_body, page_of, reply
from gateway.auth import BEARER_AUTH, requires
from gateway.context import oms
from plumbing.access import ADMIN_ONLY
from plumbing.pagination import PageQuerySchema

blp = ApiBlueprint("clients", __name__, url_prefix="/api/v1/clients", description="OAuth2 clients (admin)")


@blp.route("", methods=["POST"])
@requires(ADMIN_ONLY)
@blp.arguments(ClientCreateSchema)
@blp.response(201, ClientWithSecretSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 400, 401, 403, 409, 422, 429, 503)
def create_client(_):
    """Register a client with its scopes. The answer holds `client_secret`, stored only as a
    hash: it is never shown again."""
    return reply(oms().call("users", "create_client", json_body()), 201)


@blp.route("", methods=["GET"])
@requires(ADMIN_ONLY)
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_of(ClientSchema))
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 422, 429, 503)
def list_clients(page):
    """Every client, oldest first, revoked ones included."""
    return reply(oms().call("users", "list_clients", page["page"], page["page_size"]))


@blp.route("/<client_id>", methods=["GET"])
@requires(ADMIN_ONLY)
@blp.response(200, ClientSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def get_client(client_id):
    """One client."""
    return reply(oms().call("users", "get_client", client_id))


@blp.route("/<client_id>/rotate-secret", methods=["POST"])
@requires(ADMIN_ONLY)
@blp.response(200, ClientWithSecretSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 409, 429, 503)
def rotate_secret(client_id):
    """A new secret, shown once; the old one stops working. Tokens already issued live out their
    few minutes: revoke the client to stop them at once. 409 for a revoked client."""
    return reply(oms().call("users", "rotate_client_secret", client_id))


@blp.route("/<client_id>/revoke", methods=["POST"])
@requires(ADMIN_ONLY)
@blp.response(200, ClientSchema)
@blp.doc(security=BEARER_AUTH)
@errors(blp, 401, 403, 404, 429, 503)
def revoke_client(client_id):
    """Revoke the client: no new tokens, and the ones it holds stop working in every service at
    once. Revoking twice changes nothing."""
    return reply(oms().call("users", "revoke_client", client_id))
