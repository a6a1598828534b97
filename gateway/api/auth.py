"""Registration, login, token refresh and logout."""

from contracts.users_operations import LOGIN, LOGOUT, REFRESH, REGISTER
from gateway.api import ApiBlueprint, json_body, reply
from gateway.context import services

blp = ApiBlueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


@blp.operation(REGISTER)
def register(_):
    return reply(services().users.register(json_body()), 201)


@blp.operation(LOGIN)
def login(_):
    return reply(services().users.login(json_body()))


@blp.operation(REFRESH)
def refresh(body):
    return reply(services().users.refresh(body["refresh_token"]))


@blp.operation(LOGOUT)
def logout(body):
    services().users.logout(body["refresh_token"])
    return reply(None, 204)
