"""OAuth2 clients, for admins: register one (its secret is shown once), list, rotate, revoke.
The services' own clients (`managed`) are config's: users refuses to rotate or revoke them."""

from contracts.users import OAuthClientCreateSchema, OAuthClientSchema, OAuthClientWithSecretSchema
from gateway.api import ApiBlueprint, json_body, page_of, reply
from gateway.context import oms
from wire.access import ADMIN_ONLY
from wire.pagination import PageQuerySchema

blp = ApiBlueprint("clients", __name__, url_prefix="/api/v1/clients", description="OAuth2 clients (admin)")


@blp.operation(
    "",
    "POST",
    access=ADMIN_ONLY,
    body=OAuthClientCreateSchema,
    status=201,
    schema=OAuthClientWithSecretSchema,
    raises=(409,),
)
def create_client(_):
    """Register a client with its scopes. The answer holds `client_secret`, stored only as a
    hash: it is never shown again."""
    return reply(oms().call("users", "create_client", json_body()), 201)


@blp.operation("", "GET", access=ADMIN_ONLY, query=PageQuerySchema, schema=page_of(OAuthClientSchema))
def list_clients(page):
    """Every client, oldest first, revoked ones included."""
    return reply(oms().call("users", "list_clients", page["page"], page["page_size"]))


@blp.operation("/<client_id>", "GET", access=ADMIN_ONLY, schema=OAuthClientSchema, raises=(404,))
def get_client(client_id):
    """One client."""
    return reply(oms().call("users", "get_client", client_id))


@blp.operation(
    "/<client_id>/rotate-secret",
    "POST",
    access=ADMIN_ONLY,
    schema=OAuthClientWithSecretSchema,
    raises=(404, 409),
)
def rotate_client_secret(client_id):
    """A new secret, shown once; the old one stops working. Tokens already issued live out their
    few minutes: revoke the client to stop them at once. 409 for a revoked client, and for a
    service's own client (`managed`): its secret is set in config and applied at start."""
    return reply(oms().call("users", "rotate_client_secret", client_id))


@blp.operation("/<client_id>/revoke", "POST", access=ADMIN_ONLY, schema=OAuthClientSchema, raises=(404, 409))
def revoke_client(client_id):
    """Revoke the client: no new tokens, and the ones it holds stop working in every service at
    once. Revoking twice changes nothing. 409 for a service's own client (`managed`)."""
    return reply(oms().call("users", "revoke_client", client_id))
