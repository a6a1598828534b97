"""OAuth2 clients, for admins: register one (its secret is shown once), list, rotate, revoke.
The services' own clients (`managed`) are config's: users refuses to rotate or revoke them."""

from contracts.users_operations import CREATE_CLIENT, GET_CLIENT, LIST_CLIENTS, REVOKE_CLIENT, ROTATE_CLIENT_SECRET
from gateway.api import ApiBlueprint, json_body, reply
from gateway.context import services

blp = ApiBlueprint("clients", __name__, url_prefix="/api/v1/clients", description="OAuth2 clients (admin)")


@blp.operation(CREATE_CLIENT)
def create_client(_):
    return reply(services().users.create_client(json_body()), 201)


@blp.operation(LIST_CLIENTS)
def list_clients(page):
    return reply(services().users.list_clients(page["page"], page["page_size"]))


@blp.operation(GET_CLIENT)
def get_client(client_id):
    return reply(services().users.get_client(client_id))


@blp.operation(ROTATE_CLIENT_SECRET)
def rotate_secret(client_id):
    return reply(services().users.rotate_client_secret(client_id))


@blp.operation(REVOKE_CLIENT)
def revoke_client(client_id):
    return reply(services().users.revoke_client(client_id))
