"""Users: oneself, and every account for admins."""

from contracts.users_operations import DELETE_USER, GET_ME, LIST_USERS, SHOW_USER, UPDATE_USER
from gateway.api import ApiBlueprint, json_body, reply
from gateway.auth import current_actor
from gateway.context import services

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1/users", description="User accounts")


@blp.operation(GET_ME)
def me():
    return reply(services().users.get_user(current_actor().id))


@blp.operation(LIST_USERS)
def list_users(page):
    return reply(services().users.list_users(page["page"], page["page_size"]))


@blp.operation(SHOW_USER)
def get_user(user_id):
    return reply(services().users.get_user(user_id))


@blp.operation(UPDATE_USER)
def update_user(_, user_id):
    return reply(services().users.update_user(user_id, json_body()))


@blp.operation(DELETE_USER)
def delete_user(user_id):
    services().users.delete_user(user_id)
    return reply(None, 204)
